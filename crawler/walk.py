"""The walk of one language's listing: which batch comes next, and when the walk is over.

Pure (no Scrapy, no network): the spider tells it what each batch showed and gets back a
``Step``: the next URL, the end of the walk (complete or not), or a failed pagination.

The listing's own next link is followed first (``ListingPage.next_link``). Only where the
first page offers none is the next URL built from ``ANALYTICS_PAGE_URL``; a listing that
linked its next pages and stops linking has ended. Page 2 after a full page 1 that repeats
page 1, holds no cards or answers 404 means the site did not understand the pagination:
the walk fails loudly instead of ending as if the section had one page.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from crawler.batches import BatchAsk, batch_ask
from crawler.site import SiteProfile
from crawler.urls import listing_url

#: How a batch's URL was found besides the listing's own links.
FIRST_PAGE, TEMPLATE = "section_path", "page_url"


@dataclass(frozen=True)
class NextLink:
    """A listing batch's own link to the next batch, and which mechanism offered it
    (``ListingPage.next_link``: ``rel_next``, ``pager_next``, ``numbered_pager``,
    ``load_more``)."""

    url: str
    mechanism: str


@dataclass(frozen=True)
class Next:
    """Ask for ``url`` next; ``how`` it was found (a mechanism, or ``page_url``); ``ask``:
    the method, body and headers of a batch built from settings."""

    url: str
    how: str
    ask: BatchAsk | None = field(default=None, compare=False)


@dataclass(frozen=True)
class End:
    """The walk is over. ``complete``: nothing older was left unseen. Logged at ``level``;
    ``loop``: the listing led back to cards or pages already read."""

    why: str
    complete: bool = True
    level: int = logging.INFO
    loop: bool = False


@dataclass(frozen=True)
class PaginationFailed:
    """The site did not understand the way to page 2: what was asked, what came back."""

    why: str


Step = Next | End | PaginationFailed


@dataclass(frozen=True)
class BatchSeen:
    """What the spider saw on a batch: cards, cards not seen before, the batch's own way on."""

    cards: int
    new_cards: int
    next_link: NextLink | None
    says_last: bool = False
    reached_older: bool = False  # a card before ``since``: older articles were not seen
    reached_known: bool = False  # a card of an earlier run, in a walk that may stop there
    cursor: str | None = None  # the way on a JSON batch gave (``{cursor}`` of the next one)


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
    first_page_cards: int = 0
    requested: set[str] = field(default_factory=set)

    def first(self) -> Next:
        """Page 1: the section path."""
        return self._ask(listing_url(self.base_url, self.site.section_paths[self.lang]),
                         FIRST_PAGE)

    def after(self, seen: BatchSeen) -> Step:
        """The step after the batch just read."""
        n = self.number
        if n == 1:
            self.first_page_cards = seen.cards
        if not seen.cards:
            if seen.says_last:
                return End(f"batch {n} holds no cards and says none is left")
            return self._failed_or_end("holds no cards")
        if not seen.new_cards:
            return self._failed_or_end("shows only cards already seen", loop=True)
        if seen.reached_older:
            return End(f"page {n} reaches before the since date", complete=False)
        if seen.reached_known:
            return End(f"page {n} holds articles of an earlier run")
        if seen.says_last:
            return End(f"batch {n} says no batch is left")
        if n >= self.max_pages:
            return End(f"stopped at ANALYTICS_MAX_LISTING_PAGES={self.max_pages}",
                       complete=False, level=logging.ERROR)
        return self._next(seen.next_link, seen.cursor or "")

    def after_status(self, status: int | None) -> Step | None:
        """The step after a batch that answered an error; None: a failure, not an end."""
        if status == 404 and self.number > 1:
            return self._failed_or_end("answers 404")
        return None

    def unreadable(self, detail: str) -> PaginationFailed:
        """A batch that is neither cards nor JSON of the expected shape."""
        return PaginationFailed(f"asked batch {self.number} at {self.url} ({self._source()}); "
                                f"it {detail}")

    def _next(self, link: NextLink | None, cursor: str = "") -> Step:
        n = self.number
        if link is not None:
            self.follows_links = True
            if link.url in self.requested:
                return End(f"page {n}'s next link ({link.mechanism}) leads back to {link.url}",
                           level=logging.WARNING, loop=True)
            return self._ask(link.url, link.mechanism, n + 1)
        if self.follows_links:
            return End(f"page {n} links no next page")
        section_path = self.site.section_paths[self.lang]
        ask = batch_ask(self.site, self.base_url, section_path, self.lang, n + 1, cursor)
        if ask is None or ask.key in self.requested:
            return End(f"ANALYTICS_PAGE_URL gives no new URL for page {n + 1}: "
                       f"{ask.url if ask else None}", complete=False, level=logging.ERROR)
        return self._ask(ask.url, TEMPLATE, n + 1, ask)

    def _ask(self, url: str, how: str, number: int = 1, ask: BatchAsk | None = None) -> Next:
        self.number, self.url, self.how = number, url, how
        self.requested.add(ask.key if ask else url)
        return Next(url, how, ask)

    def _failed_or_end(self, came_back: str, loop: bool = False) -> Step:
        """Page 2 after a full page 1: the pagination was not understood. Later: the end."""
        if self.number == 2 and self.first_page_cards >= self.site.page_size:
            return PaginationFailed(
                f"asked page 2 at {self.url} ({self._source()}) after a full page 1 of "
                f"{self.first_page_cards} cards (ANALYTICS_PAGE_SIZE={self.site.page_size}); "
                f"it {came_back}: the site does not page this way (see docs/crawling.md, "
                "'How pagination is followed')")
        return End(f"page {self.number} {came_back}", loop=loop,
                   level=logging.WARNING if loop else logging.INFO)

    def _source(self) -> str:
        """How the URL of the batch asked for last was found, for a failure message."""
        if self.how == TEMPLATE:
            return f"built from ANALYTICS_PAGE_URL={self.site.page_url!r}"
        if self.how == FIRST_PAGE:
            return "the section path, ANALYTICS_SECTION_PATHS"
        return f"the listing's own {self.how} link"
