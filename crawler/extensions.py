"""Run-level extensions: the rejects file, the progress line and the run summary."""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.utils.asyncio import create_looping_call

from crawler import statkeys
from crawler.exceptions import Rejected
from crawler.items import OPTIONAL_FIELDS
from crawler.monitors import RunFacts, failed_checks
from crawler.normalize import format_instant, format_utc
from crawler.rejects import RetrySchedule, found_hash, is_permanent
from crawler.runconfig import require_run
from crawler.runfiles import LineFile, RunPaths
from crawler.site import language_of_path
from crawler.state import crawl_state
from crawler.storage import write_json_atomic

logger = logging.getLogger(__name__)


def run_paths(crawler: Crawler) -> RunPaths:
    """The files of the crawler's run (its id is fixed when the spider starts)."""
    settings = crawler.settings
    return RunPaths(Path(settings["ANALYTICS_OUTPUT_DIR"]), settings["ANALYTICS_RUN_ID"])


class RejectsLog:
    """Writes every rejected article to ``rejects/<run>.jsonl`` and notes the permanent ones
    in the state.

    A line holds the URL, reason, detail and fields found, plus when it was seen, the hash
    of what the page showed, ``known`` (an earlier run left the same reject open: no new
    alarm) and ``since`` (its first sighting; null for a transient reject).
    """

    def __init__(self, crawler: Crawler) -> None:
        require_run(crawler.settings, "RejectsLog")
        assert crawler.stats is not None
        self.crawler = crawler
        self.stats = crawler.stats
        self.run_id = crawler.settings["ANALYTICS_RUN_ID"]
        self.schedule = RetrySchedule.from_settings(crawler.settings)
        self.use_state = crawler.settings.getbool("ANALYTICS_USE_STATE")
        self.file = LineFile(run_paths(crawler).rejects)
        crawler.signals.connect(self.item_dropped, signal=signals.item_dropped)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RejectsLog:
        return cls(crawler)

    def item_dropped(self, item: Any, response: Response | None, exception: Exception) -> None:
        if not isinstance(exception, Rejected):
            return
        seen_at = format_utc(datetime.now(UTC))
        digest = found_hash(exception.found)
        known, since = self.note_in_state(exception, digest, seen_at)
        self.file.write(
            {"url": exception.url, "reason": exception.reason, "detail": exception.detail,
             "found": exception.found, "seen_at": seen_at, "hash": digest, "known": known,
             "since": since}
        )
        self.stats.inc_value(statkeys.REJECTED)
        self.stats.inc_value(statkeys.rejected(exception.reason))
        if known:
            self.stats.inc_value(statkeys.REJECTS_KNOWN)

    def note_in_state(self, exception: Rejected, digest: str,
                      seen_at: str) -> tuple[bool, str | None]:
        """(known, since) of a permanent reject, recorded in the crawl's state (none for a
        run that leaves the state as it is: ``scrapy reextract``)."""
        if (not self.use_state or exception.canonical is None
                or not is_permanent(exception.reason)):
            return False, None
        lang = language_of_path(urlsplit(exception.canonical).path)
        return crawl_state(self.crawler).note_reject(
            exception.canonical, lang, exception.reason, digest, seen_at, self.run_id,
            self.schedule)

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


def run_rejects(paths: RunPaths) -> list[dict[str, Any]]:
    """The lines of the run's rejects file (whole lines only)."""
    if not paths.rejects.exists():
        return []
    with paths.rejects.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.endswith("\n")]


def build_summary(crawler: Crawler, spider: Spider, reason: str) -> dict[str, Any]:
    """The run summary: what ran, what came out, what went wrong, and the verdict."""
    assert crawler.stats is not None
    stats = crawler.stats.get_stats()
    paths = run_paths(crawler)
    records = int(stats.get(statkeys.RECORDS, 0))
    arguments: dict[str, Any] = getattr(spider, "arguments_summary", dict)()
    state: dict[str, Any] = getattr(spider, "state_summary", lambda reason: {})(reason)
    failures = failed_checks(RunFacts(stats, crawler.settings, reason, arguments))
    started = stats.get("start_time")
    rejects = run_rejects(paths)
    rejects_at_close: dict[str, Any] = getattr(spider, "rejects_summary", dict)()
    return {
        "run_id": paths.run_id,
        "spider": spider.name,
        # "site" for a crawl; "archive" for ``scrapy reextract``, with the archive's run.
        **getattr(spider, "source_summary", lambda: {"source": "site"})(),
        "status": "failed" if failures else "ok",
        "failed_checks": failures,
        "started_at": format_instant(started) if started else None,
        "finished_at": format_instant(datetime.now(UTC)),
        "finish_reason": reason,
        "arguments": arguments,
        "records": {"total": records, "by_lang": statkeys.by_suffix(stats, statkeys.RECORDS)},
        "rejects": {"total": int(stats.get(statkeys.REJECTED, 0)),
                    "known": int(stats.get(statkeys.REJECTS_KNOWN, 0)),
                    "by_reason": statkeys.by_suffix(stats, statkeys.REJECTED)},
        "new_rejects": [_reject_entry(line) for line in rejects if not line.get("known")],
        "known_rejects": [_reject_entry(line) for line in rejects if line.get("known")],
        "open_rejects": rejects_at_close.get("open", []),
        "closed_rejects": rejects_at_close.get("closed", []),
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
        # Only the files the run wrote: an article file appears with the first record.
        "files": {name: str(path) for name, path in
                  (("articles", paths.articles), ("rejects", paths.rejects),
                   ("archive", paths.archive)) if path.exists()},
        **state,
    }


def _reject_entry(line: dict[str, Any]) -> dict[str, Any]:
    return {"url": line["url"], "reason": line["reason"], "since": line.get("since")}


class RunSummary:
    """At the close of a run: runs the monitors and writes ``runs/<run>.json``."""

    def __init__(self, crawler: Crawler) -> None:
        require_run(crawler.settings, "RunSummary")
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
        if summary["status"] == "ok" and summary["new_rejects"]:
            logger.warning(
                "New rejects, below the alarm thresholds: %s (tell the site's editors; "
                "they are retried until they become records)",
                "; ".join(f"{entry['reason']} <{entry['url']}>"
                          for entry in summary["new_rejects"]))
