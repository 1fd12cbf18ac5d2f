"""The walk of one language's listing: which batch comes next, and on what evidence it ends.

Pure (no Scrapy, no network, no selectors). How a batch is fetched and read is not the
walk's business: a batch source (HTML pages and fragments, JSON, ...) tells it what each
batch showed as a ``BatchSeen`` and gets back a ``Step``: the next URL, or the ``Ending``.

Every walk ends with a named ending (``ENDINGS``). Only what the site showed is evidence:
it said this was the last batch; a batch after one that brought new cards answered empty
or 404; the incremental frontier (a card of an earlier run); the ``since`` date;
``ANALYTICS_MAX_LISTING_PAGES`` (incomplete); the operator's ``ANALYTICS_ONE_PAGE_LANGUAGES``.
Anything else fails its check (``pagination``, ``layout`` or ``listings``) and leaves the
walk incomplete, so the next run walks it again. A page's size never ends a walk.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from crawler.batches import BatchAsk, batch_ask
from crawler.site import SiteProfile
from crawler.urls import listing_url

#: How a batch's URL was found besides the listing's own links.
FIRST_PAGE, TEMPLATE = "section_path", "page_url"


@dataclass(frozen=True)
class NextLink:
    """A listing batch's own link to the next batch, and which mechanism offered it
    (``ListingPage.next_link``: ``rel_next``, ``pager_next``, ``numbered_pager``,
    ``load_more``, ``more_control``)."""

    url: str
    mechanism: str


@dataclass(frozen=True)
class EndingKind:
    """What an ending means: whether the site showed it, whether nothing older was left
    unseen, and which check of the run fails on it (None: no check)."""

    evidence: bool
    complete: bool
    check: str | None
    meaning: str


#: Every way a walk can end, by name (the run summary's ``walks.ended.<lang>.ending``).
ENDINGS: Mapping[str, EndingKind] = {
    "last_batch": EndingKind(True, True, None, "the site said it was the last batch "
                             "(pages_left 0; a listing that linked its batches links no next)"),
    "past_last": EndingKind(True, True, None, "a batch after one that brought new cards "
                            "answered empty or 404"),
    "frontier": EndingKind(True, True, None, "a card of an earlier run (incremental), on a "
                           "batch of cards"),
    "since": EndingKind(True, False, None, "a card before the since date"),
    "max_pages": EndingKind(True, False, None, "ANALYTICS_MAX_LISTING_PAGES reached"),
    "one_page": EndingKind(True, True, None, "ANALYTICS_ONE_PAGE_LANGUAGES: page 1 is the "
                           "whole section, as the operator says"),
    "no_cards": EndingKind(False, False, "layout", "page 1 holds no cards"),
    "no_article_links": EndingKind(False, False, "layout", "cards that link no article"),
    "repeat": EndingKind(False, False, "pagination", "a batch showed only cards already "
                         "seen: the site ignored the URL asked"),
    "loop": EndingKind(False, False, "pagination", "a next link leads back to a batch "
                       "already read"),
    "control_not_followed": EndingKind(False, False, "pagination", "a \"more\" control "
                                       "carrying no URL, and the template brought nothing new"),
    "no_next_url": EndingKind(False, False, "pagination", "ANALYTICS_PAGE_URL gives no new URL"),
    "unreadable": EndingKind(False, False, "pagination", "a batch that is neither cards nor "
                             "JSON of the expected shape"),
    "fetch_failed": EndingKind(False, False, "listings", "a batch could not be fetched"),
    "redirect_offsite": EndingKind(False, False, "pagination", "a batch redirected to another "
                                   "host than the crawl's, not followed"),
    "callback_error": EndingKind(False, False, "pagination", "reading a batch raised (a bug "
                                 "of the crawler, logged with its traceback)"),
    "unfinished": EndingKind(False, False, "pagination", "the run closed before the walk "
                             "reached an ending"),
}


@dataclass(frozen=True)
class Next:
    """Ask for ``url`` next; ``how`` it was found (a mechanism, or ``page_url``); ``ask``:
    the method, body and headers of a batch built from settings."""

    url: str
    how: str
    ask: BatchAsk | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Ending:
    """The walk is over: its ending's ``name`` (``ENDINGS``), the batch URL it was decided
    on, and what was seen there."""

    name: str
    url: str
    why: str

    @property
    def kind(self) -> EndingKind:
        return ENDINGS[self.name]

    @property
    def level(self) -> int:
        """How loud the log says it: failures and an unfinished bound are errors."""
        if not self.kind.evidence or self.name == "max_pages":
            return logging.ERROR
        return logging.INFO

    def summary(self) -> dict[str, Any]:
        """The ending as the run summary records it (``walks.ended.<lang>``)."""
        return {"ending": self.name, "url": self.url, "evidence": self.kind.evidence,
                "complete": self.kind.complete, "why": self.why}


Step = Next | Ending


@dataclass(frozen=True)
class BatchSeen:
    """What a batch showed: its cards, those not seen before this run, its own way on.

    ``article_cards``: cards that link an article (None: all of them); ``control``: a "more"
    control it shows that carries no URL, as a person finds it in the page (its tag,
    classes, attributes, text); ``described``: what the answer was (status, title, size).
    """

    cards: int
    new_cards: int
    next_link: NextLink | None
    says_last: bool = False
    reached_older: bool = False  # a card before ``since``: older articles were not seen
    reached_known: bool = False  # a card of an earlier run, in a walk that may stop there
    cursor: str | None = None  # the way on a JSON batch gave (``{cursor}`` of the next one)
    article_cards: int | None = None
    control: str | None = None
    described: str = ""


@dataclass
class ListingWalk:
    """The walk of ``lang``'s listing on ``base_url``, one batch at a time."""

    lang: str
    site: SiteProfile
    base_url: str
    max_pages: int
    #: The batch asked for last (1-based), its URL and how that URL was found.
    number: int = 1
    url: str = ""
    how: str = FIRST_PAGE
    #: The listing linked a next batch by itself: from then on a missing link is the end.
    follows_links: bool = False
    #: What the batch before the one asked for showed.
    previous: BatchSeen | None = None
    #: Every batch asked for, by its ``BatchAsk.key`` (the URL canonicalised) -> its number.
    requested: dict[str, int] = field(default_factory=dict)

    def first(self) -> Next:
        """Page 1: the section path."""
        return self._ask(listing_url(self.base_url, self.site.section_paths[self.lang]),
                         FIRST_PAGE)

    def after(self, seen: BatchSeen) -> Step:
        """The step after the batch just read."""
        step = self._judge(seen)
        self.previous = seen
        return step

    def after_status(self, status: int | None, detail: str) -> Ending:
        """The ending after a batch that answered an error (``detail``: what came back)."""
        if status == 404 and self.number > 1:
            return self._past_last("answers 404")
        return self._failed("fetch_failed", f"{self._asked()}; it {detail}")

    def unreadable(self, detail: str) -> Ending:
        """A batch that is neither cards nor JSON of the expected shape."""
        return self._failed("unreadable", f"{self._asked()}; it {detail}")

    def raised(self, error: str) -> Ending:
        """Reading the batch raised ``error`` (not about one card: those cost that card)."""
        return self._failed("callback_error", f"{self._asked()}; reading it raised {error}")

    def dropped(self, url: str) -> Ending | None:
        """The request for ``url`` (the batch asked last, or where it redirected) was dropped
        as a duplicate: a loop when it is a batch already asked for; None: fetch it anyway."""
        earlier = self.requested.get(BatchAsk(url).key)
        if earlier is None or earlier == self.number:  # never read: fetched past the filter
            return None
        return self._failed("loop", f"batch {self.number} at {self.url} leads to {url}, batch "
                            f"{earlier} again (the same URL once canonicalised: query order, "
                            "fragment)")

    def redirected_offsite(self, to: str, hosts: str) -> Ending:
        """The batch asked for last redirected to ``to``, on none of the crawl's ``hosts``."""
        return self._failed("redirect_offsite", f"{self._asked()}; it redirects to {to}, "
                            f"another host than {hosts}: not followed (if the section moved "
                            "there, crawl it with -a base_url=<its origin>, or add the host to "
                            "ANALYTICS_EXTRA_HOSTS)")

    def unfinished(self, reason: str) -> Ending:
        """The run closed (``reason``) with the walk's last batch asked and unanswered."""
        return self._failed("unfinished", f"{self._asked()}; the run closed ({reason}) "
                            "before it was answered or read")

    def _judge(self, seen: BatchSeen) -> Step:
        n = self.number
        if not seen.cards:
            if n == 1:
                return self._layout("no_cards", "holds no cards", seen)
            if seen.says_last:
                return self._end("last_batch", f"batch {n} holds no cards and says none is left")
            return self._past_last(f"holds no cards ({seen.described or 'empty'})")
        if seen.article_cards == 0:
            return self._layout("no_article_links", f"shows {seen.cards} cards but none links "
                                "an article", seen)
        if not seen.new_cards:
            return self._not_advanced(f"shows only cards already seen ({seen.cards})")
        if seen.reached_older:
            return self._end("since", f"batch {n} reaches before the since date")
        if seen.reached_known:
            return self._end("frontier", f"batch {n} holds articles of an earlier run")
        if seen.says_last:
            return self._end("last_batch", f"batch {n} says no batch is left")
        if n >= self.max_pages:
            return self._end("max_pages", f"stopped at ANALYTICS_MAX_LISTING_PAGES="
                             f"{self.max_pages}")
        return self._next(seen)

    def _next(self, seen: BatchSeen) -> Step:
        n, link = self.number, seen.next_link
        if link is not None:
            self.follows_links = True
            earlier = self.requested.get(BatchAsk(link.url).key)
            if earlier is not None:
                return self._failed("loop", f"batch {n} at {self.url}: its next link "
                                    f"({link.mechanism}) {link.url} leads back to batch "
                                    f"{earlier} (the same URL once canonicalised: query "
                                    "order, fragment)")
            return self._ask(link.url, link.mechanism, n + 1)
        if self.follows_links:
            if seen.control is not None:
                return self._failed("control_not_followed", f"batch {n} at {self.url} links "
                                    "no next batch but shows a \"more\" control carrying no "
                                    f"URL: {seen.control}; {self._what_to_set()}")
            return self._end("last_batch", f"batch {n} links no next batch (the listing "
                             "linked each batch before it)")
        if n == 1 and self.lang in self.site.one_page_languages:
            return self._end("one_page", f"page 1 links no next batch and "
                             f"ANALYTICS_ONE_PAGE_LANGUAGES lists {self.lang}")
        section_path = self.site.section_paths[self.lang]
        ask = batch_ask(self.site, self.base_url, section_path, self.lang, n + 1,
                        seen.cursor or "")
        if ask is None or ask.key in self.requested:
            return self._failed("no_next_url", f"batch {n} at {self.url} links no next batch "
                                f"and ANALYTICS_PAGE_URL={self.site.page_url!r} gives no new "
                                f"URL for batch {n + 1} ({ask.url if ask else None})")
        return self._ask(ask.url, TEMPLATE, n + 1, ask)

    def _past_last(self, came_back: str) -> Ending:
        """An empty or missing batch after one that brought new cards: the end, unless that
        batch showed a "more" control the template stood in for."""
        control = self.previous.control if self.previous is not None else None
        if self.how == TEMPLATE and control is not None:
            return self._control_not_followed(came_back, control)
        brought = self.previous.new_cards if self.previous is not None else 0
        return self._end("past_last", f"batch {self.number} at {self.url} {came_back}, after "
                         f"batch {self.number - 1} brought {brought} new cards")

    def _not_advanced(self, came_back: str) -> Ending:
        """A batch of cards already read: the site ignored the URL. Never the end."""
        control = self.previous.control if self.previous is not None else None
        if self.how == TEMPLATE and control is not None:
            return self._control_not_followed(came_back, control)
        shown = self.previous.cards if self.previous is not None else 0
        return self._failed("repeat", f"{self._asked()}; it {came_back}: the site ignored it "
                            f"(batch {self.number - 1} showed {shown} cards, a full page "
                            f"{self.site.page_size}: ANALYTICS_PAGE_SIZE ends no walk); "
                            f"{self._what_to_set()}")

    def _control_not_followed(self, came_back: str, control: str) -> Ending:
        return self._failed("control_not_followed", f"batch {self.number - 1} shows a \"more\" "
                            f"control carrying no URL: {control}; "
                            f"{self._asked()} instead and it {came_back}; "
                            f"{self._what_to_set()}")

    def _layout(self, name: str, came_back: str, seen: BatchSeen) -> Ending:
        selectors = self.site.selectors
        return self._failed(name, f"{self._asked()}; it {came_back} ({seen.described}): "
                            f"ANALYTICS_SELECTORS 'card'={selectors['card']!r}, 'card_link'="
                            f"{selectors['card_link']!r} find no article there (a redesign, or "
                            "an error page); run scrapy sitecheck to see what stands there and "
                            "what to set")

    def _what_to_set(self) -> str:
        return ("find the URL the site loads its next cards from (scrapy sitecheck --browser) "
                "and set ANALYTICS_PAGE_URL to it, or, if this "
                f"section really has one page, add {self.lang!r} to ANALYTICS_ONE_PAGE_LANGUAGES "
                "(docs/crawling.md, 'How pagination is followed')")

    def _end(self, name: str, why: str) -> Ending:
        assert ENDINGS[name].evidence, name
        return Ending(name, self.url, why)

    def _failed(self, name: str, why: str) -> Ending:
        assert not ENDINGS[name].evidence, name
        return Ending(name, self.url, why)

    def _ask(self, url: str, how: str, number: int = 1, ask: BatchAsk | None = None) -> Next:
        self.number, self.url, self.how = number, url, how
        self.requested[(ask or BatchAsk(url)).key] = number
        return Next(url, how, ask)

    def _asked(self) -> str:
        """The batch asked for last, where its URL came from."""
        return f"asked batch {self.number} at {self.url} ({self._source()})"

    def _source(self) -> str:
        """How the URL of the batch asked for last was found, for a failure message."""
        if self.how == TEMPLATE:
            return f"built from ANALYTICS_PAGE_URL={self.site.page_url!r}"
        if self.how == FIRST_PAGE:
            return "the section path, ANALYTICS_SECTION_PATHS"
        return f"the listing's own {self.how} link"
