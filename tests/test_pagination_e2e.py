"""Every way the replica pages its listings, crawled end to end with ``scrapy crawl``.

Per variant: every article equal to the truth, at the request floor of a full walk (each
listing batch asked for once, nothing else), politely; incremental runs stop at known
cards. A site that ignores ``?page=`` and links nothing further fails the run loudly.
"""

from __future__ import annotations

import itertools
import math
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.crawl import CrawlResult, by_url, run_crawl, without_crawler_fields
from tests.replica.handle import ReplicaHandle

pytestmark = pytest.mark.e2e

PATHS = {"en": "/en/category/analytics", "ru": "/category/analitika",
         "hy": "/arm/category/analytics"}
SLUGS = {"en": "analytics", "ru": "analitika", "hy": "analytics"}
PAGE_SIZE = 18
#: The JSON variant's endpoint, as a user who found it would set it.
JSON_PAGE_URL = "/api/{lang}/category/{slug}/posts?limit={limit}&page={n}"
SETTINGS: dict[str, dict[str, Any]] = {"json": {"ANALYTICS_PAGE_URL": JSON_PAGE_URL}}


def batch_paths(variant: str, lang: str, articles: int) -> list[str]:
    """The listing batches a full walk of ``lang`` must ask for, in order, and no other.

    ``?page=N`` has no end signal but an empty page (ru, hy) or a 404 (en): one more page.
    """
    pages = math.ceil(articles / PAGE_SIZE)
    path = PATHS[lang]
    later = {
        "query": [f"{path}?page={n}" for n in range(2, pages + 2)],
        "next-link": [f"{path}/page/{n}" for n in range(2, pages + 1)],
        "load-more": [f"/ajax/more?lang={lang}&offset={PAGE_SIZE * (n - 1)}"
                      for n in range(2, pages + 1)],
        "json": [f"/api/{lang}/category/{SLUGS[lang]}/posts?limit={PAGE_SIZE}&page={n}"
                 for n in range(2, pages + 1)],
    }[variant]
    return [path, *later]


def run_log(replica: ReplicaHandle, started: float) -> list[dict[str, Any]]:
    return [entry for entry in replica.requests() if entry["t"] >= started]


def listing_paths(log: list[dict[str, Any]]) -> list[str]:
    return [entry["path"] for entry in log
            if "/post/" not in entry["path"] and entry["path"] != "/robots.txt"]


def assert_equal_to_truth(records: list[dict[str, Any]], truth: dict[str, dict]) -> None:
    assert len(records) == len(by_url(records))
    for url, record in by_url(records).items():
        assert without_crawler_fields(record) == truth[url], url


@pytest.mark.parametrize("variant", ["query", "next-link", "load-more", "json"])
def test_every_variant_is_walked_whole_at_the_floor_then_incrementally(
    variant: str, tmp_path: Path
) -> None:
    articles = 120  # 40 a language: three batches of 18, 18 and 4 cards
    settings = SETTINGS.get(variant, {})
    with ReplicaHandle(articles=articles, seed=13, pagination=variant) as replica:
        full = run_crawl(replica.base_url, tmp_path, "mode=full", settings=settings)
        log = replica.requests()
        truth = by_url(replica.truth())
        assert full.returncode == 0, full.log[-3000:]
        assert full.summary["failed_checks"] == {}
        first_records = full.records
        assert set(by_url(first_records)) == set(truth)
        assert_equal_to_truth(first_records, truth)
        # The floor: robots.txt, each listing batch once, each article once.
        assert log[0]["path"] == "/robots.txt"
        expected = sorted(p for lang in PATHS for p in batch_paths(variant, lang, 40))
        assert sorted(listing_paths(log)) == expected
        assert len(log) == 1 + len(expected) + len(truth)
        assert max(Counter(entry["path"] for entry in log).values()) == 1

        # Incremental: 20 new English articles push the known ones onto batch 2.
        new = replica.publish(20, lang="en")
        started = time.time()
        second = run_crawl(replica.base_url, tmp_path, "refresh_days=0", settings=settings)
        log = run_log(replica, started)
        truth = by_url(replica.truth())
    assert second.returncode == 0, second.log[-3000:]
    delivered = second.records[len(first_records):]
    assert sorted(r["url"] for r in delivered) == sorted(new)
    assert_equal_to_truth(delivered, truth)
    assert sorted(listing_paths(log)) == sorted(
        [*batch_paths(variant, "en", 40)[:2], PATHS["ru"], PATHS["hy"]])
    assert len(log) == 1 + 4 + 20


