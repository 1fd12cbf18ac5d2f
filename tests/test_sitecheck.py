"""``scrapy sitecheck`` against the replica: healthy (also at a bad moment: 503, 429, one-page
sections, rare optional fields) exits 0; a replica whose classes changed (served through a
small rewriting proxy) exits 1 naming what broke; politeness and redirects as in a crawl."""

from __future__ import annotations

import itertools
import os
import shlex
import subprocess
import sys
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.crawl import PAST_LAST, ROOT, by_url, run_crawl, without_crawler_fields
from tests.proxy import Hits, rewriting_proxy, serving
from tests.replica.generator import build_site
from tests.replica.handle import ReplicaHandle
from tests.replica.render import card_href
from tests.test_pagination_e2e import WHOLE_WALK

pytestmark = pytest.mark.e2e


def sitecheck(base_url: str, *options: str, relaxed: bool = True
              ) -> subprocess.CompletedProcess[str]:
    """The real command, as a user runs it (politeness lifted for loopback if ``relaxed``)."""
    command = [sys.executable, "-m", "scrapy", "sitecheck", "--base-url", base_url, *options]
    if relaxed:
        command += ["-s", "ANALYTICS_LOOPBACK_UNTHROTTLED=1"]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=180,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, check=False)


def report_lines(output: str) -> dict[str, str]:
    """``lang/check`` -> status, from the report's lines."""
    lines = {}
    for line in output.splitlines()[1:]:
        parts = line.split()
        if len(parts) > 3 and parts[1] in ("PASS", "WARN", "UNSEEN", "FAIL"):
            lines[f"{parts[0]}/{parts[2]}"] = parts[1]
    return lines


def report_line(output: str, lang: str, check: str) -> str:
    return next(line for line in output.splitlines() if line.split()[:3:2] == [lang, check])


def suggested_settings(output: str) -> dict[str, str]:
    """The ``-s NAME=VALUE`` lines the report asks for."""
    found = {}
    for line in output.splitlines():
        if line.startswith("  -s "):
            name, _, value = shlex.split(line)[1].partition("=")
            found[name] = value
    return found


def card_path(site_args: tuple[int, int, dict[str, int] | None], lang: str, index: int) -> str:
    """The path the crawler requests for the ``index``-th card of ``lang``'s page 1."""
    seed, articles, per_lang = site_args
    site = build_site(seed, articles, per_lang)
    return urlsplit(card_href(site.listing_page(lang, 1)[index])).path


def test_the_replica_passes_every_check(replica: Callable[..., ReplicaHandle]) -> None:
    site = replica(articles=60, seed=11)
    result = sitecheck(site.base_url)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith(f"Site check of {site.base_url}: no failure")
    statuses = report_lines(result.stdout)
    for lang in ("en", "ru", "hy"):
        for check in ("section", "listing_path", "card", "card_title", "card_time",
                      "card_date_format", "pagination", "article", "title", "date", "body",
                      "category", "subtitle", "views", "cover", "canonical", "date_format",
                      "views_label"):
            assert statuses[f"{lang}/{check}"] == "PASS", (lang, check, result.stdout)
    assert "Settings this site needs" not in result.stdout
    paths = [entry["path"] for entry in site.requests()]
    assert paths[0] == "/robots.txt"
    assert {"/", "/en/", "/arm/"} <= set(paths)  # the menus of the home pages
    assert not any("/preview-" in path for path in paths)  # robots.txt forbids them
    assert f"Requests: {len(paths)} (0 retries)" in result.stdout


