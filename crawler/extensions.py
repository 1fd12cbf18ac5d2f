"""Run-level extensions: the rejects file, the progress line and the run summary."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.utils.asyncio import create_looping_call

from crawler import statkeys
from crawler.exceptions import Rejected
from crawler.items import OPTIONAL_FIELDS
from crawler.monitors import RunFacts, failed_checks
from crawler.runfiles import LineFile, RunPaths
from crawler.storage import write_json_atomic

logger = logging.getLogger(__name__)


def run_paths(crawler: Crawler) -> RunPaths:
    """The files of the crawler's run (its id is fixed when the spider starts)."""
    settings = crawler.settings
    return RunPaths(Path(settings["ANALYTICS_OUTPUT_DIR"]), settings["ANALYTICS_RUN_ID"])


class RejectsLog:
    """Writes every rejected article (URL, reason, fields found) to ``rejects/<run>.jsonl``."""

    def __init__(self, crawler: Crawler) -> None:
        assert crawler.stats is not None
        self.stats = crawler.stats
        self.file = LineFile(run_paths(crawler).rejects)
        crawler.signals.connect(self.item_dropped, signal=signals.item_dropped)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RejectsLog:
        return cls(crawler)

    def item_dropped(self, item: Any, response: Response | None, exception: Exception) -> None:
        if not isinstance(exception, Rejected):
            return
        self.file.write(
            {"url": exception.url, "reason": exception.reason, "detail": exception.detail,
             "found": exception.found}
        )
        self.stats.inc_value(statkeys.REJECTED)
        self.stats.inc_value(statkeys.rejected(exception.reason))

    def spider_closed(self) -> None:
        self.file.close()


class ProgressLog:
    """Logs pages, records, rejects and the page rate every ``ANALYTICS_PROGRESS_INTERVAL`` s."""

    def __init__(self, crawler: Crawler) -> None:
        assert crawler.stats is not None
        self.stats = crawler.stats
        self.interval = crawler.settings.getfloat("ANALYTICS_PROGRESS_INTERVAL")
        self.started = time.monotonic()
        self.task: Any = None
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ProgressLog:
        return cls(crawler)

    def spider_opened(self) -> None:
        if self.interval > 0:
            self.started = time.monotonic()
            self.task = create_looping_call(self.log_progress)
            self.task.start(self.interval, now=False)

    def log_progress(self) -> None:
        pages = self.stats.get_value("response_received_count", 0)
        minutes = max(time.monotonic() - self.started, 1e-9) / 60
        logger.info(
            "Progress: %d pages (%.1f/min), %d records, %d rejects, %d retries",
            pages, pages / minutes, self.stats.get_value(statkeys.RECORDS, 0),
            self.stats.get_value(statkeys.REJECTED, 0),
            self.stats.get_value("retry/count", 0),
        )

    def spider_closed(self) -> None:
        if self.task is not None and self.task.running:
            self.task.stop()


def build_summary(crawler: Crawler, spider: Spider, reason: str) -> dict[str, Any]:
    """The run summary: what ran, what came out, what went wrong, and the verdict."""
    assert crawler.stats is not None
    stats = crawler.stats.get_stats()
    paths = run_paths(crawler)
    records = int(stats.get(statkeys.RECORDS, 0))
    arguments: dict[str, Any] = getattr(spider, "arguments_summary", dict)()
    failures = failed_checks(RunFacts(stats, crawler.settings, reason, arguments))
    started = stats.get("start_time")
    return {
        "run_id": paths.run_id,
        "spider": spider.name,
        "status": "failed" if failures else "ok",
        "failed_checks": failures,
        "started_at": started.isoformat() if started else None,
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "finish_reason": reason,
        "arguments": arguments,
        "records": {"total": records, "by_lang": statkeys.by_suffix(stats, statkeys.RECORDS)},
        "rejects": {"total": int(stats.get(statkeys.REJECTED, 0)),
                    "by_reason": statkeys.by_suffix(stats, statkeys.REJECTED)},
        "duplicates": int(stats.get(statkeys.DUPLICATES, 0)),
        "requests": {
            "total": int(stats.get("downloader/request_count", 0)),
            "by_status": statkeys.by_suffix(stats, "downloader/response_status_count/"),
            "retries": int(stats.get("retry/count", 0)),
            "exceptions": statkeys.by_suffix(stats, "downloader/exception_type_count/"),
            "pauses": int(stats.get(statkeys.PAUSES, 0)),
            "paused_seconds": round(float(stats.get(statkeys.PAUSED_SECONDS, 0)), 3),
        },
        "field_coverage": {
            name: round(int(stats.get(statkeys.field_present(name), 0)) / records, 4)
            if records else None
            for name in OPTIONAL_FIELDS
        },
        "field_problems": statkeys.by_suffix(stats, statkeys.FIELD_PROBLEMS),
        "files": {"articles": str(paths.articles), "rejects": str(paths.rejects)},
    }


class RunSummary:
    """At the close of a run: runs the monitors and writes ``runs/<run>.json``."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunSummary:
        return cls(crawler)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        summary = build_summary(self.crawler, spider, reason)
        assert self.crawler.stats is not None
        self.crawler.stats.set_value(statkeys.STATUS, summary["status"])
        write_json_atomic(run_paths(self.crawler).summary, summary)
        log = logger.error if summary["status"] == "failed" else logger.info
        log(
            "Run %s %s: %d records %s, %d rejects %s, %d requests%s. Summary: %s",
            summary["run_id"], summary["status"].upper(), summary["records"]["total"],
            summary["records"]["by_lang"], summary["rejects"]["total"],
            summary["rejects"]["by_reason"], summary["requests"]["total"],
            "".join(f"; FAILED {name}: {why}" for name, why in summary["failed_checks"].items()),
            run_paths(self.crawler).summary,
        )
