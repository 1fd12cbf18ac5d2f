"""Data over time, end to end on the replica: day 1 a full crawl; day 2 the views rose, one
article was edited (title and body), one re-rendered with other whitespace only, one taken
down (410); day 3 the taken-down one answers 410 again. Then ``scrapy dataset``, read by
DuckDB (the real client) and pandas."""

from __future__ import annotations

import json
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
import pandas as pd
import pytest

from crawler.dataset.card import MONTHLY_VIEWS_SQL
from tests.crawl import FRONTIER, PAST_LAST, by_url, read_lines, run_crawl, scrapy
from tests.replica.handle import ReplicaHandle

pytestmark = pytest.mark.e2e
ARTICLES = 30
LANGUAGES = 3
WINDOW_DAYS = 3650
WINDOW = f"refresh_days={WINDOW_DAYS}"  # the replica's articles of the last ten years


def in_window(truth: dict[str, dict[str, Any]]) -> set[str]:
    """The articles the refresh window holds today (the replica's dates are fixed)."""
    first_day = datetime.now(ZoneInfo("Asia/Baku")).date() - timedelta(days=WINDOW_DAYS)
    return {url for url, record in truth.items() if record["date"][:10] >= first_day.isoformat()}


@pytest.fixture(scope="module")
def three_days(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    output = tmp_path_factory.mktemp("history")
    with ReplicaHandle(articles=ARTICLES, seed=27) as site:
        day1 = run_crawl(site.base_url, output, "mode=full", endings=PAST_LAST)
        assert day1.returncode == 0, day1.log[-3000:]
        truth1 = by_url(site.truth())
        newest_first = sorted(truth1, key=lambda url: truth1[url]["date"], reverse=True)
        removed, edited, spaced = newest_first[0], newest_first[5], newest_first[9]
        site.raise_views(50)
        site.edit(edited, "content")
        site.edit(spaced, "whitespace")
        site.set_defect(removed, "removed")
        time.sleep(0.01)  # scraped_at has milliseconds: day 2 is strictly later
        started = time.time()
        day2 = run_crawl(site.base_url, output, WINDOW, endings=FRONTIER)
        assert day2.returncode == 0, day2.log[-3000:]
        day2_requests = [entry for entry in site.requests() if entry["t"] >= started]
        day2_summary = day2.summary
        after_day2 = scrapy("dataset", output_dir=output)
        assert after_day2.returncode == 0, after_day2.stderr[-3000:]
        rows_day2 = by_url(read_jsonl(output / "dataset" / "articles.jsonl"))
        # Day 3: room for 5 refreshes more today; the newest article (the removed one) first.
        day3 = run_crawl(site.base_url, output, WINDOW, endings=FRONTIER,
                         settings={"ANALYTICS_REFRESH_DAILY_MAX": len(in_window(truth1)) - 1 + 5})
        assert day3.returncode == 0, day3.log[-3000:]
        truth3 = by_url(site.truth())
    dataset = scrapy("dataset", output_dir=output)
    assert dataset.returncode == 0, dataset.stderr[-3000:]
    return {"output": output, "truth1": truth1, "truth3": truth3, "removed": removed,
            "edited": edited, "spaced": spaced, "day2": day2_summary, "day3": day3.summary,
            "day2_requests": day2_requests, "rows_day2": rows_day2,
            "records": read_lines(output / "articles"), "due": len(in_window(truth1))}


def query(sql: str, zone: str = "UTC") -> list[Any]:
    """The rows of a DuckDB query, in a fresh connection whose session zone is ``zone``."""
    connection = duckdb.connect()
    connection.execute(f"SET TimeZone = '{zone}'")
    return connection.execute(sql).fetchall()


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


def rows(three_days: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return by_url(read_jsonl(three_days["output"] / "dataset" / "articles.jsonl"))


def test_day_two_refreshes_every_due_article_at_the_floor(three_days):
    summary = three_days["day2"]
    due = three_days["due"]
    assert 10 <= due < ARTICLES  # older ones are past their last age of refresh
    assert summary["refresh"]["due"] == summary["refresh"]["requested"] == due
    assert summary["refresh"]["done"] == due  # every one answered: a record, or gone
    assert summary["refresh"]["edited"] == 1  # the whitespace-only one is no edit
    assert [gone["url"] for gone in summary["refresh"]["gone"]] == [three_days["removed"]]
    assert summary["refresh"]["gone"][0] | {"seen_at": None} == {
        "url": three_days["removed"], "status": 410, "seen_at": None, "in_a_row": 1}
    assert summary["rejects"]["total"] == 0  # a removal is no reject
    # robots + one listing page per language + the due refreshes (nothing new)
    assert len(three_days["day2_requests"]) == 1 + LANGUAGES + due


def test_the_daily_bound_defers_the_rest_of_the_due_refreshes(three_days):
    refresh, due = three_days["day3"]["refresh"], three_days["due"]
    assert refresh["due"] == due
    assert refresh["daily_max"] == due - 1 + 5
    room = max(0, refresh["daily_max"] - refresh["done_earlier_today"])
    assert refresh["requested"] == min(due, room) < due
    assert refresh["deferred"] == due - refresh["requested"]
    assert refresh["done"] == refresh["requested"]
    if refresh["requested"]:  # the newest first: the removed article answers 410 again
        assert refresh["gone"][0]["url"] == three_days["removed"]
        assert refresh["gone"][0]["in_a_row"] == 2


def test_views_parquet_has_one_row_per_observation(three_days):
    with_views = [record for record in three_days["records"] if record["views"] is not None]
    views = three_days["output"] / "dataset" / "views.parquet"
    table = query(f"SELECT id, strftime(observed_at, '%Y-%m-%dT%H:%M:%S.%gZ'), views "
                  f"FROM '{views}' ORDER BY ALL")
    assert len(table) == len(with_views)
    assert max(Counter(row[0] for row in table).values()) == 3  # day 1, day 2, day 3
    expected = sorted((r["id"], r["scraped_at"], r["views"]) for r in with_views)
    assert table == expected


def test_the_edited_article_has_a_revision_naming_title_and_body(three_days):
    output, edited = three_days["output"], three_days["edited"]
    row = rows(three_days)[edited]
    assert row["revision"] == 2 and row["edited_at"] is not None
    assert row["title"] == three_days["truth3"][edited]["title"].strip()
    assert row["title"] != three_days["truth1"][edited]["title"]
    revisions = query(f"SELECT url, fields_changed, previous_hash <> hash, "
                      f"strftime(observed_at, '%Y-%m-%dT%H:%M:%S.%gZ') "
                      f"FROM '{output / 'dataset' / 'revisions.parquet'}'")
    assert revisions == [(edited, ["title", "body"], True, row["edited_at"])]
    spaced = rows(three_days)[three_days["spaced"]]
    assert spaced["revision"] == 1 and spaced["edited_at"] is None


def test_the_removed_article_keeps_its_content_and_gets_removed_at_after_two_runs(three_days):
    removed = three_days["removed"]
    assert three_days["rows_day2"][removed]["removed_at"] is None  # one refresh said so
    row = rows(three_days)[removed]
    if three_days["day3"]["refresh"]["requested"]:
        assert row["removed_at"] == three_days["day2"]["refresh"]["gone"][0]["seen_at"]
    assert row["title"] == three_days["truth1"][removed]["title"]
    assert removed not in three_days["truth3"]  # the site no longer shows it
    others = [url for url, row in rows(three_days).items() if url != removed]
    assert all(rows(three_days)[url]["removed_at"] is None for url in others)


def test_duckdb_reads_every_table_with_its_types_and_counts_baku_months(three_days):
    directory = three_days["output"] / "dataset"
    types = {name: {row[0]: row[1] for row in query(
                 f"DESCRIBE SELECT * FROM '{directory / name}'")}
             for name in ("articles.parquet", "views.parquet", "revisions.parquet")}
    assert types["articles.parquet"] == {
        **{name: "VARCHAR" for name in ("url", "id", "lang", "title", "subtitle", "category",
                                        "body", "author", "image")},
        "date": "TIMESTAMP WITH TIME ZONE", "views": "BIGINT",
        "scraped_at": "TIMESTAMP WITH TIME ZONE", "first_seen": "TIMESTAMP WITH TIME ZONE",
        "last_seen": "TIMESTAMP WITH TIME ZONE", "revision": "BIGINT",
        "edited_at": "TIMESTAMP WITH TIME ZONE", "removed_at": "TIMESTAMP WITH TIME ZONE",
        "date_local": "TIMESTAMP"}
    assert types["views.parquet"] == {"id": "VARCHAR", "url": "VARCHAR", "lang": "VARCHAR",
                                      "observed_at": "TIMESTAMP WITH TIME ZONE",
                                      "views": "BIGINT"}
    assert types["revisions.parquet"] == {
        "id": "VARCHAR", "url": "VARCHAR", "observed_at": "TIMESTAMP WITH TIME ZONE",
        "previous_hash": "VARCHAR", "hash": "VARCHAR", "fields_changed": "VARCHAR[]"}
    truth = Counter(record["date"][:7] for record in three_days["truth1"].values())
    for zone in ("UTC", "America/Los_Angeles", "Asia/Tokyo"):  # whatever the session's zone
        monthly = query(
            "SELECT strftime(date_trunc('month', date_local), '%Y-%m') AS month, count(*) "
            f"FROM '{directory / 'articles.parquet'}' GROUP BY month ORDER BY month", zone)
        assert dict(monthly) == truth, zone


def test_duckdb_monthly_views_add_up_to_the_latest_views(three_days):
    views = three_days["output"] / "dataset" / "views.parquet"
    monthly = query(MONTHLY_VIEWS_SQL.replace("views.parquet", str(views)))
    [(latest,)] = query(f"SELECT sum(views) FROM (SELECT arg_max(views, observed_at) AS views "
                        f"FROM '{views}' GROUP BY id)")
    assert sum(gained for _month, gained in monthly) == latest > 0


def test_pandas_reads_views_as_a_nullable_integer(three_days):
    directory = three_days["output"] / "dataset"
    articles = pd.read_parquet(directory / "articles.parquet")
    assert str(articles["views"].dtype) == "Int64"
    assert str(articles["revision"].dtype) == "int64"
    assert str(articles["date_local"].dtype).startswith("datetime64")
    assert str(pd.read_parquet(directory / "views.parquet")["views"].dtype) == "int64"
