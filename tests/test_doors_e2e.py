"""Every door an article can leave by, served by a hostile site: each lost article is a
reject with its reason or excluded by a named rule, the healthy ones are delivered, and the
ledger adds up (``tests.crawl.assert_ledger_adds_up``, in every crawl of the suite)."""

from __future__ import annotations

import gzip
import json
import lzma
import sqlite3
import sys
import threading
import time
import zlib
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import brotli
import pytest

from tests.crawl import (
    FRONTIER,
    PAST_LAST,
    REFUSED,
    read_lines,
    run_crawl,
    run_reextract,
    run_state,
)
from tests.hostile import HostileSite, article_page, listing_page

if sys.version_info >= (3, 14):  # where Scrapy takes zstd from
    from compression import zstd
else:
    from backports import zstd

pytestmark = pytest.mark.e2e
LISTING = "/en/category/analytics"
LONG_CARD = "/en/post/" + "a" * 100_000
#: Monitors relaxed: the test looks at each reject itself.
LENIENT = {"RETRY_TIMES": 1, "ANALYTICS_BACKOFF_BASE": 0.05, "DOWNLOAD_MAXSIZE": 1_000_000,
           "ANALYTICS_MONITOR_MAX_REJECTS_RATIO": 1, "ANALYTICS_MONITOR_MAX_ERRORS": 100,
           "ANALYTICS_MONITOR_MAX_HTTP_ERROR_RATIO": 1}
Answer = tuple[int, dict[str, str], bytes]


def page_number(path: str) -> int:
    return int(parse_qs(urlsplit(path).query).get("page", ["1"])[0])


def slug_of(path: str) -> str:
    return urlsplit(path).path.rsplit("/", 1)[-1]


class DoorsSite:
    """One listing whose cards each take another door; ``elsewhere`` is another host."""

    def __init__(self, elsewhere: str) -> None:
        self.elsewhere = elsewhere
        self.listing_asked = 0
        self.lock = threading.Lock()

    def cards(self, page: int) -> list[str]:
        if page == 1:
            return ["/en/post/good-1", "/en/post/good-2", "/en/post/bomb", "/en/post/loop-a",
                    "/en/post/chain-0", "/en/post/away", "http://[::1/en/post/broken",
                    LONG_CARD, "/en/post/home-canonical", "/en/post/forbidden",
                    "https://elsewhere.example/en/post/x", "/en/post/picture", "/en/about"]
        if page == 2:  # the impostor names good-1 as its canonical URL, after good-1 came
            return ["/en/post/impostor", "/en/post/good-2"]
        return []

    def route(self, path: str) -> Answer:
        if path.startswith(LISTING):
            with self.lock:
                self.listing_asked += 1
                first = self.listing_asked == 1
            if first:  # '²' is a digit to str.isdigit, not to float
                return 503, {"Retry-After": "²"}, b""
            return 200, {}, listing_page(self.cards(page_number(path)))
        slug = slug_of(path)
        redirects = {"loop-a": "/en/post/loop-b", "loop-b": "/en/post/loop-a",
                     "away": f"{self.elsewhere}/en/post/away"}
        if slug in redirects:
            return 302, {"Location": redirects[slug]}, b""
        if slug.startswith("chain-"):
            return 302, {"Location": f"/en/post/chain-{int(slug[6:]) + 1}"}, b""
        if slug == "bomb":  # 5 MB of zeros in 5 KB of gzip, past DOWNLOAD_MAXSIZE once expanded
            return 200, {"Content-Encoding": "gzip"}, gzip.compress(b"\0" * 5_000_000)
        if slug == "picture":
            return 200, {"Content-Type": "image/png"}, b"\x89PNG\r\n\x1a\n" + b"\0" * 64
        if slug == "home-canonical":
            return 200, {}, article_page(slug, canonical="https://caliber.az/")
        if slug == "impostor":
            time.sleep(0.3)  # after good-1, whatever the order of the downloads
            return 200, {}, article_page(slug, canonical="https://caliber.az/en/post/good-1")
        return 200, {}, article_page(slug)


