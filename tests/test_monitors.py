"""The end-of-run monitors: each check on its own (from stats), and whole runs whose
markup broke failing loudly (summary says why, ``scrapy crawl`` exits 3)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from scrapy.settings import Settings

from crawler.monitors import RunFacts, coverage_thresholds, failed_checks, warnings
from tests.crawl import PAST_LAST, run_crawl
from tests.replica.handle import ReplicaHandle

#: Stats of a healthy full run of 40 articles.
HEALTHY: dict[str, Any] = {
    "analytics/records": 40,
    "analytics/field/views": 30, "analytics/field/category": 40,
    "analytics/field/subtitle": 25, "analytics/field/author": 5,
    "downloader/response_status_count/200": 48, "downloader/response_status_count/404": 1,
}


def project_settings(**overrides: Any) -> Settings:
    """The project's real settings, with overrides as ``-s`` would give them."""
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    for name, value in overrides.items():
        settings.set(name, value, priority="cmdline")
    return settings


def failures(stats: dict[str, Any], mode: str = "full", reason: str = "finished",
             **settings: Any) -> dict[str, str]:
    return failed_checks(RunFacts(stats, project_settings(**settings), reason, {"mode": mode}))


def test_a_healthy_run_passes_every_monitor() -> None:
    assert failures(HEALTHY) == {}


def test_a_full_run_without_records_fails_but_an_incremental_one_may_be_empty() -> None:
    empty = {"downloader/response_status_count/200": 4}
    assert "a full run delivered no record" in failures(empty, mode="full")["records"]
    assert "records" not in failures(empty, mode="incremental")


def test_unfinished_runs_and_errors_fail() -> None:
    assert "shutdown" in failures(HEALTHY, reason="shutdown")["finish_reason"]
    assert "1 errors" in failures({**HEALTHY, "log_count/ERROR": 1})["errors"]
    assert "errors" not in failures({**HEALTHY, "log_count/ERROR": 1},
                                    ANALYTICS_MONITOR_MAX_ERRORS=1)


def test_rejects_ratio_has_its_threshold() -> None:
    stats = {**HEALTHY, "analytics/rejected": 3}  # 3 of 43 = 7%
    assert "3 of 43 articles rejected" in failures(stats)["rejects_ratio"]
    assert "rejects_ratio" not in failures(stats, ANALYTICS_MONITOR_MAX_REJECTS_RATIO=0.1)


def test_known_rejects_raise_no_alarm_and_a_few_new_ones_are_tolerated() -> None:
    known = {**HEALTHY, "analytics/rejected": 5, "analytics/rejects_known": 5}
    assert "rejects_ratio" not in failures(known)
    # One new reject among a few records: a warning, not a failure (ratio 1 of 4).
    small = {"analytics/records": 3, "analytics/rejected": 1}
    assert "rejects_ratio" not in failures(small, mode="incremental")
    assert "1 of 4 articles rejected" in failures(
        small, mode="incremental", ANALYTICS_MONITOR_REJECTS_TOLERATED=0)["rejects_ratio"]
    # More new rejects than tolerated, or no record to outweigh them: the ratio decides.
    assert "rejects_ratio" in failures({**small, "analytics/rejected": 2}, mode="incremental")
    alone = {"analytics/rejected": 1}
    assert "1 of 1 articles rejected" in failures(alone, mode="incremental")["rejects_ratio"]
    equal = {"analytics/records": 2, "analytics/rejected": 2}
    assert "rejects_ratio" in failures(equal, mode="incremental",
                                       ANALYTICS_MONITOR_REJECTS_TOLERATED=2)


def test_http_error_ratio_fails_a_refusing_site_but_tolerates_a_listings_end() -> None:
    refused = {**HEALTHY, "downloader/response_status_count/403": 20,
               "downloader/response_status_count/503": 5}
    message = failures(refused)["http_errors"]
    assert "26 of 74 responses were 4xx/5xx" in message and "403: 20" in message
    # A tiny run: 1 of 3 answers is the 404 that ends a listing; tolerated.
    tiny = {"analytics/records": 1, "downloader/response_status_count/200": 2,
            "downloader/response_status_count/404": 1}
    assert "http_errors" not in failures(tiny)
    assert "http_errors" in failures(tiny, ANALYTICS_MONITOR_HTTP_ERRORS_TOLERATED=0)


def test_field_coverage_each_field_with_its_own_threshold() -> None:
    no_subtitles = {**HEALTHY, "analytics/field/subtitle": 0}
    message = failures(no_subtitles)["field_coverage"]
    assert "subtitle in 0% of 40 records (minimum 20%)" in message
    assert "views" not in message
    # One field set alone wins over the dict; the dict can be given whole on the command line.
    assert "field_coverage" in failures(HEALTHY, ANALYTICS_MONITOR_MIN_COVERAGE_VIEWS=0.9)
    assert "field_coverage" in failures(HEALTHY,
                                        ANALYTICS_MONITOR_MIN_COVERAGE='{"author": 0.5}')
    # Too few records to judge coverage: not judged.
    few = {**no_subtitles, "analytics/records": 5}
    assert "field_coverage" not in failures(few)


