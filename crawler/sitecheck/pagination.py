"""How a listing leads to its next batch of cards, judged by the crawl's own walk.

Page 1 and batch 2 go through a ``crawler.walk.ListingWalk``, so the check finds batch 2
where a crawl would (page 1's own link or "more" control first, else ``ANALYTICS_PAGE_URL``)
and ends or fails where a crawl would: a pagination it cannot prove is ``FAIL``, never a
pass with a sentence saying the site ignored it. Where the crawl's way fails and page 1
links nothing, the other templates the site is known to have used
(``site.PAGE_URL_CANDIDATES``) are tried, and the one that works is printed as the setting.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from scrapy.http import TextResponse

from crawler.pages import BatchReading, UnreadableBatch, read_listing
from crawler.pages.listing import is_json
from crawler.site import SiteProfile
from crawler.sitecheck.checks import Fetched, RedirectedOffsite
from crawler.sitecheck.findings import FAIL, PASS, UNSEEN, Findings
from crawler.urls import listing_url
from crawler.walk import BatchSeen, Ending, ListingWalk, Next, Step

_STATUS = re.compile(r"HTTP (\d{3})\b")


def first_step(lang: str, first: TextResponse, site: SiteProfile, base_url: str,
               template: str | None = None) -> tuple[ListingWalk, Step]:
    """A walk of ``lang`` started on ``first`` (page 1, wherever it was found) with
    ``template`` as ``ANALYTICS_PAGE_URL`` (the run's when None), and its step after page 1."""
    profile = replace(site, section_paths={**site.section_paths, lang: urlsplit(first.url).path},
                      page_url=template or site.page_url)
    walk = ListingWalk(lang, profile, base_url, max_pages=3)  # the check reads batch 2 only
    walk.first()
    reading = read_listing(first, profile, base_url, 1)
    return walk, walk.after(seen_by_check(reading, len(reading.article_cards)))


def seen_by_check(reading: BatchReading, further: int) -> BatchSeen:
    """A batch as the check tells the walk: ``further`` cards page 1 did not show."""
    return BatchSeen(len(reading.cards), further, reading.next_link, reading.says_last,
                     cursor=reading.cursor, article_cards=len(reading.article_cards),
                     control=reading.control, described=reading.described)


@dataclass(frozen=True)
class Batch:
    """Batch 2 asked for: how its URL was found, the walk's step after it, what it showed."""

    mechanism: str
    url: str
    step: Step
    further: int  # article cards page 1 did not show
    seen: str
    template: str | None = None  # the ANALYTICS_PAGE_URL that built it, if one did

    @property
    def passes(self) -> bool:
        """The walk goes on, or ends on evidence, as a crawl's would."""
        return isinstance(self.step, Next) or self.step.kind.evidence

    def describe(self) -> str:
        """The mechanism as a person reads it."""
        if self.template is None:
            return f"page 1's own {self.mechanism} link"
        return f"ANALYTICS_PAGE_URL={self.template!r}"


def read_batch_2(walk: ListingWalk, asked: Next, answer: Fetched, base_url: str,
                 first_urls: tuple[str, ...], template: str | None) -> Batch:
    """The walk's step after batch 2 (``answer``: the page, or why there is none)."""
    def batch(step: Step, further: int = 0, seen: str = "") -> Batch:
        if isinstance(step, Ending) and not seen:
            seen = step.why if not step.kind.evidence else f"{step.why}: the walk ends there"
        return Batch(asked.how, asked.url, step, further, seen, template)

    if isinstance(answer, RedirectedOffsite):
        return batch(walk.redirected_offsite(answer.url, answer.hosts))
    if isinstance(answer, str):
        status = _STATUS.match(answer)
        return batch(walk.after_status(int(status.group(1)) if status else None, answer))
    try:
        reading = read_listing(answer, walk.site, base_url, 2,
                               listing_url(base_url, walk.site.section_paths[walk.lang]))
    except UnreadableBatch as error:
        return batch(walk.unreadable(str(error)))
    urls = [url for _card, url in reading.article_cards]
    further = len([url for url in urls if url not in first_urls])
    step = walk.after(seen_by_check(reading, further))
    if not further:
        return batch(step)
    kind = "JSON batch" if is_json(answer) else "HTML"
    seen = f"{asked.url} ({kind}) has {further} further cards"
    if isinstance(step, Ending):
        seen += f"; {step.why}" + ("" if step.kind.evidence else " (a crawl fails there)")
    return batch(step, further, seen)


@dataclass(frozen=True)
class PaginationProbe:
    """One language's page 1 (its article URLs, the walk's step after it) and the batches 2
    asked for, the crawl's own way first."""

    lang: str
    first_urls: tuple[str, ...]
    first: Step | None  # None: page 1 was not read
    batches: tuple[Batch, ...] = ()


def judge_pagination(out: Findings, probe: PaginationProbe) -> None:
    """A verdict on one language's pagination, and the setting when another way works."""
    expected = ("the walk, as a crawl walks it (page 1's own link or control, else "
                "ANALYTICS_PAGE_URL), goes on or ends on evidence the site shows")
    first = probe.first
    if first is None or not probe.first_urls:
        out.add(probe.lang, "pagination", UNSEEN, expected, "not checked: page 1 has no cards")
        return
    if isinstance(first, Ending):
        status = PASS if first.kind.evidence else FAIL
        out.add(probe.lang, "pagination", status, expected, f"page 1: {first.why}")
        return
    crawls, *others = probe.batches
    if crawls.passes:
        out.add(probe.lang, "pagination", PASS, expected, f"{crawls.describe()}: {crawls.seen}")
        return
    tried = [f"{crawls.describe()}: {crawls.seen}"]
    for batch in others:
        if batch.passes and batch.further:
            out.add(probe.lang, "pagination", FAIL, expected,
                    f"{tried[0]}; but {batch.describe()} works: {batch.seen} (set below)")
            out.suggest("ANALYTICS_PAGE_URL", batch.template)
            return
        tried.append(f"{batch.describe()}: {batch.seen}")
    out.add(probe.lang, "pagination", FAIL, expected,
            f"no way to page 2 works: {'; '.join(tried)}; find what the page's script "
            "loads: scrapy sitecheck --browser (docs/sitecheck.md)")
