"""Politeness, read from the replica's request log: robots first, one at a time, ~1 req/s,
Retry-After kept, retries with backoff. These crawls keep the project's polite settings."""

from __future__ import annotations

import itertools
from pathlib import Path
from statistics import mean

import pytest

from tests.crawl import PAST_LAST, by_url, run_crawl, without_crawler_fields
from tests.replica.handle import ReplicaHandle

pytestmark = pytest.mark.e2e


def test_default_politeness(tmp_path: Path) -> None:
    """The live-site defaults: robots.txt first, never two in flight, about 1 request/s."""
    with ReplicaHandle(articles=6, seed=3) as replica:
        result = run_crawl(replica.base_url, tmp_path, "mode=full", relaxed=False,
                           settings={"ANALYTICS_PROGRESS_INTERVAL": 2}, endings=PAST_LAST)
        log = replica.requests()
    assert result.returncode == 0, result.log[-3000:]
    assert len(result.records) == 6
    assert log[0]["path"] == "/robots.txt"
    assert max(entry["in_flight"] for entry in log) == 1
    starts = sorted(entry["t"] for entry in log)
    gaps = [later - earlier for earlier, later in itertools.pairwise(starts)]
    assert mean(gaps) >= 0.8, gaps  # DOWNLOAD_DELAY 1 s, jittered 0.5x-1.5x
    assert min(gaps) >= 0.45, gaps
    user_agents = {entry["ua"] for entry in log}
    assert len(user_agents) == 1
    assert user_agents.pop().startswith("CaliberAnalyticsCrawler/")
    assert "Progress: " in result.log


def test_retry_after_pauses_the_whole_site(tmp_path: Path) -> None:
    """A 429 with Retry-After: 3 on a listing: nothing is sent for 3 s, then all resumes."""
    with ReplicaHandle(articles=9, seed=5, faults="429ra@/category/analitika#1",
                       retry_after=3) as replica:
        result = run_crawl(replica.base_url, tmp_path, "mode=full", relaxed=False,
                           settings={"DOWNLOAD_DELAY": 0.05, "AUTOTHROTTLE_ENABLED": False},
                           endings=PAST_LAST)
        log = replica.requests()
        truth = replica.truth()
    assert result.returncode == 0, result.log[-3000:]
    assert by_url([without_crawler_fields(r) for r in result.records]) == by_url(truth)
    refused = [entry for entry in log if entry["status"] == 429]
    assert len(refused) == 1
    after = [entry["t"] for entry in log if entry["t"] > refused[0]["t"]]
    assert after, "the crawl went on after the 429"
    # 3 s, less the timer's granularity (the replica's wall clock, the crawler's monotonic).
    assert min(after) - refused[0]["t_end"] >= 3.0 - 0.05
    assert result.summary["requests"]["pauses"] >= 1


def test_transient_faults_are_retried_and_nothing_is_lost(tmp_path: Path) -> None:
    faults = "503:0.06,500:0.04,truncate:0.04,reset:0.04,429ra:0.03"
    with ReplicaHandle(articles=45, seed=9, faults=faults, retry_after=1) as replica:
        result = run_crawl(replica.base_url, tmp_path, "mode=full",
                           settings={"DOWNLOAD_TIMEOUT": 5}, endings=PAST_LAST)
        log = replica.requests()
        truth = replica.truth()
    assert result.returncode == 0, result.log[-3000:]
    assert {entry["fault"] for entry in log} >= {"503", "500", "truncate", "reset"}
    records = result.records
    assert len(records) == len(truth)
    assert by_url([without_crawler_fields(r) for r in records]) == by_url(truth)
    assert result.summary["requests"]["retries"] >= 5
