"""The real ``scrapy crawl``/``sitecheck`` as an unattended server meets them: Scrapy's own
settings refused before the first request, a dead host failing within seconds, an output
directory bound to one site."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.crawl import PAST_LAST, REFUSED, ROOT, run_crawl
from tests.receivers import free_port
from tests.replica.handle import ReplicaHandle

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def site() -> Iterator[ReplicaHandle]:
    with ReplicaHandle(articles=12, seed=3) as replica:
        yield replica


def scrapy(*arguments: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "scrapy", *arguments], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout, check=False)


def refusal(result: subprocess.CompletedProcess[str]) -> str:
    """The one line of a refusal (after Scrapy's usage line), checked to be all there is."""
    assert result.returncode == 2, result.stdout + result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines[:2] == ["Usage", "====="] or len(lines) == 1, lines
    return lines[-1].split(": error: ", 1)[1]


@pytest.mark.parametrize(("name", "value", "expected"), [
    ("DOWNLOAD_DELAY", "abc", "expected a number of seconds, 0 or more"),
    ("RETRY_TIMES", "abc", "expected a whole number, 0 or more"),
    ("LOG_LEVEL", "BOGUS", "expected one of DEBUG, INFO, WARNING, ERROR, CRITICAL"),
    ("DOWNLOAD_TIMEOUT", "-5", "expected a number of seconds above 0"),
    ("CONCURENT_REQUESTS", "32", "expected a known setting (CONCURRENT_REQUESTS?)"),
])
def test_a_wrong_scrapy_setting_is_refused_before_any_request(
        site: ReplicaHandle, tmp_path: Path, name: str, value: str, expected: str) -> None:
    before = len(site.requests())
    result = run_crawl(site.base_url, tmp_path / "out", settings={name: value}, endings=REFUSED)
    assert result.returncode == 2, result.log[-2000:]
    line = result.log.strip().splitlines()[-1].split(": error: ", 1)[1]
    assert line == f"{name}: given {value!r}; {expected}" or \
        line.startswith(f"{name}: given {value!r}; {expected} (")
    assert "Traceback" not in result.log
    assert len(site.requests()) == before  # not even robots.txt
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(("name", "value"), [
    ("DOWNLOAD_DELAY", "0"), ("CONCURRENT_REQUESTS_PER_DOMAIN", "32"), ("ROBOTSTXT_OBEY", "0"),
    ("AUTOTHROTTLE_ENABLED", "0"), ("USER_AGENT", "Mozilla/5.0 (X11; Linux x86_64)"),
    ("ITEM_PIPELINES", "{}"),
])
def test_loosened_politeness_is_refused_against_a_real_host(tmp_path: Path, name: str,
                                                            value: str) -> None:
    """Against caliber.az itself: refused while the options are read, so nothing is sent."""
    result = scrapy("crawl", "analytics", "-a", "base_url=https://caliber.az",
                    "-s", f"{name}={value}", "-s", f"ANALYTICS_OUTPUT_DIR={tmp_path / 'out'}",
                    "-s", f"ANALYTICS_STATE_PATH={tmp_path / 'out' / 'state.sqlite3'}")
    line = refusal(result)
    assert line.startswith(f"{name}: given ")
    assert "https://caliber.az is not loopback" in line
    assert not (tmp_path / "out").exists()


def test_an_unknown_spider_is_one_line_and_help_lists_the_arguments() -> None:
    result = scrapy("crawl", "analytic")
    assert refusal(result) == ("unknown spider 'analytic' (did you mean "
                               "'analytics'?); this project's spiders: analytics")
    shown = scrapy("crawl", "--help")
    assert shown.returncode == 0
    for argument in ("lang", "base_url", "mode", "since", "until", "refresh_days"):
        assert f"\n  {argument} " in shown.stdout


def test_a_dead_host_ends_the_run_within_a_minute_naming_it(tmp_path: Path) -> None:
    port = free_port()
    started = time.monotonic()
    result = run_crawl(f"http://127.0.0.1:{port}", tmp_path / "out", relaxed=False,
                       timeout=120, endings={  # closed as the first listing failed, or before
                           lang: ("fetch_failed", "unfinished") for lang in ("en", "ru", "hy")})
    seconds = time.monotonic() - started
    assert result.returncode == 3, result.log[-3000:]
    assert seconds < 60, seconds
    assert (f"Nothing answers at 127.0.0.1:{port}: connection refused on "
            f"http://127.0.0.1:{port}/robots.txt, 3 attempts") in result.log
    errors = [line for line in result.log.splitlines() if "] ERROR: " in line]
    assert len(errors) == 2 and "Nothing answers at" in errors[0], errors
    assert f"Run {result.summary['run_id']} FAILED" in errors[1]  # the run's verdict
    summary = result.summary
    assert summary["failed_checks"]["site_unreachable"] == (
        f"nothing answers at 127.0.0.1:{port}: connection refused")
    assert summary["finish_reason"] == "site_unreachable"


def test_sitecheck_fails_an_unreachable_site_at_once() -> None:
    port = free_port()
    started = time.monotonic()
    result = scrapy("sitecheck", "--base-url", f"http://127.0.0.1:{port}", "--lang", "en")
    seconds = time.monotonic() - started
    assert result.returncode == 1, result.stdout + result.stderr[-2000:]
    assert seconds < 60, seconds
    unreachable = f"nothing answers at 127.0.0.1:{port} (connection refused)"
    assert "en  FAIL   section          " in result.stdout
    assert f"saw home page: {unreachable}" in result.stdout
    assert "en  FAIL   listing_path     " in result.stdout
    assert f"saw {unreachable}" in result.stdout


def test_an_output_directory_holds_one_site(site: ReplicaHandle, tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = run_crawl(site.base_url, out, "mode=full", "lang=en", endings=PAST_LAST)
    assert first.returncode == 0, first.log[-2000:]
    assert first.summary["host"] == "127.0.0.1"
    other_host = site.base_url.replace("127.0.0.1", "localhost")  # same replica, another host
    before = len(site.requests())
    refused = run_crawl(other_host, out, "mode=full", "lang=en", endings=REFUSED)
    assert refused.returncode == 2, refused.log[-2000:]
    assert (f"scrapy crawl: refused: base_url: '{other_host}' is host localhost, but {out} "
            f"holds the runs of 127.0.0.1") in refused.log
    assert len(site.requests()) == before and len(refused.summaries) == 1
    mirror = run_crawl(other_host, out, "mode=full", "lang=en",
                       settings={"ANALYTICS_SITE_MIRRORS": "localhost"}, endings=PAST_LAST)
    assert mirror.returncode == 0, mirror.log[-2000:]
    assert [summary["host"] for summary in mirror.summaries] == ["127.0.0.1", "localhost"]


@pytest.mark.parametrize("command", [("sitecheck",), ("reextract", "--all"), ("state", "--check"),
                                     ("dataset",), ("report",)])
def test_every_project_command_refuses_a_wrong_scrapy_setting_in_one_line(
        command: tuple[str, ...]) -> None:
    result = scrapy(*command, "-s", "LOG_LEVEL=BOGUS")
    assert refusal(result) == ("LOG_LEVEL: given 'BOGUS'; expected one of DEBUG, INFO, "
                               "WARNING, ERROR, CRITICAL")
