"""End to end: a wrong setting stops ``scrapy crawl`` before any request, and Scrapy's own
tools (parse, shell, fetch, view, list, bench) work inside the project and write nothing."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from crawler.items import RECORD_FIELDS
from tests.crawl import REFUSED, ROOT, run_crawl, without_crawler_fields
from tests.replica.handle import ReplicaHandle

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def site() -> Iterator[ReplicaHandle]:
    with ReplicaHandle(articles=6, seed=3) as replica:
        yield replica


@pytest.mark.parametrize(
    ("setting", "line"),
    [
        ("ANALYTICS_OUTPUT_DIR=/proc/caliber",
         "ANALYTICS_OUTPUT_DIR: given '/proc/caliber'; expected a directory this user can write"),
        ('ANALYTICS_MONITOR_MIN_COVERAGE={"views": 2}',
         "ANALYTICS_MONITOR_MIN_COVERAGE: given '{\"views\": 2}'; expected a JSON object"),
        ("ANALYTICS_SECTION_PATHS={bad",
         "ANALYTICS_SECTION_PATHS: given '{bad'; expected a JSON object"),
        ("ANALYTICS_FSYNC=maybe", "ANALYTICS_FSYNC: given 'maybe'; expected True or False"),
    ],
)
def test_a_wrong_setting_stops_the_crawl_before_any_request(
    site: ReplicaHandle, tmp_path: Path, setting: str, line: str
) -> None:
    name, value = setting.split("=", 1)
    before = len(site.requests())
    result = run_crawl(site.base_url, tmp_path / "out", settings={name: value}, endings=REFUSED)
    assert result.returncode == 2
    assert line in result.log
    assert "Traceback" not in result.log
    assert len(site.requests()) == before
    assert not (tmp_path / "out").exists()


def run_scrapy(*arguments: str, env: dict[str, str] | None = None
               ) -> subprocess.CompletedProcess[str]:
    """``scrapy <arguments>`` in the project directory, as a subprocess."""
    return subprocess.run([sys.executable, "-m", "scrapy", *arguments], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, check=False,
                          env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})})


def scrapy(*arguments: str, workdir: Path, env: dict[str, str] | None = None) -> str:
    """Run ``scrapy <arguments>`` in the project with its output and state under ``workdir``;
    the command must succeed and leave ``workdir`` empty. Returns stdout."""
    completed = run_scrapy(*arguments, "-s", f"ANALYTICS_OUTPUT_DIR={workdir / 'out'}",
                           "-s", f"ANALYTICS_STATE_PATH={workdir / 'state' / 'state.sqlite3'}",
                           env=env)
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert "Traceback" not in completed.stderr
    assert list(workdir.iterdir()) == []
    return completed.stdout


def scraped_items(stdout: str) -> list[dict[str, Any]]:
    """The items ``scrapy parse`` printed (a Python literal between its two headings)."""
    block = stdout.split("# Scraped Items", 1)[1].split("\n", 1)[1].split("# Requests", 1)[0]
    items: list[dict[str, Any]] = ast.literal_eval(block)
    return items


def article(site: ReplicaHandle) -> tuple[str, dict[str, Any]]:
    """The replica URL of an English article, and its record as the truth has it."""
    record = next(r for r in site.truth() if r["lang"] == "en")
    return site.url(record["url"].removeprefix("https://caliber.az")), record


def test_parse_prints_the_raw_fields_and_writes_nothing(site: ReplicaHandle,
                                                        tmp_path: Path) -> None:
    url, record = article(site)
    stdout = scrapy("parse", "--spider", "analytics", "-c", "parse_article", "--nolog",
                    "-a", f"base_url={site.base_url}", url, workdir=tmp_path)
    [raw] = scraped_items(stdout)
    assert raw["fetched_url"] == url
    assert raw["canonical_href"] == record["url"]
    assert raw["views_text"] and "title" in raw


def test_parse_with_pipelines_prints_the_record(site: ReplicaHandle, tmp_path: Path) -> None:
    url, record = article(site)
    stdout = scrapy("parse", "--spider", "analytics", "-c", "parse_article", "--pipelines",
                    "--nolog", "-a", f"base_url={site.base_url}", url, workdir=tmp_path)
    [article_item] = scraped_items(stdout)  # the Article: the record's fields and side fields
    normalised = {name: article_item[name] for name in RECORD_FIELDS}
    assert without_crawler_fields(normalised) == without_crawler_fields(record)


def test_shell_fetch_view_list_work_in_the_project(site: ReplicaHandle, tmp_path: Path) -> None:
    url, record = article(site)
    shell = scrapy("shell", "-c", "response.css('link[rel=canonical]::attr(href)').get()", url,
                   workdir=tmp_path)
    assert shell.strip() == record["url"]
    assert record["url"] in scrapy("fetch", "--nolog", url, workdir=tmp_path)
    scrapy("view", "--nolog", url, workdir=tmp_path, env={"BROWSER": "true"})
    assert scrapy("list", workdir=tmp_path).split() == ["analytics"]


def test_bench_runs_in_the_project(tmp_path: Path) -> None:
    scrapy("bench", "-s", "CLOSESPIDER_TIMEOUT=1", workdir=tmp_path)


@pytest.mark.parametrize(
    ("arguments", "line"),
    [
        (("dataset",), "ANALYTICS_OUTPUT_DIR: given 'MISSING'; expected a directory with run "
                       "files (articles/*.jsonl, runs/*.json); MISSING has none"),
        (("report",), "ANALYTICS_OUTPUT_DIR: given 'MISSING'; expected a directory with run "
                      "files"),
        (("dataset", "-s", "ANALYTICS_DATASET_FEEDS={x"),
         "ANALYTICS_DATASET_FEEDS: given '{x'; expected a JSON object"),
        (("sitecheck", "--base-url", "BASE_URL", "--articles", "0"),
         "argument --articles: given '0'; expected a whole number, 1 or more"),
        (("sitecheck", "--base-url", "BASE_URL", "-s", "ANALYTICS_PAGE_URL={path}?page=2"),
         "ANALYTICS_PAGE_URL: given '{path}?page=2'; expected a template"),
    ],
)
def test_dataset_report_and_sitecheck_refuse_a_mistake_with_exit_2(
    site: ReplicaHandle, tmp_path: Path, arguments: tuple[str, ...], line: str
) -> None:
    missing = tmp_path / "mistyped"

    def fill(text: str) -> str:
        return text.replace("MISSING", str(missing)).replace("BASE_URL", site.base_url)

    before = len(site.requests())
    completed = run_scrapy(*map(fill, arguments), "-s", f"ANALYTICS_OUTPUT_DIR={missing}")
    assert completed.returncode == 2
    assert fill(line) in completed.stderr
    assert "Traceback" not in completed.stderr
    assert not missing.exists()
    assert len(site.requests()) == before


def test_report_refuses_an_output_it_cannot_write_before_touching_the_dataset(
    tmp_path: Path
) -> None:
    (tmp_path / "runs").mkdir()
    (tmp_path / "runs" / "20261128T071500.123Z.json").write_text("{}")
    completed = run_scrapy("report", "-o", "/proc/caliber/report.html",
                           "-s", f"ANALYTICS_OUTPUT_DIR={tmp_path}")
    assert completed.returncode == 2
    assert ("--output: given '/proc/caliber/report.html'; expected a path this user can write"
            in completed.stderr)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["runs"]


def test_parse_of_a_page_needs_no_spider_base_url_or_callback(site: ReplicaHandle,
                                                              tmp_path: Path) -> None:
    """The URL's origin is the base URL; an article or listing path picks the callback."""
    url, record = article(site)
    [raw] = scraped_items(scrapy("parse", "--nolog", url, workdir=tmp_path))
    assert raw["fetched_url"] == url and raw["canonical_href"] == record["url"]
    listing = site.url("/en/category/analytics")
    for options in ((), ("-c", "parse_listing")):
        stdout = scrapy("parse", "--nolog", *options, listing, workdir=tmp_path)
        requests = stdout.split("# Requests", 1)[1]
        assert scraped_items(stdout) == []
        assert requests.count(f"<GET {site.base_url}/en/post/") >= 2, stdout
