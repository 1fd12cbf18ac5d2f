"""The fetching of ``scrapy sitecheck``: the crawl's own downloader, one page at a time.

``SiteCheckSpider`` asks for every page through Scrapy's engine with the project's
settings, so the check meets the site exactly as a crawl does: robots.txt first, the
crawler's User-Agent, ``DOWNLOAD_DELAY`` (and AutoThrottle), retries with the project's
backoff, the ``Retry-After`` pause (``SitePauseMiddleware``), ``DOWNLOAD_MAXSIZE``, and no
redirect to another host (the crawl's ``allowed_domains``). Pages go to the pure checks of
``crawler.sitecheck.checks``. It is not in ``SPIDER_MODULES``: ``scrapy crawl`` does not
offer it; ``scrapy sitecheck`` runs it.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import TextResponse
from twisted.python.failure import Failure

from crawler.doors import OffsiteRequest, RobotsUnavailable, failure_reason
from crawler.middlewares import nothing_answers
from crawler.monitors import coverage_thresholds
from crawler.runs.start import check_site
from crawler.site import LANGUAGE_PREFIXES, PAGE_URL_CANDIDATES, SiteProfile
from crawler.sitecheck.checks import (
    UNREACHABLE,
    ArticleSample,
    Fetched,
    RedirectedOffsite,
    check_articles,
    check_cards,
    check_listing_path,
    check_section,
)
from crawler.sitecheck.findings import Findings
from crawler.sitecheck.pagination import (
    PaginationProbe,
    first_step,
    judge_pagination,
    read_batch_2,
)
from crawler.spiders.walking import LISTING_META
from crawler.urls import allowed_domains, listing_key, listing_url, origin_of
from crawler.walk import TEMPLATE, Next

#: What ``fetch`` answers for a page robots.txt forbids: skipped, as the crawl skips it.
ROBOTS_FORBIDDEN = "robots.txt forbids it"
#: Sampled articles that may fail (after their retries) before a language stops sampling.
MAX_FAILED_ARTICLES = 3


def as_request(step: Next) -> str | Request:
    """Batch 2 as the crawl asks it: a template's batch with its method, body and headers."""
    return Request(step.url, **step.ask.request_options()) if step.ask else step.url


