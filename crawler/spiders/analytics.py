"""The ``analytics`` spider: which pages to ask for, in what order, and when to stop.

Per language it walks the section's listing pages in order and follows only the
listing's cards; each article page becomes a ``RawArticle`` for the pipelines.
Selectors and formats live in ``crawler.site`` and ``crawler.pages``, not here.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from crawler.arguments import CrawlArguments
from crawler.items import FetchFailure
from crawler.normalize import FieldError, format_utc, parse_site_date
from crawler.pages import ArticlePage, Card, ListingPage
from crawler.runconfig import apply_run_settings
from crawler.site import SiteProfile
from crawler.urls import canonical_url, fetch_url, listing_url

#: Articles before the next listing page: the queue stays short and memory flat.
ARTICLE_PRIORITY = 10


def http_status(failure: Failure) -> int | None:
    """The HTTP status of a failure that is an error response; None for network errors."""
    error = failure.value
    return error.response.status if isinstance(error, HttpError) else None


class AnalyticsSpider(Spider):
    """Every article of the Analytics section, in every language asked for."""

    name = "analytics"

    def __init__(self, arguments: CrawlArguments, site: SiteProfile, max_pages: int,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.arguments = arguments
        self.site = site
        self.max_pages = max_pages
        self.allowed_domains = [urlsplit(arguments.base_url).hostname or ""]
        self.fetched_canonical: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> AnalyticsSpider:
        settings = crawler.settings
        arguments = CrawlArguments.parse(kwargs, settings["ANALYTICS_BASE_URL"])
        apply_run_settings(settings, arguments)
        spider: AnalyticsSpider = super().from_crawler(
            crawler, arguments=arguments, site=SiteProfile.from_settings(settings),
            max_pages=settings.getint("ANALYTICS_MAX_LISTING_PAGES"),
        )
        return spider

    def arguments_summary(self) -> dict[str, Any]:
        """The run's arguments, for the run summary."""
        return self.arguments.summary()

    async def start(self) -> AsyncIterator[Request]:
        for lang in self.arguments.languages:
            yield self.listing_request(lang, 1)

    def listing_request(self, lang: str, page: int) -> Request:
        url = listing_url(self.arguments.base_url, self.site.section_paths[lang], page,
                          self.site.page_param)
        return Request(url, callback=self.parse_listing, errback=self.listing_failed,
                       cb_kwargs={"lang": lang, "page": page})

    def parse_listing(self, response: Response, lang: str, page: int) -> Iterator[Request]:
        """Follows the page's cards in range, then the next page unless the walk is over."""
        assert isinstance(response, TextResponse)
        cards = ListingPage(response, self.site).cards()
        self.crawler.stats.inc_value(f"analytics/listing_pages/{lang}")
        reached_older = False
        for card in cards:
            verdict = self.card_verdict(card)
            reached_older = reached_older or verdict == "older"
            if verdict == "fetch":
                request = self.article_request(card.href, response.url)
                if request is not None:
                    yield request
        if not cards:
            self.logger.info("Listing %s ends at page %d (no cards)", lang, page)
        elif reached_older:
            self.logger.info("Listing %s: page %d reaches before since=%s", lang, page,
                             self.arguments.since)
        elif page >= self.max_pages:
            self.logger.error("Listing %s: stopped at ANALYTICS_MAX_LISTING_PAGES=%d", lang, page)
        else:
            yield self.listing_request(lang, page + 1)

    def card_verdict(self, card: Card) -> str:
        """'fetch', 'newer' (after ``until``) or 'older' (before ``since``), by the card's date."""
        since, until = self.arguments.since, self.arguments.until
        if not (since or until) or not card.date_text:
            return "fetch"
        try:
            day = parse_site_date(card.date_text).date()
        except FieldError:
            return "fetch"  # the article page's own date decides
        if since and day < since:
            return "older"
        if until and day > until:
            return "newer"
        return "fetch"

    def article_request(self, href: str, page_url: str) -> Request | None:
        """A request for a card's article on the base URL's host; None if not to be fetched."""
        url = fetch_url(href, page_url, self.arguments.base_url)
        if url is None:
            self.crawler.stats.inc_value("analytics/cards_offsite")
            return None
        if canonical_url(url, page_url, self.arguments.base_url) in self.fetched_canonical:
            self.crawler.stats.inc_value("analytics/cards_already_fetched")
            return None
        return Request(url, callback=self.parse_article, errback=self.article_failed,
                       priority=ARTICLE_PRIORITY)

    def parse_article(self, response: Response) -> Iterator[Any]:
        assert isinstance(response, TextResponse)
        raw = ArticlePage(response, self.site).to_raw(self.arguments.base_url,
                                                      format_utc(datetime.now(UTC)))
        href = raw.canonical_href or raw.og_url or raw.fetched_url
        self.fetched_canonical.add(canonical_url(href, raw.fetched_url, self.arguments.base_url))
        yield raw

    def listing_failed(self, failure: Failure) -> None:
        """A listing page that failed: a 404 past page 1 is the end; anything else is loud."""
        request = failure.request  # type: ignore[attr-defined]
        page = request.cb_kwargs["page"]
        if http_status(failure) == 404 and page > 1:
            self.logger.info("Listing %s ends at page %d (404)", request.cb_kwargs["lang"], page)
            return
        self.crawler.stats.inc_value("analytics/listing_failed")
        self.logger.error("Listing page failed, the rest of %s is not crawled: %s <%s>",
                          request.cb_kwargs["lang"], failure.getErrorMessage(), request.url)

    def article_failed(self, failure: Failure) -> Iterator[FetchFailure]:
        """An article page that failed after its retries: logged and sent to the rejects.

        A request refused on purpose (robots.txt, another host) is no failure: counted only.
        """
        request = failure.request  # type: ignore[attr-defined]
        if failure.check(IgnoreRequest):
            self.crawler.stats.inc_value("analytics/articles_not_allowed")
            self.logger.info("Article not fetched: %s <%s>", failure.getErrorMessage(),
                             request.url)
            return
        status = http_status(failure)
        reason = f"http_{status}" if status else type(failure.value).__name__
        self.logger.error("Article not fetched (%s): %s <%s>", reason, failure.getErrorMessage(),
                          request.url)
        yield FetchFailure(url=request.url, reason=reason, detail=failure.getErrorMessage())