def test_a_misspelt_coverage_field_is_a_failure_not_silence() -> None:
    message = failures(HEALTHY, ANALYTICS_MONITOR_MIN_COVERAGE={"autor": 0.1})["field_coverage"]
    assert "unknown fields autor" in message


def test_coverage_thresholds_read_both_forms() -> None:
    settings = project_settings(ANALYTICS_MONITOR_MIN_COVERAGE_AUTHOR="0.3")
    assert coverage_thresholds(settings) == {"views": 0.2, "category": 0.5, "subtitle": 0.2,
                                             "author": 0.3}


@pytest.mark.e2e
def test_broken_markup_fails_the_run_loudly(
    replica: Callable[..., ReplicaHandle], tmp_path: Path
) -> None:
    """A third of the articles broken (no title, no date): rejects; the run is failed."""
    site = replica(articles=30, seed=7, faults="broken:0.3")
    broken = site.broken_urls()
    assert broken
    result = run_crawl(site.base_url, tmp_path, "mode=full", endings=PAST_LAST)
    assert result.returncode == 3, result.log[-3000:]
    summary = result.summary
    assert summary["status"] == "failed"
    assert f"{len(broken)} of 30 articles rejected" in summary["failed_checks"]["rejects_ratio"]
    assert "FAILED rejects_ratio" in result.log
    assert len(result.records) == 30 - len(broken)


@pytest.mark.e2e
def test_a_selector_that_stopped_matching_fails_on_coverage(
    replica: Callable[..., ReplicaHandle], tmp_path: Path
) -> None:
    """No record is rejected when the subtitle class changes: without the fallback layers
    (which would deliver it and flag the run, tests/test_redesign_e2e.py) only coverage can
    tell."""
    site = replica(articles=30, seed=7)
    result = run_crawl(site.base_url, tmp_path, "mode=full",
                       settings={"ANALYTICS_SELECTORS": '{"subtitle": ".post_lead"}',
                                 "ANALYTICS_FIELD_LAYERS": "selector"}, endings=PAST_LAST)
    assert result.returncode == 3, result.log[-3000:]
    assert result.rejects == [] and len(result.records) == 30
    checks = result.summary["failed_checks"]
    assert list(checks) == ["field_coverage"]
    assert checks["field_coverage"].startswith("subtitle in 0% of 30 records")


def test_field_coverage_is_judged_per_language_too() -> None:
    """Views gone in Armenian only: the run's share stays above the threshold, the language's
    does not."""
    per_language = {"analytics/records/en": 20, "analytics/records/ru": 20,
                    "analytics/records/hy": 20, "analytics/records": 60,
                    "analytics/field/views": 40, "analytics/field/category": 60,
                    "analytics/field/subtitle": 30}
    for lang, views in (("en", 20), ("ru", 20), ("hy", 0)):
        per_language[f"analytics/field/{lang}/views"] = views
        per_language[f"analytics/field/{lang}/category"] = 20
        per_language[f"analytics/field/{lang}/subtitle"] = 10
    message = failures(per_language, ANALYTICS_MONITOR_MIN_COVERAGE_VIEWS=0.5)["field_coverage"]
    assert message == "views (hy) in 0% of 20 records (minimum 50%)"


def test_a_walk_not_ended_on_evidence_fails_with_what_was_asked_and_seen() -> None:
    stats = {**HEALTHY,
             "analytics/pagination_failed/ru": "asked batch 2 at X; it shows only cards already "
                                               "seen (4): the site ignored it",
             "analytics/pagination_failed/en": "batch 3 at Y: its next link leads back to batch 2"}
    assert failures(stats)["pagination"] == (
        "en: batch 3 at Y: its next link leads back to batch 2; ru: asked batch 2 at X; it shows "
        "only cards already seen (4): the site ignored it")
    assert "pagination" not in failures(HEALTHY)


def test_a_listing_without_cards_fails_its_layout() -> None:
    stats = {**HEALTHY, "analytics/layout_failed/en": "asked batch 1 at X; it holds no cards"}
    assert failures(stats) == {"layout": "en: asked batch 1 at X; it holds no cards"}


def test_a_fallback_on_every_page_is_flagged_however_few_the_pages() -> None:
    """Past the tolerance, or on every page that gave them: an incremental day reads one
    listing page a language, so a renamed card class shows on 3 pages, all by the finder."""
    def flagged(**counts: int) -> str | None:
        stats = {**HEALTHY, **{f"analytics/provenance/cards/{layer}": n
                               for layer, n in counts.items()}}
        return warnings(RunFacts(stats, project_settings(), "finished", {"mode": "full"})
                        ).get("fallback_layers")

    renamed = flagged(finder=3)
    assert renamed is not None and renamed.startswith(
        "cards: selectors card ('div.float_block'), card_link ('a[href]'),")
    assert "replaced by finder on 3 pages (selector on 0)" in renamed
    assert flagged(finder=3, selector=40) is None  # tolerated: a few odd pages
    assert flagged(finder=4, selector=40) is not None
    assert flagged(selector=3) is None