def test_a_bad_moment_one_page_sections_and_rare_fields_pass(
    replica: Callable[..., ReplicaHandle]
) -> None:
    """503 then 200, 429 Retry-After then 200, an article that stays 503, ru/hy one short
    page each, subtitles and covers on one article in ten: nothing of it is a change."""
    per_lang = {"en": 40, "ru": 5, "hy": 4}
    args = (5, 0, per_lang)
    retried_503, retried_429 = card_path(args, "ru", 0), card_path(args, "ru", 1)
    lost = card_path(args, "hy", 0)
    faults = f"503@{retried_503}#1,429ra@{retried_429}#1,503@{lost}"
    site = replica(articles=0, seed=5, faults=faults, retry_after=3, lang_articles=per_lang,
                   rare_fields=("subtitle", "image"))
    result = sitecheck(site.base_url)
    assert result.returncode == 0, result.stdout + result.stderr
    statuses = report_lines(result.stdout)
    assert "FAIL" not in statuses.values(), result.stdout
    for lang in ("ru", "hy"):
        line = report_line(result.stdout, lang, "pagination")
        assert statuses[f"{lang}/pagination"] == "PASS", line
        assert "holds no cards" in line and "the walk ends there" in line, line
    assert "has 18 further cards" in report_line(result.stdout, "en", "pagination")
    assert statuses["ru/article"] == "PASS"
    assert "2 after retries" in report_line(result.stdout, "ru", "article")
    assert statuses["hy/article"] == "WARN"
    assert f"{lost}: HTTP 503 after 5 retries" in report_line(result.stdout, "hy", "article")
    assert statuses["ru/subtitle"] == statuses["ru/cover"] == "UNSEEN"
    assert ("lower ANALYTICS_MONITOR_MIN_COVERAGE_SUBTITLE (now 0.2)"
            in report_line(result.stdout, "ru", "subtitle"))
    log = site.requests()
    refused = next(entry for entry in log if entry["status"] == 429)
    after = min(entry["t"] for entry in log if entry["t"] > refused["t"])
    assert after - refused["t_end"] >= 3.0 - 0.05  # the Retry-After pause of the crawl


def test_the_section_is_found_in_the_menu_and_its_setting_printed(
    replica: Callable[..., ReplicaHandle], tmp_path: Path
) -> None:
    site = replica(articles=30, seed=7)
    result = sitecheck(site.base_url, "--lang", "en", "-s",
                       'ANALYTICS_SECTION_PATHS={"en": "/en/analytics"}')
    assert result.returncode == 1
    statuses = report_lines(result.stdout)
    assert statuses["en/listing_path"] == statuses["en/section"] == "FAIL"
    assert "saw HTTP 404" in report_line(result.stdout, "en", "listing_path")
    assert "'ANALYTICS' -> /en/category/analytics" in report_line(result.stdout, "en", "section")
    # The rest is checked where the menu leads, and passes there.
    assert statuses["en/card"] == statuses["en/title"] == "PASS"
    assert not any(line.startswith(("ru ", "hy ")) for line in result.stdout.splitlines())
    settings = suggested_settings(result.stdout)
    assert list(settings) == ["ANALYTICS_SECTION_PATHS"]
    crawl = run_crawl(site.base_url, tmp_path, "mode=full", "lang=en", settings=settings,
                      endings=PAST_LAST)
    assert crawl.returncode == 0, crawl.log[-3000:]
    truth = [record for record in site.truth() if record["lang"] == "en"]
    assert by_url([without_crawler_fields(r) for r in crawl.records]) == by_url(truth)


JSON_PAGE_URL = "/api/{lang}/category/{slug}/posts?limit={limit}&page={n}"
#: Per replica pagination: the verdict, how the line names the mechanism, settings printed.
PAGINATIONS: dict[str, tuple[str, str, dict[str, str]]] = {
    "query": ("PASS", "ANALYTICS_PAGE_URL='{path}?page={n}': ", {}),
    "next-link": ("PASS", "page 1's own rel_next link: ", {}),
    "load-more": ("PASS", "page 1's own load_more link: ", {}),
    "json": ("FAIL", f"but ANALYTICS_PAGE_URL={JSON_PAGE_URL!r} works", {
        "ANALYTICS_PAGE_URL": JSON_PAGE_URL}),
    "ignored": ("FAIL", "no way to page 2 works", {}),
    "more-button": ("PASS", "page 1's own more_control link: ", {}),
    "more-scripted": ("FAIL", "no way to page 2 works", {}),
    "reordered": ("PASS", "page 1's own pager_next link: ", {}),
}
#: Variants no setting makes walkable whole: the crawl's own tests fail those runs.
UNWALKABLE = ("ignored", "more-scripted")


