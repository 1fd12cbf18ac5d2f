"""Records rebuilt from a run's archive with today's code and settings (``scrapy reextract``).

The ``reextract`` spider reads one archive (``archive/<run>.warc.gz``) and turns every
article page the site answered with 200 into a ``RawArticle`` through the very page object
of a crawl, then the item goes through the crawl's own pipelines into a new run's files. The
page's response is built as a crawl builds it (``responsetypes``, then Scrapy's
``HttpCompressionMiddleware`` for the ``Content-Encoding`` the site sent), and the record
keeps the fetch's instant as ``scraped_at``. No request is sent to any host, and the
incremental state is left as it is (the state pipeline is off, the state never opened).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.exceptions import CloseSpider, NotConfigured
from scrapy.http import Headers, Response, TextResponse
from scrapy.responsetypes import responsetypes
from scrapy.settings import BaseSettings

from crawler import statkeys
from crawler.archive.reader import (
    INFO_RUN_ID,
    HttpMessage,
    StoredRecord,
    archive_arguments,
    archive_info,
    archive_records,
)
from crawler.items import FetchFailure, RawArticle
from crawler.ledger import crawl_ledger
from crawler.pages import ArticlePage
from crawler.runs.instants import FETCHED_AT
from crawler.runs.paths import RunPaths, run_files
from crawler.runs.start import freeze_startup_objects
from crawler.site import SiteProfile, is_article_path, language_of_path
from crawler.urls import canonical_url

#: Overrides of a re-extraction: no state, no archive of its own, nothing to download.
REEXTRACT_SETTINGS: dict[str, Any] = {
    "ANALYTICS_USE_STATE": False,
    "ANALYTICS_ARCHIVE": False,
    "ROBOTSTXT_OBEY": False,
}
#: Defaults of a re-extraction that ``-s`` may still change. No fsync per line: a crawl's
#: fsync makes a line delivered before the state records it, but a re-extraction has no
#: state and can be redone from its archive; its file is fsynced once, when it closes,
#: before the run summary says it is complete (0.18 ms of CPU a page, docs/benchmarks.md).
REEXTRACT_DEFAULTS: dict[str, Any] = {
    "ANALYTICS_FSYNC": False,
}


def archived_response(record: StoredRecord, message: HttpMessage,
                      decoder: HttpCompressionMiddleware | None) -> Response:
    """The response a crawl would have handed its spider for an archived 200 answer: the
    class ``responsetypes`` picks, decoded by ``decoder`` (Scrapy's HttpCompressionMiddleware)."""
    url = record.fields["WARC-Target-URI"]
    headers = Headers(message.headers)
    request = Request(url, meta={FETCHED_AT: record.fields["WARC-Date"]})
    response_class = responsetypes.from_args(headers=headers, url=url, body=message.body)
    response: Response = response_class(
        url, status=200, headers=headers, body=message.body, request=request,
        protocol=message.protocol or None)
    if decoder is not None:
        decoded = decoder.process_response(request, response)
        assert isinstance(decoded, Response)
        response = decoded
    return response


def archives(output_dir: Path) -> dict[str, Path]:
    """Run id -> archive, for every ``archive/<run>.warc.gz`` under ``output_dir``, oldest
    first."""
    return run_files(output_dir, "archive")


class ReextractSpider(Spider):
    """Yields the article pages of one archive as items; it makes no request."""

    name = "reextract"

    def __init__(self, archive: Path, archive_run: str, arguments: dict[str, Any],
                 site: SiteProfile, whole_only: bool, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.archive = archive
        self.archive_run = archive_run
        self.arguments = arguments
        self.site = site
        self.whole_only = whole_only
        self.decoder: HttpCompressionMiddleware | None = None

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        super().update_settings(settings)
        for name, value in REEXTRACT_SETTINGS.items():
            settings.set(name, value, priority="cmdline")
        for name, value in REEXTRACT_DEFAULTS.items():
            settings.set(name, value, priority="spider")

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> ReextractSpider:
        """``archive``: the archive's path; ``run_id``: the id of the run it writes."""
        settings = crawler.settings
        archive = Path(kwargs.pop("archive"))
        settings.set("ANALYTICS_RUN_ID", kwargs.pop("run_id"), priority="cmdline")
        info = archive_info(archive)
        archive_run = info[INFO_RUN_ID]
        # A run that wrote no summary is running or was killed: only its whole records.
        closed = RunPaths(archive.parent.parent, archive_run).summary.exists()
        spider: ReextractSpider = super().from_crawler(
            crawler, *args, archive=archive, archive_run=archive_run,
            arguments=archive_arguments(info), site=SiteProfile.from_settings(settings),
            whole_only=not closed, **kwargs)
        if not closed:
            spider.logger.warning("Run %s has no summary (it is running or was killed): "
                                  "only the whole records of its archive are read", archive_run)
        return spider

    def arguments_summary(self) -> dict[str, Any]:
        """The archived run's arguments: the monitors judge the re-extraction like that run."""
        return self.arguments

    def source_summary(self) -> dict[str, Any]:
        """Where the run's records come from, for the run summary."""
        return {"source": "archive", "archive_run": self.archive_run,
                "archive": str(self.archive)}

    def state_summary(self, reason: str) -> dict[str, Any]:
        """Nothing: a re-extraction neither reads nor writes the state."""
        return {}

    async def start(self) -> AsyncIterator[RawArticle | FetchFailure]:
        """Every article the archive holds an answer of, learned once (its ledger's key: the
        fetched form): a 200 page parsed; a page that is no text, or a URL whose answers were
        all errors, a reject as in the crawl. A redirect has no page: its target has its own
        record."""
        stats = self.crawler.stats
        assert stats is not None
        freeze_startup_objects()
        try:
            self.decoder = HttpCompressionMiddleware.from_crawler(self.crawler)
        except NotConfigured:  # COMPRESSION_ENABLED off: a crawl would not decode either
            self.decoder = None
        ledger = crawl_ledger(self.crawler)
        base_url = self.arguments["base_url"]
        failed: dict[str, tuple[str, str]] = {}  # URL learned -> (its last URL, status)
        for record in archive_records(self.archive, whole_only=self.whole_only):
            if record.fields.get("WARC-Type") != "response":
                continue
            stats.inc_value(statkeys.REEXTRACT_RESPONSES)
            url = record.fields["WARC-Target-URI"]
            if not is_article_path(urlsplit(url).path):  # listings, robots.txt: not parsed
                continue
            message = HttpMessage.parse(record.block)
            status = message.status.split(" ", 1)[0]
            learned = canonical_url(url, url, base_url)
            if status != "200":
                if not status.startswith("3"):
                    failed[learned] = (url, status)
                continue
            response = archived_response(record, message, self.decoder)
            ledger.learn(learned, language_of_path(urlsplit(url).path), "archive")
            if not isinstance(response, TextResponse):
                stats.inc_value(statkeys.REEXTRACT_NOT_TEXT)
                self.logger.error("Archived article page is not text: <%s>", url)
                yield FetchFailure(url=url, reason="not_text", detail="archived",
                                   base_url=base_url, learned=learned)
                continue
            stats.inc_value(statkeys.REEXTRACT_ARTICLE_PAGES)
            yield ArticlePage(response, self.site).to_raw(base_url, response.meta[FETCHED_AT])
        for learned, (url, status) in failed.items():  # no 200 answer for it in the archive
            if ledger.learn(learned, language_of_path(urlsplit(url).path), "archive"):
                yield FetchFailure(url=url, reason=f"fetch_http_{status}", base_url=base_url,
                                   detail="the archived run's last answer", learned=learned)
        await self.items_done()
        # Scrapy looks for the end of a crawl after a response, else every 5 s: with no
        # response at all, the run ends here, once the last item is through the pipelines.
        raise CloseSpider("finished")

    async def items_done(self) -> None:
        """Wait until every item yielded is through the pipelines."""
        engine = self.crawler.engine
        assert engine is not None and engine.scraper.slot is not None
        while not engine.scraper.slot.is_idle():
            await asyncio.sleep(0.005)

