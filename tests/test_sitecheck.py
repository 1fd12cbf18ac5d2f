"""``scrapy sitecheck`` against the replica (all pass, exit 0) and against a replica whose
class names changed (served through a small rewriting proxy: fails, naming what broke)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.crawl import ROOT
from tests.replica.handle import ReplicaHandle

pytestmark = pytest.mark.e2e


def sitecheck(base_url: str, *options: str) -> subprocess.CompletedProcess[str]:
    """The real command, as a user runs it (politeness lifted: loopback only)."""
    command = [sys.executable, "-m", "scrapy", "sitecheck", "--base-url", base_url,
               "-s", "ANALYTICS_LOOPBACK_UNTHROTTLED=1", *options]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, check=False)


@contextmanager
def renaming_proxy(upstream: str, renames: dict[str, str]) -> Iterator[str]:
    """A loopback HTTP server that serves ``upstream``'s pages with class names renamed."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            try:
                with urllib.request.urlopen(upstream + self.path, timeout=10) as answer:
                    status, body, kind = answer.status, answer.read(), answer.headers
            except urllib.error.HTTPError as error:
                status, body, kind = error.code, error.read(), error.headers
            text = body.decode("utf-8")
            for old, new in renames.items():
                text = text.replace(old, new)
            data = text.encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", kind.get("Content-Type", "text/html"))
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def report_lines(output: str) -> dict[str, str]:
    """``lang/check`` -> status, from the report's lines."""
    lines = {}
    for line in output.splitlines()[1:]:
        parts = line.split()
        if len(parts) > 3 and parts[1] in ("PASS", "FAIL", "UNSEEN"):
            lines[f"{parts[0]}/{parts[2]}"] = parts[1]
    return lines


def test_the_replica_passes_every_check(replica: Callable[..., ReplicaHandle]) -> None:
    site = replica(articles=60, seed=11)
    result = sitecheck(site.base_url)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith(f"Site check of {site.base_url}: all passed")
    statuses = report_lines(result.stdout)
    for lang in ("en", "ru", "hy"):
        for check in ("listing_path", "card", "card_title", "card_time", "card_date_format",
                      "pagination", "title", "date", "body", "category", "subtitle", "views",
                      "cover", "canonical", "date_format", "views_label"):
            assert statuses[f"{lang}/{check}"] == "PASS", (lang, check, result.stdout)
    # Polite even here: robots.txt first, then only listings and articles it allows.
    paths = [entry["path"] for entry in site.requests()]
    assert paths[0] == "/robots.txt"
    assert not any("/preview-" in path for path in paths)


def test_one_language_and_a_wrong_listing_path(replica: Callable[..., ReplicaHandle]) -> None:
    site = replica(articles=30, seed=7)
    result = sitecheck(site.base_url, "--lang", "en", "-s",
                       'ANALYTICS_SECTION_PATHS={"en": "/en/analytics"}')
    assert result.returncode == 1
    assert "en  FAIL   listing_path" in result.stdout and "saw HTTP 404" in result.stdout
    assert not any(line.startswith(("ru ", "hy ")) for line in result.stdout.splitlines())


@pytest.mark.parametrize(
    ("pagination", "verdict", "seen"),
    [("next-link", "PASS", "page 1's rel_next link"),
     ("ignored", "FAIL", "page 2 repeats page 1's 20 cards")],
)
def test_pagination_is_checked_where_a_crawl_would_find_page_2(
    replica: Callable[..., ReplicaHandle], pagination: str, verdict: str, seen: str
) -> None:
    site = replica(articles=60, seed=11, pagination=pagination)
    result = sitecheck(site.base_url, "--lang", "en", "--articles", "1")
    line = next(line for line in result.stdout.splitlines() if "pagination" in line)
    assert line.startswith(f"en  {verdict}"), result.stdout
    assert seen in line


def test_renamed_card_classes_fail_naming_the_cards(
    replica: Callable[..., ReplicaHandle]
) -> None:
    site = replica(articles=60, seed=11)
    with renaming_proxy(site.base_url, {"float_block": "news_card"}) as proxy:
        result = sitecheck(proxy)
    assert result.returncode == 1, result.stdout + result.stderr
    statuses = report_lines(result.stdout)
    for lang in ("en", "ru", "hy"):
        assert statuses[f"{lang}/listing_path"] == "PASS"
        assert statuses[f"{lang}/card"] == "FAIL"
    # What it saw instead: where the article links now sit, and the look-alike class.
    assert "article links sit in: div.news_card x" in result.stdout
    assert "Failed: en/card" in result.stdout


def test_renamed_article_classes_fail_naming_each_field(
    replica: Callable[..., ReplicaHandle]
) -> None:
    site = replica(articles=60, seed=11)
    renames = {"post_title": "entry_title", "post_time": "entry_time", "post_hits": "entry_hits"}
    with renaming_proxy(site.base_url, renames) as proxy:
        result = sitecheck(proxy, "--lang", "ru")
    assert result.returncode == 1, result.stdout + result.stderr
    statuses = report_lines(result.stdout)
    failed = {name for name, status in statuses.items() if status == "FAIL"}
    assert failed == {"ru/title", "ru/date", "ru/views", "ru/views_label"}, result.stdout
    assert statuses["ru/card"] == statuses["ru/body"] == statuses["ru/subtitle"] == "PASS"
    assert "similar classes on the page: entry_title" in result.stdout
    assert "a date stands in div.entry_time" in result.stdout
    assert "the counter stands in div.entry_hits: 'Просмотров:" in result.stdout