def test_every_door_of_an_article_is_named(tmp_path: Path) -> None:
    with HostileSite(lambda path: (404, {}, b""), host="127.0.0.2") as elsewhere:
        doors = DoorsSite(elsewhere.base_url)
        robots: Answer = (200, {}, b"User-agent: *\nDisallow: /en/post/forbidden\n")
        with HostileSite(doors.route, robots=lambda path: robots) as site:
            result = run_crawl(site.base_url, tmp_path, "lang=en", "mode=full",
                               settings=LENIENT, endings=PAST_LAST)
    assert elsewhere.requested == []
    assert "/en/post/forbidden" not in site.requested
    assert result.returncode == 0, result.log[-3000:]
    assert sorted(record["url"] for record in result.records) == [
        f"https://caliber.az/en/post/{slug}"
        for slug in ("good-1", "good-2", "home-canonical", "impostor")]
    rejects = {reject["reason"]: reject["url"] for reject in result.rejects}
    assert sorted(rejects) == ["bad_url", "fetch_too_large", "not_text", "redirect_limit",
                               "redirect_loop", "redirect_offsite", "url_too_long"]
    assert rejects["bad_url"] == "http://[::1/en/post/broken"
    assert rejects["fetch_too_large"].endswith("/en/post/bomb")
    assert rejects["not_text"].endswith("/en/post/picture")
    assert rejects["redirect_limit"].endswith("/en/post/chain-5")
    assert rejects["redirect_loop"].endswith(("/en/post/loop-a", "/en/post/loop-b"))
    assert rejects["redirect_offsite"] == f"{elsewhere.base_url}/en/post/away"
    assert rejects["url_too_long"].endswith(LONG_CARD)
    summary = result.summary
    assert summary["ledger"] == {"en": {
        "learned": 14, "delivered": 4, "known": 0, "rejected": 7, "excluded": 3,
        "unaccounted": 0,
        "rejected_by": dict.fromkeys(sorted(rejects), 1),
        "excluded_by": {"another_host": 1, "not_an_article": 1, "robots_txt": 1},
        "learned_from": {"card": 14}}}
    assert summary["canonical_conflicts"] == {"claimed": 1, "not_an_article": 1}


def test_robots_txt_failing_after_retries_disallows_all_and_fails_the_run(
        tmp_path: Path) -> None:
    with HostileSite(lambda path: (200, {}, listing_page(["/en/post/a"])),
                     robots=lambda path: (503, {}, b"")) as site:
        result = run_crawl(site.base_url, tmp_path, "lang=en", "mode=full",
                           settings={"RETRY_TIMES": 2, "ANALYTICS_BACKOFF_BASE": 0.05},
                           endings="fetch_failed")
    assert site.requested == ["/robots.txt"] * 3  # retried, then nothing else asked
    assert result.returncode == 3
    assert "HTTP 503" in result.summary["failed_checks"]["robots_txt"]


def test_robots_txt_redirected_to_another_host_disallows_all(tmp_path: Path) -> None:
    elsewhere = HostileSite(lambda path: (200, {}, b"User-agent: *\n"), host="127.0.0.2")
    robots = (301, {"Location": f"{elsewhere.base_url}/robots.txt"}, b"")
    with elsewhere, HostileSite(lambda path: (200, {}, listing_page(["/en/post/a"])),
                                robots=lambda path: robots) as site:
        result = run_crawl(site.base_url, tmp_path, "lang=en", "mode=full", endings="fetch_failed")
    assert elsewhere.requested == []
    assert site.requested == ["/robots.txt"]
    assert result.returncode == 3
    assert "offsite" in result.summary["failed_checks"]["robots_txt"]


def listing_then_articles(path: str) -> Answer:
    if path.startswith(LISTING):
        cards = ["/en/post/open", "/en/post/secret"] if page_number(path) == 1 else []
        return 200, {}, listing_page(cards)
    return 200, {}, article_page(slug_of(path))


def test_robots_txt_answering_404_allows_all(tmp_path: Path) -> None:
    with HostileSite(listing_then_articles, robots=lambda path: (404, {}, b"")) as site:
        result = run_crawl(site.base_url, tmp_path, "lang=en", "mode=full", endings=PAST_LAST)
    assert result.returncode == 0, result.log[-2000:]
    assert len(result.records) == 2