@pytest.mark.parametrize("variant", ["next-link", "load-more", "json"])
def test_following_the_site_stays_polite(variant: str, tmp_path: Path) -> None:
    """The project's politeness, a shorter delay: one request at a time, spaced, named."""
    with ReplicaHandle(articles=57, seed=3, pagination=variant) as replica:  # 19 English
        result = run_crawl(replica.base_url, tmp_path, "mode=full", "lang=en", relaxed=False,
                           settings={"DOWNLOAD_DELAY": 0.2, **SETTINGS.get(variant, {})})
        log = replica.requests()
        truth = [r for r in replica.truth() if r["lang"] == "en"]
    assert result.returncode == 0, result.log[-3000:]
    assert by_url([without_crawler_fields(r) for r in result.records]) == by_url(truth)
    assert log[0]["path"] == "/robots.txt"
    assert listing_paths(log) == batch_paths(variant, "en", 19)
    assert max(entry["in_flight"] for entry in log) == 1
    starts = sorted(entry["t"] for entry in log)
    gaps = [later - earlier for earlier, later in itertools.pairwise(starts)]
    # DOWNLOAD_DELAY 0.2 s, jittered 0.5x-1.5x: at least 0.1 s apart as sent. The replica logs
    # arrivals, which a loaded machine can bring closer by tens of milliseconds, so the bound
    # is half of that (an unthrottled crawl is about a millisecond apart).
    assert min(gaps) >= 0.05, gaps
    assert {entry["ua"] for entry in log} == {log[0]["ua"]}
    assert log[0]["ua"].startswith("CaliberAnalyticsCrawler/")


def failed_pagination(result: CrawlResult, base_url: str) -> None:
    """The run failed on its ``pagination`` check, saying what it asked and what it saw."""
    assert result.returncode == 3, result.log[-3000:]
    summary = result.summary
    assert summary["status"] == "failed"
    message = summary["failed_checks"]["pagination"]
    for lang, path in PATHS.items():
        assert (f"{lang}: asked page 2 at {base_url}{path}?page=2 (built from "
                "ANALYTICS_PAGE_URL='{path}?page={n}') after a full page 1") in message
    assert message.count("it shows only cards already seen") == 3
    assert "FAILED pagination" in result.log


def test_a_site_that_ignores_the_pagination_fails_the_run_every_time(tmp_path: Path) -> None:
    """``?page=2`` shows page 1 again and nothing links further: not a one-page section."""
    with ReplicaHandle(articles=60, seed=11, pagination="ignored") as replica:
        first = run_crawl(replica.base_url, tmp_path)
        failed_pagination(first, replica.base_url)
        assert len(first.records) == 3 * PAGE_SIZE  # page 1's articles are kept
        started = time.time()
        second = run_crawl(replica.base_url, tmp_path, "refresh_days=0")
        log = run_log(replica, started)
    failed_pagination(second, replica.base_url)
    # The walks did not complete: the next run walks each listing again (page 2 included),
    # fetching no article twice.
    assert "Walking the whole en listing: its last walk did not complete" in second.log
    assert sorted(listing_paths(log)) == sorted(
        p for path in PATHS.values() for p in (path, f"{path}?page=2"))
    assert [entry["path"] for entry in log if "/post/" in entry["path"]] == []
