"""Item pipelines, in order: normalise -> validate -> deduplicate -> export.

Each step is small and does one thing. A step that refuses an article raises
``Rejected`` (a ``DropItem``): the ``RejectsLog`` extension writes it to the run's
rejects with its reason and counts it, so nothing is dropped silently.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from crawler import statkeys
from crawler.exceptions import Duplicate, Rejected
from crawler.items import OPTIONAL_FIELDS, Article, FetchFailure, RawArticle
from crawler.normalize import FieldError, fetched_form, normalize_article
from crawler.runs.files import LineFile
from crawler.runs.paths import RunPaths
from crawler.runs.start import require_run
from crawler.state.keeper import CrawlState
from crawler.urls import UrlSet, canonical_url
from crawler.validation import RecordCheck, article_schema

logger = logging.getLogger(__name__)


class _CrawlerComponent:
    """A component that keeps its crawler (Scrapy passes it to ``from_crawler``)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        assert crawler.stats is not None
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Any:
        return cls(crawler)


class NormalizePipeline(_CrawlerComponent):
    """Raw page strings -> typed ``Article`` (dates, views, text, body, URL, id)."""

    def process_item(self, item: Any) -> Any:
        if isinstance(item, FetchFailure):
            raise Rejected(item.reason, item.detail, item.url, {},
                           None if item.reason == "bad_url"
                           else canonical_url(item.url, item.url, item.base_url))
        if not isinstance(item, RawArticle):
            return item
        try:
            article, problems = normalize_article(item)
        except FieldError as error:
            raise Rejected(error.reason, str(error), item.fetched_url, item.found(),
                           fetched_form(item)) from None
        for problem in problems:
            self.stats.inc_value(statkeys.field_problem(problem.reason))
            logger.warning("%s <%s>: field left null", problem, item.fetched_url)
        return article


class ValidatePipeline(_CrawlerComponent):
    """Checks each record against the published JSON Schema."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.check = RecordCheck(article_schema())

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, Article):
            return item
        record = item.record
        error = self.check.first_error(record)
        if error is not None:
            where = ".".join(str(part) for part in error.absolute_path) or "record"
            raise Rejected(f"schema_{where}", error.message, item.url, record,
                           item.fetched_form or item.url)
        return item


class DeduplicatePipeline(_CrawlerComponent):
    """Lets each article through once per run (two URL forms, a card seen twice).

    Kept by canonical URL, which the id is a digest of: that string is the one the ledger and
    the claims already hold (``urls.canonical_url`` interns it), so the set costs a slot an
    article, not a 20-character id string besides (1.4 MB at 20,000 articles).
    """

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.seen = UrlSet()

    def process_item(self, item: Any) -> Any:
        if isinstance(item, Article):
            if item.url in self.seen:
                self.stats.inc_value(statkeys.DUPLICATES)
                raise Duplicate(f"already delivered in this run: {item.url}", log_level="DEBUG")
            self.seen.add(item.url)
        return item


class ExportPipeline(_CrawlerComponent):
    """Appends each record as one whole line to ``articles/<run>.jsonl`` and counts it.

    The write and its fsync run on one worker thread, one line after the other as before,
    and the item goes on (to the state) only once its line is on disk; meanwhile the
    reactor keeps downloading and parsing instead of waiting for the disk (an fsync is
    0.2 to 2 ms here: a tenth of the time of a crawl at 100 pages/s). Without the fsync
    (``ANALYTICS_FSYNC`` off, ``scrapy reextract``) the line is written here: a write to the
    page cache costs less than the hand-off to the thread.
    """

    def __init__(self, crawler: Crawler) -> None:
        require_run(crawler.settings, "ExportPipeline")
        super().__init__(crawler)
        settings = crawler.settings
        self.file = LineFile(RunPaths.of(settings).articles,
                             fsync=settings.getbool("ANALYTICS_FSYNC"))
        self.disk = ThreadPoolExecutor(max_workers=1, thread_name_prefix="export")

    async def process_item(self, item: Any) -> Any:
        if isinstance(item, Article):
            record = item.record
            if self.file.fsync:
                await asyncio.get_running_loop().run_in_executor(self.disk, self.file.write, record)
            else:  # a write to the page cache: cheaper here than the hand-off to the thread
                self.file.write(record)
            self.stats.inc_value(statkeys.records())
            self.stats.inc_value(statkeys.records(item.lang))
            for name in OPTIONAL_FIELDS:
                if record[name] is not None:
                    self.stats.inc_value(statkeys.field_present(name))
                    self.stats.inc_value(statkeys.field_present(name, item.lang))
        return item

    def close_spider(self) -> None:
        self.disk.shutdown(wait=True)
        self.file.close()


class ProvenancePipeline(_CrawlerComponent):
    """Counts, for each delivered record, the layer each field came from (per language) and
    where the selectors and the structured data were compared, whether they disagreed."""

    def process_item(self, item: Any) -> Any:
        if isinstance(item, Article):
            for name, layer in item.provenance.items():
                self.stats.inc_value(statkeys.provenance(name, layer))
                self.stats.inc_value(statkeys.provenance(name, layer, item.lang))
            for name, agreed in item.agreement.items():
                self.stats.inc_value(statkeys.layers_compared(name))
                if not agreed:
                    self.stats.inc_value(statkeys.layers_disagreed(name))
                    logger.info("The selectors and the structured data disagree on %s <%s>",
                                name, item.url)
        return item


class StatePipeline(_CrawlerComponent):
    """After the line is on disk: records the delivery, its views and its URL forms (and
    closes the reject it was, under either form).

    The store is the crawl's own (``CrawlState``), opened as the crawl was set up.
    """

    def __init__(self, crawler: Crawler) -> None:
        require_run(crawler.settings, "StatePipeline")
        if not crawler.settings.getbool("ANALYTICS_USE_STATE"):
            raise NotConfigured("ANALYTICS_USE_STATE is off (scrapy reextract): the state is "
                                "left as it is")
        super().__init__(crawler)
        self.run_id = crawler.settings["ANALYTICS_RUN_ID"]
        self.state = CrawlState.of(crawler).store

    def process_item(self, item: Any) -> Any:
        if isinstance(item, Article):
            state = self.state
            with state.transaction():  # one commit an item, not three
                changed = state.record_delivery(item.record, self.run_id, commit=False)
                if item.fetched_form:
                    state.remember_url_form(item.fetched_form, item.url)
                    state.close_reject(item.fetched_form, item.scraped_at, self.run_id)
            if changed:
                self.stats.inc_value(statkeys.ARTICLES_CHANGED)
        return item