def test_robots_txt_is_parsed_past_500_kib_whatever_download_maxsize_says(
        tmp_path: Path) -> None:
    """A rule 450 KB into a robots.txt of 700 KB is obeyed with DOWNLOAD_MAXSIZE at 200 KB
    (the first 500 KiB are read, the rest is not downloaded)."""
    body = (b"User-agent: *\n" + b"# padding\n" * 45_000 + b"Disallow: /en/post/secret\n"
            + b"# more\n" * 35_000)
    with HostileSite(listing_then_articles, robots=lambda path: (200, {}, body)) as site:
        result = run_crawl(site.base_url, tmp_path, "lang=en", "mode=full",
                           settings={"DOWNLOAD_MAXSIZE": 200_000}, endings=PAST_LAST)
    assert "/en/post/secret" not in site.requested
    assert [record["url"].rsplit("/", 1)[1] for record in result.records] == ["open"]
    assert result.summary["ledger"]["en"]["excluded_by"] == {"robots_txt": 1}


@pytest.mark.parametrize("content", [b"", b"notes of mine, not a state\n"])
def test_an_empty_or_foreign_state_file_is_refused_and_left_unchanged(
        tmp_path: Path, content: bytes) -> None:
    state = tmp_path / "state.sqlite3"
    state.write_bytes(content)
    with HostileSite(listing_then_articles) as site:
        result = run_crawl(site.base_url, tmp_path, "lang=en", endings=REFUSED)
        assert site.requested == []
    assert result.returncode == 2
    assert "scrapy state --rebuild" in result.log
    assert state.read_bytes() == content
    rebuilt = run_state(tmp_path, "--rebuild")
    if content:  # not one of ours: never replaced
        assert rebuilt.returncode == 2, rebuilt.log
        assert state.read_bytes() == content
    else:  # a state cut off before its first write: rebuilt
        assert rebuilt.returncode == 0, rebuilt.log


@pytest.mark.parametrize("setting", [
    {"ANALYTICS_RUN_ID": "20261128T071500.123Z\n"},
    {"ANALYTICS_CONTACT_URL": "https://ops.example/\r\nX-Injected: 1"},
    {"ANALYTICS_PROGRESS_INTERVAL": 0.5},
])
def test_operator_values_that_would_corrupt_files_are_refused(
        tmp_path: Path, setting: dict[str, object]) -> None:
    with HostileSite(listing_then_articles) as site:
        result = run_crawl(site.base_url, tmp_path, "lang=en", settings=setting, endings=REFUSED)
        assert site.requested == []
    assert result.returncode == 2, result.log[-2000:]
    assert f"{next(iter(setting))}: given" in result.log
    assert not (tmp_path / "articles").exists()


def test_a_damaged_line_of_a_run_that_never_closed_is_fetched_again(tmp_path: Path) -> None:
    """The next run recovers the run file's whole records, skips and counts the damaged
    line, and fetches its article again instead of taking it as known."""
    with HostileSite(listing_then_articles) as site:
        first = run_crawl(site.base_url, tmp_path, "lang=en", "mode=full", endings=PAST_LAST)
        assert first.returncode == 0, first.log[-2000:]
        urls = [record["url"] for record in first.records]
        run_file = next((tmp_path / "articles").glob("*.jsonl"))
        whole = run_file.read_bytes().splitlines(keepends=True)[0]
        run_file.write_bytes(whole + b"\xff" * 40 + b"\n")  # the second line damaged
        with sqlite3.connect(tmp_path / "state.sqlite3") as db:  # as if it never closed
            db.execute("UPDATE runs SET closed_at = NULL")
            db.execute("DELETE FROM articles")
            db.execute("DELETE FROM url_forms")
        second = run_crawl(site.base_url, tmp_path, "lang=en", "refresh_days=0", endings=FRONTIER)
    assert second.returncode == 0, second.log[-2000:]
    assert second.summary["recovered_damaged_lines"] == 1
    newest = sorted((tmp_path / "articles").glob("*.jsonl"))[-1]
    assert [json.loads(line)["url"] for line in newest.read_text("utf-8").splitlines()] == [
        urls[1]]
    assert second.summary["ledger"]["en"]["known"] == 1