@pytest.mark.parametrize("pagination", list(PAGINATIONS))
def test_each_pagination_is_named_and_its_settings_deliver_every_article(
    replica: Callable[..., ReplicaHandle], tmp_path: Path, pagination: str
) -> None:
    verdict, named, settings = PAGINATIONS[pagination]
    site = replica(articles=60, seed=11, pagination=pagination)  # 20 a language: two pages
    result = sitecheck(site.base_url, "--articles", "1")
    assert result.returncode == (0 if verdict == "PASS" else 1), result.stdout + result.stderr
    for lang in ("en", "ru", "hy"):
        line = report_line(result.stdout, lang, "pagination")
        assert line.startswith(f"{lang:3} {verdict}") and named in line, line
        if pagination == "json":
            assert "(JSON batch) has 2 further cards" in line
        if pagination == "more-scripted":
            assert "<button.feed-extend[type='button']>" in line and "ANALYTICS_PAGE_URL" in line
    assert suggested_settings(result.stdout) == settings
    if pagination in UNWALKABLE:
        return
    crawl = run_crawl(site.base_url, tmp_path, "mode=full", settings=settings,
                      endings=WHOLE_WALK[pagination])
    assert crawl.returncode == 0, crawl.log[-3000:]
    assert by_url([without_crawler_fields(r) for r in crawl.records]) == by_url(site.truth())


def test_renamed_card_classes_fail_naming_the_cards(
    replica: Callable[..., ReplicaHandle]
) -> None:
    site = replica(articles=60, seed=11)
    with rewriting_proxy(site.base_url, {"float_block": "news_card"}) as proxy:
        result = sitecheck(proxy)
    assert result.returncode == 1, result.stdout + result.stderr
    statuses = report_lines(result.stdout)
    for lang in ("en", "ru", "hy"):
        assert statuses[f"{lang}/listing_path"] == "PASS"
        assert statuses[f"{lang}/card"] == "FAIL"
    # What it saw instead: where the article links now sit, and the look-alike class.
    assert "article links sit in: div.news_card x" in result.stdout
    assert "Failed: en/card" in result.stdout


@pytest.mark.parametrize(("defect", "seen"), [
    ("error200", "(HTTP 200, title 'Database Error', "),
])
def test_a_listing_without_cards_fails(
    replica: Callable[..., ReplicaHandle], defect: str, seen: str
) -> None:
    """The day-2 listings of the crawl's layout test: the check fails where the run does."""
    site = replica(articles=60, seed=11)
    site.set_listing_defect(defect)
    result = sitecheck(site.base_url, "--lang", "en")
    assert result.returncode == 1, result.stdout + result.stderr
    statuses = report_lines(result.stdout)
    assert statuses["en/card"] == "FAIL"
    line = report_line(result.stdout, "en", "card")
    assert "(ANALYTICS_SELECTORS card, card_link)" in line and seen in line, line
    assert statuses["en/pagination"] == "UNSEEN"


def test_renamed_article_classes_fail_naming_each_field(
    replica: Callable[..., ReplicaHandle]
) -> None:
    site = replica(articles=60, seed=11)
    renames = {"post_title": "entry_title", "post_time": "entry_time", "post_hits": "entry_hits"}
    with rewriting_proxy(site.base_url, renames) as proxy:
        result = sitecheck(proxy, "--lang", "ru")
    assert result.returncode == 1, result.stdout + result.stderr
    statuses = report_lines(result.stdout)
    failed = {name for name, status in statuses.items() if status == "FAIL"}
    # views is optional, but the page shows the counter under another element: a failure.
    assert failed == {"ru/title", "ru/date", "ru/views"}, result.stdout
    assert statuses["ru/card"] == statuses["ru/body"] == statuses["ru/subtitle"] == "PASS"
    assert "similar classes on the page: entry_title" in result.stdout
    assert "a date stands in div.entry_time" in result.stdout
    assert "the counter stands in div.entry_hits: 'Просмотров:" in result.stdout


