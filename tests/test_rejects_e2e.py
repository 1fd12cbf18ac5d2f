"""Permanent rejects against the replica: one alarm, no walk of the whole listing for them,
a retry when due, one record once the site fixes the page. Transient ones stay as they were."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.crawl import FRONTIER, PAST_LAST, CrawlResult, run_crawl, without_crawler_fields
from tests.replica.handle import ReplicaHandle
from tests.test_incremental_e2e import LANGUAGES, requests_since, run_records

pytestmark = pytest.mark.e2e
#: An open reject is due at once: the run after its first sighting (and after any other).
ALWAYS_DUE = {"ANALYTICS_REJECT_RETRY_DAYS": 0}


def path_of(url: str) -> str:
    return urlsplit(url).path


def run_rejects(result: CrawlResult) -> list[dict]:
    """The reject lines of the last run of ``result`` (its own rejects file)."""
    path = result.output_dir / "rejects" / f"{result.summary['run_id']}.jsonl"
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


def test_a_broken_page_and_a_listed_404_alarm_once_cost_one_retry_and_arrive_once_fixed(
    tmp_path: Path,
) -> None:
    with ReplicaHandle(articles=60, seed=15) as replica:
        truth = replica.truth()
        undated = next(r for r in truth if r["lang"] == "ru")["url"]
        gone = [r for r in truth if r["lang"] == "en"][2]["url"]
        replica.set_defect(undated, "nodate")
        replica.set_defect(gone, "gone")
        reasons = {path_of(undated): "missing_date", path_of(gone): "fetch_http_404"}

        # Day 1: both rejected, each with its reason; a warning names them; the run is ok.
        day1 = run_crawl(replica.base_url, tmp_path, "mode=full", endings=PAST_LAST)
        assert day1.returncode == 0, day1.log[-3000:]
        assert len(day1.records) == 58
        lines = run_rejects(day1)
        assert {path_of(line["url"]): line["reason"] for line in lines} == reasons
        assert all(not line["known"] and line["since"] == line["seen_at"] for line in lines)
        warning = next(line for line in day1.log.splitlines() if "New rejects" in line)
        assert "WARNING" in warning and all(path in warning for path in reasons)
        opened = {path_of(r["url"]): r for r in day1.summary["open_rejects"]}
        assert {path: r["reason"] for path, r in opened.items()} == reasons

        # Day 2: k new articles cost the floor plus one retry per open reject; no new alarm.
        new_urls = replica.publish(3)
        started = time.time()
        day2 = run_crawl(replica.base_url, tmp_path, "refresh_days=0", endings=FRONTIER)
        assert day2.returncode == 0, day2.log[-3000:]
        asked = [entry["path"] for entry in requests_since(replica, started)]
        floor = 1 + LANGUAGES + 3 + 2  # robots, a listing page each, k=3 new, a retry each
        assert len(asked) == floor, asked
        assert {path for path in asked if path in reasons} == set(reasons)
        assert sorted(r["url"] for r in run_records(day2)) == sorted(new_urls)
        known = day2.summary["known_rejects"]
        assert {path_of(r["url"]): r["reason"] for r in known} == reasons
        assert {r["since"] for r in known} == {opened[path]["since"] for path in reasons}
        assert all(line["known"] for line in run_rejects(day2))
        assert day2.summary["rejects"]["known"] == 2 and day2.summary["new_rejects"] == []
        assert "New rejects" not in day2.log and "Walking the whole" not in day2.log

        # Day 3: the site fixes both; their retry is not due yet (1 day): the floor only.
        replica.fix(undated)
        replica.fix(gone)
        started = time.time()
        day3 = run_crawl(replica.base_url, tmp_path, "refresh_days=0", endings=FRONTIER)
        assert day3.returncode == 0, day3.log[-3000:]
        assert len(requests_since(replica, started)) == 1 + LANGUAGES
        assert run_records(day3) == []
        assert {r["attempts"] for r in day3.summary["open_rejects"]} == {2}

        # Day 4, the retry due: each becomes its record, once; the rejects are closed.
        day4 = run_crawl(replica.base_url, tmp_path, "refresh_days=0", settings=ALWAYS_DUE,
                         endings=FRONTIER)
        assert day4.returncode == 0, day4.log[-3000:]
        fixed = {r["url"]: r for r in replica.truth()}
        delivered = run_records(day4)
        assert sorted(r["url"] for r in delivered) == sorted([undated, gone])
        assert all(without_crawler_fields(r) == fixed[r["url"]] for r in delivered)
        assert {r["url"] for r in day4.summary["closed_rejects"]} == {undated, gone}
        assert day4.summary["open_rejects"] == []

        # Day 5: they are known articles now, asked for no more.
        started = time.time()
        day5 = run_crawl(replica.base_url, tmp_path, "refresh_days=0", settings=ALWAYS_DUE,
                         endings=FRONTIER)
        assert day5.returncode == 0, day5.log[-3000:]
        assert len(requests_since(replica, started)) == 1 + LANGUAGES
    print(f"\nday-2 requests {len(asked)} (floor {floor}); exit codes by day "
          f"{[day.returncode for day in (day1, day2, day3, day4, day5)]}")
    urls = [record["url"] for record in day5.records]
    assert urls.count(undated) == urls.count(gone) == 1 and len(urls) == 63
    with sqlite3.connect(tmp_path / "state.sqlite3") as db:
        rows = db.execute("SELECT url, attempts, closed_at IS NOT NULL FROM rejects").fetchall()
    assert sorted(rows) == sorted([(gone, 2, 1), (undated, 2, 1)])


def test_a_run_whose_new_articles_are_all_rejected_fails(tmp_path: Path) -> None:
    """One new article, rejected: within the tolerated count, but no record to weigh it."""
    with ReplicaHandle(articles=12, seed=3) as replica:
        day1 = run_crawl(replica.base_url, tmp_path, "mode=full", endings=PAST_LAST)
        assert day1.returncode == 0, day1.log[-3000:]
        [new_url] = replica.publish(1)
        replica.set_defect(new_url, "nodate")
        day2 = run_crawl(replica.base_url, tmp_path, "refresh_days=0", endings=FRONTIER)
    assert day2.returncode == 3, day2.log[-3000:]
    assert "1 of 1 articles rejected" in day2.summary["failed_checks"]["rejects_ratio"]
    assert [path_of(r["url"]) for r in day2.summary["new_rejects"]] == [path_of(new_url)]


def test_a_transient_reject_leaves_the_walk_incomplete(tmp_path: Path) -> None:
    """An article answering 500 after every retry: the next run walks its listing again."""
    with ReplicaHandle(articles=12, seed=3) as replica:
        failing = next(r for r in replica.truth() if r["lang"] == "ru")["url"]
        replica.stop()
        replica.faults = f"500@{path_of(failing)}"
        replica.start()
        day1 = run_crawl(replica.base_url, tmp_path, "mode=full", endings=PAST_LAST)
        assert day1.returncode == 3  # an article lost: loud, as before
        assert [line["reason"] for line in run_rejects(day1)] == ["fetch_http_500"]
        day2 = run_crawl(replica.base_url, tmp_path, "refresh_days=0",
                         endings={"en": FRONTIER, "ru": PAST_LAST, "hy": FRONTIER})
    assert "Walking the whole ru listing" in day2.log
    assert "Walking the whole en listing" not in day2.log
    assert day2.summary["open_rejects"] == [] and day2.summary["known_rejects"] == []