def test_headers_that_never_end_are_cut_and_rejected(tmp_path: Path) -> None:
    """An answer with 400 KB of headers is cut at 256 KiB (the crawl does not grow with it)
    and rejected; the other article is delivered."""
    endless = {f"X-Pad-{n}": "x" * 200 for n in range(2000)}

    def route(path: str) -> Answer:
        if path.startswith(LISTING):
            cards = ["/en/post/fine", "/en/post/endless"] if page_number(path) == 1 else []
            return 200, {}, listing_page(cards)
        slug = slug_of(path)
        return 200, endless if slug == "endless" else {}, article_page(slug)

    with HostileSite(route) as site:
        result = run_crawl(site.base_url, tmp_path, "lang=en", "mode=full",
                           settings={"RETRY_TIMES": 0}, endings=PAST_LAST)
    assert [record["url"].rsplit("/", 1)[1] for record in result.records] == ["fine"]
    assert [(r["reason"], r["url"].rsplit("/", 1)[1]) for r in result.rejects] == [
        ("fetch_headers_too_large", "endless")]


def test_a_listing_url_over_the_length_limit_fails_the_run_by_name(tmp_path: Path) -> None:
    """A page URL template giving a URL Scrapy would drop with an INFO line: the walk of
    that language is not complete, and the run says so."""
    template = "{path}?page={n}&pad=" + "x" * 3000
    with HostileSite(listing_then_articles) as site:
        result = run_crawl(site.base_url, tmp_path, "lang=en", "mode=full",
                           settings={"ANALYTICS_PAGE_URL": template}, endings="unfinished")
    assert [path for path in site.requested if path.startswith(LISTING)] == [LISTING]
    assert result.returncode == 3
    assert result.summary["failed_checks"]["listings"] == "1 listing pages could not be fetched"
    assert "URLLENGTH_LIMIT=2083" in result.log


def compressed(encoding: str, data: bytes) -> bytes:
    """``data`` in one of the encodings Scrapy 2.19 decodes (brotli and backports.zstd are
    dependencies of Scrapy itself, so it advertises all four)."""
    if encoding == "deflate":
        return zlib.compress(data)
    if encoding == "br":
        return brotli.compress(data, quality=1)
    assert encoding == "zstd"
    return zstd.compress(data)


def test_decompression_bombs_of_every_encoding_and_an_unknown_one_are_named(
        tmp_path: Path) -> None:
    """5 MB of zeros sent as deflate, br and zstd (a few KB each) expand past
    DOWNLOAD_MAXSIZE: ``fetch_too_large``, as for gzip; a page in an encoding Scrapy does not
    decode (and did not ask for) is ``fetch_encoding_unknown``, never a record of its bytes;
    the healthy page is delivered and the ledger adds up."""
    bombs = ("deflate", "br", "zstd")

    def route(path: str) -> Answer:
        if path.startswith(LISTING):
            cards = ["/en/post/fine", "/en/post/packed", *(f"/en/post/bomb-{name}"
                                                           for name in bombs)]
            return 200, {}, listing_page(cards if page_number(path) == 1 else [])
        slug = slug_of(path)
        if slug.startswith("bomb-"):
            encoding = slug[5:]
            return 200, {"Content-Encoding": encoding}, compressed(encoding, b"\0" * 5_000_000)
        if slug == "packed":  # lzma is no HTTP content coding Scrapy knows
            return 200, {"Content-Encoding": "xz"}, lzma.compress(article_page(slug))
        return 200, {}, article_page(slug)

    with HostileSite(route) as site:
        result = run_crawl(site.base_url, tmp_path, "lang=en", "mode=full", settings=LENIENT,
                           endings=PAST_LAST)
    assert result.returncode == 0, result.log[-3000:]
    assert [record["url"].rsplit("/", 1)[1] for record in result.records] == ["fine"]
    assert sorted((r["reason"], r["url"].rsplit("/", 1)[1]) for r in result.rejects) == [
        ("fetch_encoding_unknown", "packed"), *(("fetch_too_large", f"bomb-{name}")
                                                 for name in sorted(bombs))]
    ledger = result.summary["ledger"]["en"]
    assert (ledger["learned"], ledger["delivered"], ledger["rejected"]) == (5, 1, 4)
    assert ledger["rejected_by"] == {"fetch_encoding_unknown": 1, "fetch_too_large": 3}