def test_a_redirect_to_another_host_is_not_followed(
    replica: Callable[..., ReplicaHandle]
) -> None:
    site = replica(articles=30, seed=7)
    elsewhere = Hits()

    def record(handler: BaseHTTPRequestHandler) -> None:
        elsewhere.paths.append(handler.path)
        handler.send_response(200)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    moved = card_path((7, 30, None), "en", 0)
    with serving(record) as other:
        away = other.replace("127.0.0.1", "localhost") + moved  # same machine, another host
        with rewriting_proxy(site.base_url, redirects={moved: away}) as proxy:
            result = sitecheck(proxy, "--lang", "en")
    assert elsewhere.paths == []
    assert result.returncode == 0, result.stdout + result.stderr
    line = report_line(result.stdout, "en", "article")
    assert f"not followed: it redirects to {away}, another host than 127.0.0.1" in line, line


def test_a_listing_batch_redirected_to_another_host_fails_naming_where(
    replica: Callable[..., ReplicaHandle]
) -> None:
    """The crawl's walk ends ``redirect_offsite`` there (test_pagination_e2e): so does the
    check's, a FAIL naming the URL it was sent to."""
    site = replica(articles=60, seed=11)
    page_2 = "/en/category/analytics?page=2"
    away = site.base_url.replace("127.0.0.1", "localhost") + page_2
    with rewriting_proxy(site.base_url, redirects={page_2: away}) as proxy:
        result = sitecheck(proxy, "--lang", "en", "--articles", "1")
    assert result.returncode == 1, result.stdout + result.stderr
    assert [e["path"] for e in site.requests() if e["path"].startswith(page_2)] == []
    line = report_line(result.stdout, "en", "pagination")
    assert line.startswith("en  FAIL"), line
    assert (f"asked batch 2 at {proxy}{page_2} (built from ANALYTICS_PAGE_URL='{{path}}?page="
            f"{{n}}'); it redirects to {away}, another host than 127.0.0.1: not followed") in line


def test_the_check_is_polite(replica: Callable[..., ReplicaHandle]) -> None:
    """The live-site settings: robots.txt first, one request at a time, DOWNLOAD_DELAY."""
    site = replica(articles=30, seed=7)
    result = sitecheck(site.base_url, "--lang", "en", "--articles", "2", relaxed=False)
    assert result.returncode == 0, result.stdout + result.stderr
    log = site.requests()
    assert log[0]["path"] == "/robots.txt"
    assert max(entry["in_flight"] for entry in log) == 1
    starts = sorted(entry["t"] for entry in log)
    gaps = [later - earlier for earlier, later in itertools.pairwise(starts)]
    assert min(gaps) >= 0.45, gaps  # DOWNLOAD_DELAY 1 s, jittered 0.5x-1.5x
    assert {entry["ua"] for entry in log} == {
        "CaliberAnalyticsCrawler/0.1 (+https://github.com/caliber-analytics-crawler)"}


def test_the_check_is_no_spider_to_crawl() -> None:
    listed = subprocess.run([sys.executable, "-m", "scrapy", "list"], cwd=ROOT, text=True,
                            capture_output=True, env={**os.environ, "PYTHONPATH": str(ROOT)},
                            timeout=60, check=False)
    assert listed.stdout.split() == ["analytics"], listed.stdout + listed.stderr


def test_bad_options_are_refused_before_any_request(
    replica: Callable[..., ReplicaHandle]
) -> None:
    site = replica(articles=3, seed=7)
    result = sitecheck(site.base_url, "--articles", "0")
    assert result.returncode == 2
    assert "--articles: given '0'; expected a whole number" in result.stderr
    result = sitecheck(site.base_url, "-s", 'ANALYTICS_SECTION_LABELS={"de": "ANALYSE"}')
    assert result.returncode == 2 and "ANALYTICS_SECTION_LABELS" in result.stderr
    assert site.requests() == []


def test_the_size_cap_of_the_crawl_holds(replica: Callable[..., ReplicaHandle]) -> None:
    site = replica(articles=3, seed=7)
    result = sitecheck(site.base_url, "--lang", "en", "-s", "DOWNLOAD_MAXSIZE=20000")
    assert result.returncode == 1
    line = report_line(result.stdout, "en", "listing_path")
    assert "FAIL" in line and "no answer (too_large:" in line, line
