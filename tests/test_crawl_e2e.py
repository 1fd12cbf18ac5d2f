"""End to end: ``scrapy crawl analytics`` as a subprocess against the local replica."""

from __future__ import annotations

import json
import math
import re
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from tests.crawl import PAST_LAST, REFUSED, CrawlResult, by_url, run_crawl, without_crawler_fields
from tests.replica.handle import ReplicaHandle

pytestmark = pytest.mark.e2e

CARDS_PER_PAGE = 18
SECTION_PATHS = {"/en/category/analytics", "/category/analitika", "/arm/category/analytics"}


@pytest.fixture(scope="module")
def site() -> Iterator[ReplicaHandle]:
    """One replica of 60 articles, shared by the tests that only read it."""
    with ReplicaHandle(articles=60, seed=11) as replica:
        yield replica


@pytest.fixture(scope="module")
def full_crawl(site: ReplicaHandle, tmp_path_factory: pytest.TempPathFactory) -> CrawlResult:
    return run_crawl(site.base_url, tmp_path_factory.mktemp("full"), "mode=full", endings=PAST_LAST)


def test_every_article_arrives_exactly_as_the_truth(
    site: ReplicaHandle, full_crawl: CrawlResult
) -> None:
    truth = by_url(site.truth())
    records = full_crawl.records
    assert full_crawl.returncode == 0, full_crawl.log[-3000:]
    assert len(records) == len(truth) == 60
    got = by_url(records)
    assert set(got) == set(truth)
    for url, expected in truth.items():
        assert without_crawler_fields(got[url]) == expected, url


def test_nothing_twice_and_ids_unique(full_crawl: CrawlResult) -> None:
    records = full_crawl.records
    assert len({record["id"] for record in records}) == len(records)
    assert len({record["url"] for record in records}) == len(records)
    assert full_crawl.rejects == []


def test_summary_tells_the_run(full_crawl: CrawlResult) -> None:
    summary = full_crawl.summary
    assert summary["status"] == "ok", summary["failed_checks"]
    assert summary["finish_reason"] == "finished"
    assert summary["records"]["total"] == 60
    assert sum(summary["records"]["by_lang"].values()) == 60
    assert set(summary["records"]["by_lang"]) == {"en", "ru", "hy"}
    assert summary["rejects"] == {"total": 0, "known": 0, "by_reason": {}}
    assert summary["new_rejects"] == summary["known_rejects"] == summary["open_rejects"] == []
    assert summary["requests"]["by_status"]["200"] > 60
    assert 0 < summary["field_coverage"]["views"] < 1
    # Only the files written (no reject, so no rejects file), times to the millisecond.
    run_id = summary["run_id"]
    assert summary["files"] == {
        "articles": str(full_crawl.output_dir / "articles" / f"{run_id}.jsonl"),
        "archive": str(full_crawl.output_dir / "archive" / f"{run_id}.warc.gz")}
    assert summary["source"] == "site"
    started, finished = summary["started_at"], summary["finished_at"]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", at)
               for at in (started, finished))
    assert finished >= started


def test_only_robots_listings_and_cards_are_requested(
    site: ReplicaHandle, full_crawl: CrawlResult
) -> None:
    log = site.requests()
    assert log[0]["path"] == "/robots.txt"
    article_paths = {unquote(urlsplit(record["url"]).path) for record in full_crawl.records}
    disallowed = {unquote(urlsplit(url).path) for url in site.disallowed_urls()}
    for entry in log[1:]:
        parts = urlsplit(entry["path"])
        path = unquote(parts.path)
        assert path not in disallowed
        assert path in SECTION_PATHS or "/post/" in path, entry
        assert "most-read" not in path
    fetched_articles = [unquote(urlsplit(e["path"]).path) for e in log if "/post/" in e["path"]]
    # Numeric URLs resolve to their slug record; every slug record was fetched once at most.
    assert Counter(fetched_articles).most_common(1)[0][1] == 1
    assert len(fetched_articles) >= len(article_paths)


def test_minus_o_writes_the_same_records(site: ReplicaHandle, tmp_path: Path) -> None:
    feed = tmp_path / "feed.jsonl"
    result = run_crawl(site.base_url, tmp_path, "mode=full", "lang=hy", options=("-O", str(feed)),
                       endings=PAST_LAST)
    assert result.returncode == 0, result.log[-3000:]
    exported = [json.loads(line) for line in feed.read_text("utf-8").splitlines()]
    assert len(exported) == len(result.records) > 0
    assert by_url(exported) == by_url(result.records)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [(("lang=xx",), "unknown language xx"), (("since=2024-13-01",), "since"),
     (("base_url=ftp://x",), "not an http(s) URL"), (("mode=quick",), "mode")],
)
def test_bad_arguments_stop_before_any_request(
    tmp_path: Path, arguments: tuple[str, ...], message: str
) -> None:
    with ReplicaHandle(articles=3, seed=1) as replica:
        result = run_crawl(replica.base_url, tmp_path, *arguments, endings=REFUSED)
        assert result.returncode == 2
        assert message in result.log
        assert replica.requests() == []
    assert not (tmp_path / "articles").exists()


def test_since_until_fetch_only_the_range(site: ReplicaHandle, tmp_path: Path) -> None:
    truth = site.truth()
    days = sorted(record["date"][:10] for record in truth)
    since, until = days[len(days) // 3], days[2 * len(days) // 3]
    started = time.time()
    result = run_crawl(site.base_url, tmp_path, "mode=full", f"since={since}", f"until={until}",
                       endings="since")
    assert result.returncode == 0, result.log[-3000:]
    expected = {r["url"] for r in truth if since <= r["date"][:10] <= until}
    assert {r["url"] for r in result.records} == expected
    run_log = [e for e in site.requests() if e["t"] >= started]
    fetched = {unquote(urlsplit(e["path"]).path) for e in run_log if "/post/" in e["path"]}
    # Articles out of range are not fetched (numeric card URLs aside, which name no slug).
    outside = {unquote(urlsplit(r["url"]).path) for r in truth if r["url"] not in expected}
    assert not fetched & outside
    # Pagination stopped at the first page reaching before `since`: not every page was read.
    listings = [e for e in run_log if urlsplit(e["path"]).path in SECTION_PATHS]
    per_language = Counter(record["lang"] for record in truth)
    every_page = sum(math.ceil(count / CARDS_PER_PAGE) + 1 for count in per_language.values())
    assert len(listings) < every_page
