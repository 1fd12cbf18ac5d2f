"""The run summary, ``runs/<run>.json``: what ran, what came out, what went wrong, and the
verdict of the monitors; written atomically when the spider closes."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from scrapy import Spider, signals
from scrapy.crawler import Crawler

from crawler import statkeys
from crawler.disk import write_json_atomic
from crawler.items import OPTIONAL_FIELDS
from crawler.ledger import close_ledger
from crawler.monitors import RunFacts, failed_checks, warnings
from crawler.runs.instants import format_instant
from crawler.runs.paths import RunPaths
from crawler.runs.rejects import RejectsLog
from crawler.runs.start import require_run
from crawler.sitebinding import host_of
from crawler.state.keeper import CrawlState

logger = logging.getLogger(__name__)


@runtime_checkable
class RunSource(Protocol):
    """What the summary needs from the spider of a run, which only the spider knows."""

    def arguments_summary(self) -> dict[str, Any]:
        """The run's arguments as the summary shows them (the monitors judge by them)."""

    def source_summary(self) -> dict[str, Any]:
        """Where the records come from: ``{"source": "site"}`` for a crawl, ``"archive"``
        and the archive's run for ``scrapy reextract``."""

    def state_summary(self, reason: str) -> dict[str, Any]:
        """What the state learnt from the run besides its records (walks and their endings,
        URL forms); read back by ``scrapy state --rebuild``. Asked before the checks run."""


def build_summary(crawler: Crawler, spider: Spider, reason: str) -> dict[str, Any]:
    """The run summary: what ran, what came out, what went wrong, and the verdict."""
    assert crawler.stats is not None
    if not isinstance(spider, RunSource):
        raise TypeError(f"the spider {spider.name!r} makes no run (RunSource)")
    stats = crawler.stats.get_stats()
    paths = RunPaths.of(crawler.settings)
    records = int(stats.get(statkeys.RECORDS, 0))
    arguments = spider.arguments_summary()
    learnt = spider.state_summary(reason)  # before the checks: it ends the walks left open
    ledger = close_ledger(crawler, reason)  # before the monitors: its check reads the stats
    facts = RunFacts(stats, crawler.settings, reason, arguments)
    failures = failed_checks(facts)
    started = stats.get("start_time")
    rejects_log = crawler.get_extension(RejectsLog)
    state = crawler.get_extension(CrawlState)
    rejects_at_close = state.rejects_summary() if state is not None else {}
    return {
        "run_id": paths.run_id,
        "spider": spider.name,
        # "site" for a crawl; "archive" for ``scrapy reextract``, with the archive's run.
        **spider.source_summary(),
        "status": "failed" if failures else "ok",
        "failed_checks": failures,
        # Flags that leave the status ok (monitors of level "warning"): what to fix.
        "warnings": warnings(facts),
        "started_at": format_instant(started) if started else None,
        "finished_at": format_instant(),
        "finish_reason": reason,
        "arguments": arguments,
        "host": host_of(arguments["base_url"]) if arguments.get("base_url") else None,
        "records": {"total": records, "by_lang": statkeys.by_suffix(stats, statkeys.RECORDS)},
        "rejects": {"total": int(stats.get(statkeys.REJECTED, 0)),
                    "known": int(stats.get(statkeys.REJECTS_KNOWN, 0)),
                    "by_reason": statkeys.by_suffix(stats, statkeys.REJECTED)},
        "new_rejects": rejects_log.rejects(known=False) if rejects_log else [],
        "known_rejects": rejects_log.rejects(known=True) if rejects_log else [],
        "open_rejects": rejects_at_close.get("open", []),
        "closed_rejects": rejects_at_close.get("closed", []),
        "ledger": ledger,
        "canonical_conflicts": statkeys.by_suffix(stats, statkeys.CANONICAL_CONFLICT),
        "duplicates": int(stats.get(statkeys.DUPLICATES, 0)),
        "recovered_damaged_lines": int(stats.get(statkeys.RECOVERY_DAMAGED_LINES, 0)),
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
        "provenance": provenance_summary(stats),
        # Only the files the run wrote: an article file appears with the first record.
        "files": {name: str(path) for name, path in
                  (("articles", paths.articles), ("rejects", paths.rejects),
                   ("archive", paths.archive)) if path.exists()},
        **learnt,
    }


def verdict_line(summary: dict[str, Any], path: Path) -> str:
    """The run's one line (``Run <id> OK|FAILED: ...``), which the log, ``deploy/schedule.py``
    and the notifications show."""
    records, rejects = summary["records"], summary["rejects"]
    failed = "".join(f"; FAILED {name}: {why}" for name, why in summary["failed_checks"].items())
    return (f"Run {summary['run_id']} {summary['status'].upper()}: {records['total']} records "
            f"{records['by_lang']}, {rejects['total']} rejects {rejects['by_reason']}, "
            f"{summary['requests']['total']} requests{failed}. Summary: {path}")


def provenance_summary(stats: Mapping[str, Any]) -> dict[str, Any]:
    """Which layer gave each field (``cards``: listing pages), in all and per language, and
    where the selectors and the structured data were compared, how often they disagreed."""
    by_field: dict[str, dict[str, int]] = {}
    by_lang: dict[str, dict[str, dict[str, int]]] = {}
    for key, count in statkeys.by_suffix(stats, statkeys.PROVENANCE).items():
        *lang, name, layer = key.split("/")
        target = by_lang.setdefault(lang[0], {}) if lang else by_field
        target.setdefault(name, {})[layer] = count
    compared = statkeys.by_suffix(stats, statkeys.LAYERS_COMPARED)
    disagreed = statkeys.by_suffix(stats, statkeys.LAYERS_DISAGREED)
    return {"by_field": by_field, "by_lang": by_lang,
            "compared": {name: {"pages": count, "disagreed": disagreed.get(name, 0)}
                         for name, count in compared.items()}}


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
        write_json_atomic(RunPaths.of(self.crawler.settings).summary, summary)
        log = logger.error if summary["status"] == "failed" else logger.info
        log("%s", verdict_line(summary, RunPaths.of(self.crawler.settings).summary))
        for name, why in summary["warnings"].items():
            logger.warning("Run %s flagged (%s): %s", summary["run_id"], name, why)
        if summary["status"] == "ok" and summary["new_rejects"]:
            logger.warning(
                "New rejects, below the alarm thresholds: %s (tell the site's editors; "
                "they are retried until they become records)",
                "; ".join(f"{entry['reason']} <{entry['url']}>"
                          for entry in summary["new_rejects"]))
