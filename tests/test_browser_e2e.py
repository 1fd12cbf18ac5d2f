"""``scrapy sitecheck --browser`` in Debian's Chromium against listings only a script can
read, then the printed command crawled with plain HTTP, no browser module importable.

In CI (``CI`` set) a missing Chromium fails these tests; elsewhere they skip.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from crawler.archive.reader import archive_records
from tests.crawl import ROOT, CrawlResult, assert_crawl_recorded, by_url, without_crawler_fields
from tests.replica.handle import ReplicaHandle

pytestmark = pytest.mark.e2e

#: Runs scrapy with the browser extra's modules made unimportable.
WITHOUT_BROWSER = ("import sys; sys.modules['playwright'] = None; "
                   "sys.modules['scrapy_playwright'] = None; "
                   "from scrapy.cmdline import execute; sys.argv[0] = 'scrapy'; execute()")
ARTICLES = 120  # 40 a language: page 1 (18), then batches of 18 and 4 cards
PAGES = ("/en/category/analytics", "/category/analitika", "/arm/category/analytics")


def chromium_or_skip() -> None:
    if shutil.which("chromium"):
        return
    if os.environ.get("CI"):
        pytest.fail("CI has no Chromium: .ci/run installs Debian's chromium package")
    pytest.skip("no Chromium on this machine (CI installs it; apt-get install chromium)")


def scrapy(*arguments: str, without_browser: bool = False,
           timeout: float = 240) -> subprocess.CompletedProcess[str]:
    head = ["-c", WITHOUT_BROWSER] if without_browser else ["-m", "scrapy"]
    return subprocess.run([sys.executable, *head, *arguments], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout, check=False,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})


def sitecheck(replica: ReplicaHandle, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return scrapy("sitecheck", "--browser", "--base-url", replica.base_url,
                  "-s", f"ANALYTICS_OUTPUT_DIR={tmp_path}",
                  "-s", "ANALYTICS_LOOPBACK_UNTHROTTLED=1")


def since(replica: ReplicaHandle, started: float) -> list[dict[str, Any]]:
    return [entry for entry in replica.requests() if entry["t"] >= started]


@pytest.mark.parametrize("variant", ["script", "script-api"])
def test_the_printed_command_crawls_every_article_at_the_floor_without_a_browser(
        variant: str, tmp_path: Path) -> None:
    chromium_or_skip()
    with ReplicaHandle(articles=ARTICLES, seed=13, pagination=variant) as replica:
        check = sitecheck(replica, tmp_path)
        discovery = replica.requests()
        assert check.returncode == 0, check.stdout + check.stderr[-3000:]
        lines = check.stdout.strip().splitlines()
        command = shlex.split(lines[-1])
        assert command[:3] == ["scrapy", "crawl", "analytics"], lines[-1]
        assert all(part == "-s" or "=" in part for part in command[3:])
        # Discovery: page 1 and two batches per language, robots.txt per host, nothing else.
        hosts = 2 if variant == "script-api" else 1
        # Then the check with plain HTTP: robots.txt of the endpoint's host, two batches each.
        assert len(discovery) == hosts + 3 + 3 * 2 + 1 + 3 * 2
        assert {entry["ua"] for entry in discovery} == {discovery[0]["ua"]}
        assert discovery[0]["ua"].startswith("CaliberAnalyticsCrawler/")
        assert (f"Requests the site received: {hosts + 9} during discovery (9 by the browser, "
                f"{hosts} robots.txt;") in check.stdout
        assert "; 7 for the check without the browser" in check.stdout
        warc = next(line.rsplit(": ", 1)[1] for line in lines
                    if line.startswith("The browser's requests and answers: "))
        archived = [record.fields["WARC-Target-URI"] for record in archive_records(Path(warc))
                    if record.fields.get("WARC-Type") == "response"]
        assert sum("/feed/" in uri or "/v1/stream/" in uri for uri in archived) == 6

        # Plain `scrapy sitecheck` with those settings pages the listing the crawl's way.
        plain = scrapy("sitecheck", "--base-url", replica.base_url, "--lang", "en",
                       "--articles", "1", *command[3:], "-s", f"ANALYTICS_OUTPUT_DIR={tmp_path}",
                       "-s", "ANALYTICS_LOOPBACK_UNTHROTTLED=1", without_browser=True)
        assert plain.returncode == 0, plain.stdout + plain.stderr[-2000:]
        assert "en  PASS   pagination" in plain.stdout

        started = time.time()
        output = tmp_path / "crawl"
        crawl = scrapy(*command[1:], "-a", f"base_url={replica.base_url}", "-a", "mode=full",
                       "-s", f"ANALYTICS_OUTPUT_DIR={output}",
                       "-s", f"ANALYTICS_STATE_PATH={output / 'state.sqlite3'}",
                       "-s", "ANALYTICS_LOOPBACK_UNTHROTTLED=1", without_browser=True)
        log = since(replica, started)
        truth = by_url(replica.truth())
    assert crawl.returncode == 0, crawl.stderr[-3000:]
    assert_crawl_recorded(CrawlResult(crawl.returncode, crawl.stderr, output), set(),
                          endings="last_batch")  # the endpoint says none is left
    records = [json_line for path in (output / "articles").glob("*.jsonl")
               for json_line in path.read_text("utf-8").splitlines()]
    delivered = by_url([without_crawler_fields(json.loads(line)) for line in records])
    assert len(records) == len(delivered) == len(truth)
    assert delivered == truth
    # The floor: robots.txt per host, page 1 and batches 2 and 3 per language, each article.
    listing = [entry["path"] for entry in log if "/post/" not in entry["path"]]
    assert sorted(path for path in listing if path in PAGES) == sorted(PAGES)
    assert listing.count("/robots.txt") == hosts
    assert len(log) == hosts + 3 + 3 * 2 + len(truth)


def test_a_page_whose_scrolling_brings_nothing_fails_naming_what_it_saw(tmp_path: Path) -> None:
    chromium_or_skip()
    with ReplicaHandle(articles=60, seed=11, pagination="ignored") as replica:
        check = scrapy("sitecheck", "--browser", "--base-url", replica.base_url, "--lang", "en",
                       "-s", f"ANALYTICS_OUTPUT_DIR={tmp_path}",
                       "-s", "ANALYTICS_LOOPBACK_UNTHROTTLED=1")
        log = replica.requests()
    assert check.returncode == 1, check.stderr[-3000:]
    last = check.stdout.strip().splitlines()[-1]
    assert last.startswith("FAIL: en: no request of the page brought cards page 1 does not show")
    assert "scroll 1 to the end, load-more element in view: 0 request(s) of the script" in last
    assert "Requests the page's script sent: none" in last
    assert [entry["path"] for entry in log] == ["/robots.txt", "/en/category/analytics"]


def test_browser_without_the_extra_says_how_to_install_it(tmp_path: Path) -> None:
    result = scrapy("sitecheck", "--browser", "--base-url", "http://127.0.0.1:9",
                    "-s", f"ANALYTICS_OUTPUT_DIR={tmp_path}", without_browser=True, timeout=60)
    assert result.returncode == 2, result.stderr[-2000:]
    assert "needs the browser extra" in result.stderr
    assert "pip install '.[browser]'" in result.stderr
    assert result.stdout == ""