class SiteCheckSpider(Spider):
    """Checks the site in three rounds: the section and page 1 of each language, the next
    batch of each listing, then a few articles of each."""

    name = "sitecheck"
    #: A host where nothing answers fails its checks at once (``SitePauseMiddleware``);
    #: the report is still written.
    ends_when_unreachable = False
    # A check writes nothing: no records, no run files, no run summary.
    custom_settings = {"ITEM_PIPELINES": {}, "EXTENSIONS": {}}  # noqa: RUF012 (Scrapy's)

    def __init__(self, base_url: str, languages: tuple[str, ...], articles: int,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.base_url = base_url
        self.languages = languages
        self.articles = max(1, articles)
        self.allowed_domains = allowed_domains(base_url)
        self.findings = Findings()
        self.site = SiteProfile()
        self.coverage: dict[str, float] = {}
        self.min_records = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> SiteCheckSpider:
        settings = crawler.settings
        site = check_site(settings, kwargs["base_url"])
        spider: SiteCheckSpider = super().from_crawler(crawler, *args, **kwargs)
        spider.site = site
        spider.allowed_domains = allowed_domains(spider.base_url, spider.site.extra_hosts)
        spider.coverage = coverage_thresholds(settings)
        spider.min_records = settings.getint("ANALYTICS_MONITOR_COVERAGE_MIN_RECORDS")
        return spider

    async def start(self) -> AsyncIterator[Request]:
        """Runs the whole check here, awaiting each page; yields no request of its own."""
        started = time.monotonic()
        try:
            await self.check_site()
        except Exception as error:  # a defect of the check itself: reported, not hidden
            self.logger.exception("Site check stopped")
            self.findings.aborted = f"{type(error).__name__}: {error}"
        self.findings.seconds = time.monotonic() - started
        return
        yield  # an async generator without requests: the engine waits for it to end

    async def fetch(self, url: str | Request) -> Fetched:
        """The page at ``url`` (or the request) through the downloader, or why there is none."""
        assert self.crawler.engine is not None
        request = url if isinstance(url, Request) else Request(url)
        request.meta.update(LISTING_META)  # another host is refused by name, as in a crawl
        try:
            response = await self.crawler.engine.download_async(request)
        except OffsiteRequest as error:
            return RedirectedOffsite(error.url, error.hosts)
        except RobotsUnavailable as error:  # robots.txt had no answer: RFC 9309 disallows all
            words = nothing_answers(error.__cause__) if error.__cause__ else None
            if words is not None:
                return f"{UNREACHABLE} at {urlsplit(request.url).netloc} ({words})"
            return f"no answer ({error})"
        except IgnoreRequest as error:  # robots.txt, or a redirect to another host
            return ROBOTS_FORBIDDEN if "robots.txt" in str(error) else f"not followed: {error}"
        except Exception as error:  # failed after its retries (timeouts, resets, size cap)
            words = nothing_answers(error)
            if words is not None:
                return f"{UNREACHABLE} at {urlsplit(request.url).netloc} ({words})"
            return f"no answer ({failure_reason(Failure(error))}: {error})"
        retries = int(response.meta.get("retry_times", 0))
        if response.status != 200:
            return f"HTTP {response.status}" + (f" after {retries} retries" if retries else "")
        if not isinstance(response, TextResponse):
            kind = response.headers.get("Content-Type") or b"no Content-Type"
            return f"not a web page ({kind.decode('latin-1')})"
        return response

    async def check_site(self) -> None:
        """Every language's section and page 1, then each one's batch 2, then articles."""
        firsts: dict[str, tuple[TextResponse, list[str]]] = {}
        for lang in self.languages:
            first = await self.check_listing(lang)
            if first is not None:
                firsts[lang] = first
        for lang, (page, urls) in firsts.items():
            probe = await self.probe_pagination(lang, page, tuple(urls))
            judge_pagination(self.findings, probe)
        for lang, (_, urls) in firsts.items():
            await self.sample_articles(lang, urls)

    async def check_listing(self, lang: str) -> tuple[TextResponse, list[str]] | None:
        """The home page's menu, the listing's page 1 and its cards; page 1 and card URLs."""
        configured = self.site.section_paths[lang]
        scheme, netloc = origin_of(self.base_url)
        home = await self.fetch(f"{scheme}://{netloc}{LANGUAGE_PREFIXES[lang]}")
        first = await self.fetch(listing_url(self.base_url, configured))
        found = check_section(self.findings, lang, home, self.site, self.base_url,
                              listing_works=not isinstance(first, str))
        check_listing_path(self.findings, lang, configured, first)
        if found is not None:
            corrected = dict(self.findings.settings.get("ANALYTICS_SECTION_PATHS")
                             or self.site.section_paths)
            corrected[lang] = found
            self.findings.suggest("ANALYTICS_SECTION_PATHS", corrected)
            if isinstance(first, str):  # the rest is checked where the menu leads
                first = await self.fetch(listing_url(self.base_url, found))
        if isinstance(first, str):
            return None
        return first, check_cards(self.findings, lang, first, self.site, self.base_url)

    async def probe_pagination(self, lang: str, first: TextResponse,
                               urls: tuple[str, ...]) -> PaginationProbe:
        """Batch 2 the crawl's way; where that fails and page 1 links nothing (the template
        stood in), each other known template until one brings further cards."""
        if not urls:
            return PaginationProbe(lang, urls, None)
        walk, step = first_step(lang, first, self.site, self.base_url)
        if not isinstance(step, Next):
            return PaginationProbe(lang, urls, step)
        template = self.site.page_url if step.how == TEMPLATE else None
        batches = [read_batch_2(walk, step, await self.fetch(as_request(step)), self.base_url, urls,
                                template)]
        if template is None or batches[0].passes:
            return PaginationProbe(lang, urls, step, tuple(batches))
        asked = {listing_key(step.url)}
        for candidate in PAGE_URL_CANDIDATES:
            walk, other = first_step(lang, first, self.site, self.base_url, candidate)
            if not isinstance(other, Next) or listing_key(other.url) in asked:
                continue
            asked.add(listing_key(other.url))
            answer = await self.fetch(as_request(other))
            batches.append(read_batch_2(walk, other, answer, self.base_url, urls, candidate))
            if batches[-1].passes and batches[-1].further:
                break
        return PaginationProbe(lang, urls, step, tuple(batches))

    async def sample_articles(self, lang: str, urls: list[str]) -> None:
        """Up to ``articles`` articles of page 1, fewer once every field has shown up; one
        that fails after its retries is replaced by the next card's."""
        sample = ArticleSample(self.site, self.base_url, self.site.views_labels.get(lang, ""))
        for url in urls:
            if (sample.read >= self.articles or (sample.read and sample.complete)
                    or len(sample.problems) >= MAX_FAILED_ARTICLES):
                break
            page = await self.fetch(url)
            if page != ROBOTS_FORBIDDEN:  # the crawl skips these cards too
                sample.add(url, page)
        check_articles(self.findings, lang, sample, self.coverage, self.min_records)
