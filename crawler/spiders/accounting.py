"""What the ``analytics`` spider tells its ledger about the URLs it learns and does not fetch
(``crawler.ledger``): a card excluded by a named rule, a link no request can be made of, a
URL that gave no page. A mixin of the spider, kept apart so the spider stays about walking.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass

from scrapy.crawler import Crawler
from scrapy.http import Response, TextResponse

from crawler import statkeys
from crawler.arguments import CrawlArguments
from crawler.items import FetchFailure
from crawler.ledger import Ledger
from crawler.state.retries import is_permanent
from crawler.urls import canonical_url, link_problem

logger = logging.getLogger("analytics")  # the spider's own logger name


@dataclass
class CardTally:
    """What the cards of one listing batch showed its walk (``crawler.walk.BatchSeen``)."""

    new_cards: int = 0
    article_cards: int = 0
    reached_older: bool = False
    reached_known: bool = False


class LedgerSpider:
    """The spider's side of the ledger (``AnalyticsSpider`` has these attributes)."""

    ledger: Ledger
    url_length_limit: int
    arguments: CrawlArguments
    crawler: Crawler

    def unfetched(self, learned: str | None, url: str, reason: str, detail: str
                  ) -> FetchFailure:
        """A reject for a learned URL that gave no page to parse."""
        log = logger.warning if is_permanent(reason) else logger.error
        log("Article not fetched (%s): %s <%s>", reason, detail, url[:300])
        return FetchFailure(url=url, reason=reason, detail=detail,
                            base_url=self.arguments.base_url, learned=learned)

    def unreadable_answer(self, response: Response, learned: str | None) -> FetchFailure | None:
        """A reject for an article answer that is no page to parse: not text (an image), or
        in a ``Content-Encoding`` Scrapy did not decode (one it does not know, or
        ``COMPRESSION_ENABLED`` off): its bytes are never read as a page."""
        if encoding := response.headers.get("Content-Encoding"):
            return self.unfetched(learned, response.url, "fetch_encoding_unknown",
                                  f"the answer is encoded {encoding.decode('latin-1')!r}, "
                                  "which Scrapy did not decode")
        if not isinstance(response, TextResponse):
            return self.unfetched(learned, response.url, "not_text",
                                  f"the page is {type(response).__name__}, not text")
        return None

    def listing_too_long(self, lang: str, url: str) -> bool:
        """True (and the run's ``listings`` check failed) for a listing URL over
        ``URLLENGTH_LIMIT``, which Scrapy would drop with an INFO line."""
        if not self.url_length_limit or len(url) <= self.url_length_limit:
            return False
        self.crawler.stats.inc_value(statkeys.LISTING_FAILED)
        logger.error("Listing batch not asked for, the rest of %s is not crawled: its URL has "
                     "%d characters (URLLENGTH_LIMIT=%d): %s…", lang, len(url),
                     self.url_length_limit, url[:200])
        return True

    def exclude(self, url: str, lang: str, rule: str) -> None:
        """A URL learned from a card that is not asked for, by the named ``rule``."""
        self.crawler.stats.inc_value(statkeys.cards_skipped(rule))
        if self.ledger.learn(url, lang, "card"):
            self.ledger.settle(url, "known" if rule == "known" else "excluded", rule)

    def card_not_followed(self, href: str, page_url: str, lang: str) -> Iterator[FetchFailure]:
        """A card whose link is not fetched: another host or not http (excluded), or a link
        that cannot be parsed (a ``bad_url`` reject; the page's other cards go on)."""
        problem = link_problem(href, page_url, self.arguments.base_url) or "not_an_article"
        if problem != "bad_url":
            self.exclude(canonical_url(href, page_url, self.arguments.base_url), lang, problem)
        elif self.ledger.learn(href.strip(), lang, "card"):
            yield self.unfetched(href.strip(), href.strip(), "bad_url",
                                 f"the card's link cannot be parsed: {href[:200]!r}")

    def card_failed(self, href: str, page_url: str, lang: str, error: Exception
                    ) -> Iterator[FetchFailure]:
        """A card whose handling raised (a bug, logged with its traceback): a
        ``callback_error`` reject naming the card; the batch's other cards and its walk go
        on."""
        logger.error("Listing card not followed (callback_error) <%s> on <%s>", href[:300],
                     page_url, exc_info=(type(error), error, error.__traceback__))
        reason = "callback_error"
        try:
            learned = canonical_url(href, page_url, self.arguments.base_url)
        except Exception:  # the link itself raised: it cannot be parsed
            learned, reason = href.strip(), "bad_url"
        if self.ledger.learn(learned, lang, "card") or self.ledger.entries[learned].outcome is None:
            yield FetchFailure(url=learned, reason=reason, base_url=self.arguments.base_url,
                               detail=f"the card on {page_url[:300]} raised "
                                      f"{type(error).__name__}: {error}", learned=learned)