def test_a_card_or_a_page_dated_1_january_0001_is_judged_by_its_page(tmp_path: Path) -> None:
    """A card dated 1 January 0001 (a CMS's empty date: no instant) under ``since`` has an
    unreadable date: it is fetched, and its page's own date decides (delivered); a page dated
    so is a ``date_unreadable`` reject. The cards around them and the walk go on. (A card
    whose handling raises is ``tests/test_listing_isolation.py``'s.)"""
    cards = ["/en/post/before", "/en/post/nulldate", "/en/post/nullpage", "/en/post/after"]
    null = "1 January 0001 00:01"

    def route(path: str) -> Answer:
        if path.startswith(LISTING):
            return 200, {}, listing_page(cards if page_number(path) == 1 else [],
                                         {"/en/post/nulldate": null})
        page = article_page(slug_of(path))
        return 200, {}, page.replace(b"14 May 2025 15:04", null.encode()) \
            if path.endswith("nullpage") else page

    with HostileSite(route) as site:
        result = run_crawl(site.base_url, tmp_path, "lang=en", "mode=full", "since=2025-01-01",
                           settings=LENIENT, endings=PAST_LAST)
    assert result.returncode == 0, result.log[-3000:]
    assert sorted(record["url"].rsplit("/", 1)[1] for record in result.records) == [
        "after", "before", "nulldate"]
    assert [(r["reason"], r["url"]) for r in result.rejects] == [
        ("date_unreadable", f"{site.base_url}/en/post/nullpage")]
    assert "0001" in result.rejects[0]["detail"]
    assert "/en/post/nulldate" in site.requested
    assert "callback_error" not in result.log and "OverflowError" not in result.log
    ledger = result.summary["ledger"]["en"]
    assert (ledger["learned"], ledger["delivered"], ledger["rejected_by"]) == (
        4, 3, {"date_unreadable": 1})


def test_a_re_extraction_ends_every_archived_article_as_the_crawl_did(tmp_path: Path) -> None:
    """The archive of a crawl with a page, a 404 and an image: the re-extraction learns all
    three (``run_reextract`` checks its ledger against the archive), delivers the page and
    rejects the other two with the crawl's reasons."""
    def route(path: str) -> Answer:
        if path.startswith(LISTING):
            cards = ["/en/post/fine", "/en/post/gone", "/en/post/picture"]
            return 200, {}, listing_page(cards if page_number(path) == 1 else [])
        slug = slug_of(path)
        if slug == "gone":
            return 404, {}, b"no such page"
        if slug == "picture":
            return 200, {"Content-Type": "image/png"}, b"\x89PNG\r\n\x1a\n" + b"\0" * 64
        return 200, {}, article_page(slug)

    with HostileSite(route) as site:
        crawl = run_crawl(site.base_url, tmp_path, "lang=en", "mode=full", settings=LENIENT,
                          endings=PAST_LAST)
    reasons = sorted(reject["reason"] for reject in crawl.rejects)
    assert reasons == ["fetch_http_404", "not_text"], crawl.log[-3000:]
    redo = run_reextract("--all", *(option for name, value in LENIENT.items()
                                    for option in ("-s", f"{name}={value}")), output_dir=tmp_path)
    assert redo.returncode == 0, redo.stderr[-3000:]
    summary = json.loads(max((tmp_path / "runs").glob("*.json")).read_text("utf-8"))
    assert summary["source"] == "archive"
    assert summary["ledger"]["en"] | {"learned_from": None} == {
        "learned": 3, "delivered": 1, "known": 0, "rejected": 2, "excluded": 0,
        "unaccounted": 0, "rejected_by": dict.fromkeys(reasons, 1), "excluded_by": {},
        "learned_from": None}
    redone = read_lines(tmp_path / "rejects")
    assert sorted(reject["reason"] for reject in redone) == sorted(reasons * 2)
