"""Incremental runs against the replica: the request floor, views refresh, crash safety, lock."""

from __future__ import annotations

import json
import random
import sqlite3
import time
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.crawl import (
    FRONTIER,
    KILLED,
    PAST_LAST,
    REFUSED,
    CrawlResult,
    by_url,
    crawl_under_way,
    kill_crawl_after,
    read_lines,
    run_crawl,
    without_crawler_fields,
)
from tests.replica.handle import ReplicaHandle

pytestmark = pytest.mark.e2e
LANGUAGES = 3


def requests_since(replica: ReplicaHandle, started: float) -> list[dict]:
    return [entry for entry in replica.requests() if entry["t"] >= started]


def test_day_two_costs_the_floor_and_refresh_keeps_views_current(tmp_path: Path) -> None:
    with ReplicaHandle(articles=45, seed=21) as replica:
        day1 = run_crawl(replica.base_url, tmp_path, "mode=full", endings=PAST_LAST)
        assert day1.returncode == 0, day1.log[-3000:]
        assert len(day1.records) == 45

        new_urls = replica.publish(5)
        replica.raise_views(100)
        started = time.time()
        day2 = run_crawl(replica.base_url, tmp_path, "refresh_days=0", endings=FRONTIER)
        assert day2.returncode == 0, day2.log[-3000:]
        day2_records = run_records(day2)
        log = requests_since(replica, started)
        assert len(log) == 1 + LANGUAGES + 5, [e["path"] for e in log]  # the floor
        assert sorted(r["url"] for r in day2_records) == sorted(new_urls)
        assert len(day2.records) == 45 + 5  # nothing of day 1 delivered again
        truth = by_url(replica.truth())
        for record in day2_records:
            assert without_crawler_fields(record) == truth[record["url"]]

        # Day 3: nothing new; known articles of the last N days are fetched again for views
        # (N reaches back to the 10th newest article: the replica's dates are fixed).
        replica.raise_views(7)
        today = datetime.now(ZoneInfo("Asia/Baku")).date()
        dates = sorted((record["date"] for record in replica.truth()), reverse=True)
        refresh_days = (today - date.fromisoformat(dates[9][:10])).days
        window = (today - timedelta(days=refresh_days)).isoformat()
        recent = {url for url, record in replica_truth(replica).items() if record["date"] >= window}
        assert recent, "the replica has articles inside the refresh window"
        started = time.time()
        day3 = run_crawl(replica.base_url, tmp_path, f"refresh_days={refresh_days}",
                         endings=FRONTIER)
        assert day3.returncode == 0, day3.log[-3000:]
        log = requests_since(replica, started)
        assert len(log) == 1 + LANGUAGES + len(recent)
        refreshed = run_records(day3)
        assert {r["url"] for r in refreshed} == recent
        truth = replica_truth(replica)
        assert all(r["views"] == truth[r["url"]]["views"] for r in refreshed)

    with sqlite3.connect(tmp_path / "state.sqlite3") as db:
        some_id = refreshed[0]["id"]
        history = db.execute("SELECT views FROM views_history WHERE id = ? ORDER BY observed_at",
                             (some_id,)).fetchall()
    assert len(history) == 2 if refreshed[0]["url"] in new_urls else 3


def run_records(result: CrawlResult) -> list[dict]:
    """The records of the last run of ``result`` only (its own articles file)."""
    if "articles" not in result.summary["files"]:  # the run delivered nothing
        return []
    path = Path(result.summary["files"]["articles"])
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


def replica_truth(replica: ReplicaHandle) -> dict[str, dict]:
    return by_url(replica.truth())


def test_a_second_run_on_the_same_state_is_refused(tmp_path: Path) -> None:
    with ReplicaHandle(articles=6, seed=4) as replica, \
            crawl_under_way(replica, tmp_path, endings=PAST_LAST):
        second = run_crawl(replica.base_url, tmp_path, relaxed=False, endings=REFUSED)
        assert second.returncode == 4
        assert "in use by a running crawl" in second.log
    assert len(read_lines(tmp_path / "articles")) == 6


#: Kill points of the slow trials (``make faults``): random, but the same every time.
RANDOM_KILL_POINTS = [tuple(sorted(random.Random(trial).sample(range(1, 89), 4)))
                      for trial in range(5)]


@pytest.mark.parametrize(
    "kill_points",
    [(1, 30, 31), (12, 47, 70),
     *(pytest.param(points, marks=pytest.mark.slow) for points in RANDOM_KILL_POINTS)],
)
def test_sigkill_at_any_moment_loses_nothing_and_doubles_nothing(
    tmp_path: Path, kill_points: tuple[int, ...]
) -> None:
    """Each crawl is killed (SIGKILL) once that many records are on disk; then a normal run."""
    with ReplicaHandle(articles=90, seed=8) as replica:
        for point in kill_points:
            kill_crawl_after(replica.base_url, tmp_path, point, endings=KILLED)
        final = run_crawl(replica.base_url, tmp_path, "refresh_days=0", endings=PAST_LAST)
        truth = replica_truth(replica)
    assert final.returncode == 0, final.log[-3000:]
    assert "Recovered" in final.log or len(kill_points) == 0
    lines = [line for path in sorted((tmp_path / "articles").glob("*.jsonl"))
             for line in path.read_text("utf-8").splitlines()]
    records = [json.loads(line) for line in lines]  # every line is whole JSON
    counts = Counter(record["url"] for record in records)
    assert set(counts) == set(truth)
    assert max(counts.values()) == 1, counts.most_common(3)
    for record in records:
        assert without_crawler_fields(record) == truth[record["url"]]


def test_a_run_limited_by_since_leaves_no_gap_behind(tmp_path: Path) -> None:
    """An incremental run with ``since`` does not see older articles: the next run does."""
    with ReplicaHandle(articles=120, seed=12) as replica:  # 3 listing pages a language
        dates = sorted(record["date"][:10] for record in replica.truth())
        first = run_crawl(replica.base_url, tmp_path, f"since={dates[len(dates) // 2]}",
                          "refresh_days=0", endings="since")
        assert first.returncode == 0, first.log[-3000:]
        assert 0 < len(first.records) < 120
        second = run_crawl(replica.base_url, tmp_path, "refresh_days=0", endings=PAST_LAST)
        assert second.returncode == 0, second.log[-3000:]
        truth = replica_truth(replica)
    delivered = Counter(record["url"] for record in second.records)
    assert set(delivered) == set(truth)
    assert max(delivered.values()) == 1
