"""How a listing leads to its next batch of cards, and whether that batch brings new ones.

The check finds page 2 where a crawl would (``crawler.walk``): page 1's own link first
(``ListingPage.next_link``: rel=next, the pager's next link, a numbered pager, a load-more
element with a URL), else the ``ANALYTICS_PAGE_URL`` template; ``read_batch`` reads the
batch as HTML cards or JSON. Where that brings no new cards after a full page 1, the other
templates the site is known to have used (``site.PAGE_URL_CANDIDATES``) are tried, and the
one that works is printed as the setting to use.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from scrapy.http import TextResponse

from crawler.pages import JsonBatch, ListingPage, UnreadableBatch, read_batch
from crawler.site import SiteProfile
from crawler.sitecheck.checks import Fetched, article_urls
from crawler.sitecheck.findings import FAIL, PASS, UNSEEN, Findings
from crawler.urls import page_url
from crawler.walk import TEMPLATE


def detect_pagination(response: TextResponse, site: SiteProfile, base_url: str,
                      lang: str) -> tuple[str, str | None]:
    """(mechanism, URL of batch 2) of ``lang``'s page 1, found as the crawl finds it: a
    mechanism of ``ListingPage.next_link``, else ``page_url`` (the template)."""
    link = ListingPage(response, site).next_link(base_url)
    if link is not None:
        return link.mechanism, link.url
    return TEMPLATE, template_url(site.page_url, response, site, base_url, lang)


def template_url(template: str, first: TextResponse, site: SiteProfile, base_url: str,
                 lang: str) -> str | None:
    """Batch 2 of the listing whose page 1 is ``first``, built from ``template``."""
    return page_url(template, base_url, urlsplit(first.url).path, lang, 2, site.page_size,
                    extra_hosts=site.extra_hosts)


@dataclass(frozen=True)
class Batch:
    """A next batch asked for: how its URL was found, the URL, and what came back."""

    mechanism: str
    url: str | None
    answer: Fetched | None
    template: str | None = None  # the ANALYTICS_PAGE_URL that built it, if one did

    def read(self, site: SiteProfile, base_url: str,
             first_urls: tuple[str, ...]) -> tuple[list[str], str]:
        """(article URLs page 1 did not show, what the batch was) of this batch."""
        if self.url is None:
            return [], "page 1 leads to no next batch"
        if self.answer is None or isinstance(self.answer, str):
            return [], f"{self.url}: {self.answer or 'not asked'}"
        try:
            batch = read_batch(self.answer, site)
            urls = article_urls(self.answer, site, base_url)
        except UnreadableBatch as error:
            return [], f"{self.url} {error}"
        new = [url for url in urls if url not in first_urls]
        kind = "JSON batch" if isinstance(batch, JsonBatch) else "HTML"
        if not urls:
            return [], f"{self.url} has no cards"
        if not new:
            return [], f"{self.url} repeats page 1's {len(urls)} cards: the site ignores it"
        return new, f"{self.url} ({kind}) has {len(new)} further cards"

    def describe(self) -> str:
        """The mechanism as a person reads it."""
        if self.template is None:
            return f"page 1's own {self.mechanism} link"
        return f"ANALYTICS_PAGE_URL={self.template!r}"


@dataclass(frozen=True)
class PaginationProbe:
    """One language's page 1 and the next batches asked for, the crawl's own way first."""

    lang: str
    first_urls: tuple[str, ...]
    batches: tuple[Batch, ...]


def judge_pagination(out: Findings, probe: PaginationProbe, site: SiteProfile,
                     base_url: str) -> None:
    """A verdict on one language's pagination, and the setting when another way works.

    A page 1 with fewer cards than ``ANALYTICS_PAGE_SIZE`` is a section of one short page:
    its walk rightly ends there. After a full page 1, no new cards the crawl's way fails.
    """
    expected = ("batch 2, found as the crawl finds it (page 1's own link, else "
                "ANALYTICS_PAGE_URL), brings further cards")
    count = len(probe.first_urls)
    if not count or not probe.batches:
        out.add(probe.lang, "pagination", UNSEEN, expected, "not checked: page 1 has no cards")
        return
    crawls, *others = probe.batches
    new, seen = crawls.read(site, base_url, probe.first_urls)
    if new:
        out.add(probe.lang, "pagination", PASS, expected, f"{crawls.describe()}: {seen}")
        return
    if count < site.page_size:
        out.add(probe.lang, "pagination", PASS, expected,
                f"a section of one short page ({count} cards, a full page has "
                f"{site.page_size}: ANALYTICS_PAGE_SIZE): {seen}, the walk ends there")
        return
    tried = [f"{crawls.describe()}: {seen}"]
    for batch in others:
        new, seen = batch.read(site, base_url, probe.first_urls)
        if new and batch.template is not None:
            out.add(probe.lang, "pagination", FAIL, expected,
                    f"{tried[0]}; but {batch.describe()} works: {seen} (set below)")
            out.suggest("ANALYTICS_PAGE_URL", batch.template)
            return
        tried.append(f"{batch.describe()}: {seen}")
    out.add(probe.lang, "pagination", FAIL, expected,
            f"page 1 is full ({count} cards) and no way to page 2 works: {'; '.join(tried)}; "
            "find what the page's script loads: scrapy sitecheck --browser (docs/sitecheck.md)")
