"""Every way the replica pages its listings, crawled end to end with ``scrapy crawl``.

Per variant: every article equal to the truth, at the request floor of a full walk (each
listing batch asked for once, nothing else), politely, each walk ending on the evidence the
variant shows; incremental runs stop at known cards. Where the walk cannot be proved whole
(a site that ignores ``?page=``, a "more" control without URL, page 1 without cards on day
2) the run exits 3 naming the cause, never 0 with articles missing.
"""

from __future__ import annotations

import itertools
import math
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.crawl import (
    FRONTIER,
    PAST_LAST,
    CrawlResult,
    by_url,
    read_lines,
    run_crawl,
    without_crawler_fields,
)
from tests.proxy import rewriting_proxy
from tests.replica.generator import build_site
from tests.replica.handle import ReplicaHandle

pytestmark = pytest.mark.e2e

PATHS = {"en": "/en/category/analytics", "ru": "/category/analitika",
         "hy": "/arm/category/analytics"}
SLUGS = {"en": "analytics", "ru": "analitika", "hy": "analytics"}
PAGE_SIZE = 18
#: The JSON variant's endpoint, as a user who found it would set it.
JSON_PAGE_URL = "/api/{lang}/category/{slug}/posts?limit={limit}&page={n}"
SETTINGS: dict[str, dict[str, Any]] = {"json": {"ANALYTICS_PAGE_URL": JSON_PAGE_URL}}
#: Cards of a batch, by variant (the replica's `SHORT_BATCH` for the short ones).
BATCH_SIZE = {"more-button": 4}
#: How a whole walk of each variant ends: past the last page, or the site's last batch.
WHOLE_WALK = {"query": PAST_LAST, "next-link": "last_batch", "load-more": "last_batch",
              "json": "last_batch", "more-button": "last_batch", "reordered": "last_batch"}


def batch_paths(variant: str, lang: str, articles: int) -> list[str]:
    """The listing batches a full walk of ``lang`` must ask for, in order, and no other.

    ``?page=N`` has no end signal but an empty page (ru, hy) or a 404 (en): one more page.
    """
    size = BATCH_SIZE.get(variant, PAGE_SIZE)
    pages = math.ceil(articles / size)
    path = PATHS[lang]
    later = {
        "query": [f"{path}?page={n}" for n in range(2, pages + 2)],
        "next-link": [f"{path}/page/{n}" for n in range(2, pages + 1)],
        "load-more": [f"/ajax/more?lang={lang}&offset={PAGE_SIZE * (n - 1)}"
                      for n in range(2, pages + 1)],
        "json": [f"/api/{lang}/category/{SLUGS[lang]}/posts?limit={PAGE_SIZE}&page={n}"
                 for n in range(2, pages + 1)],
        "more-button": [f"/feed/more?lang={lang}&from={size * (n - 1)}"
                        for n in range(2, pages + 1)],
        "reordered": [f"{path}?page={n}&sort=date" if n % 2 == 0 else f"{path}?sort=date&page={n}"
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


@pytest.mark.parametrize("variant", list(WHOLE_WALK))
def test_every_variant_is_walked_whole_at_the_floor_then_incrementally(
    variant: str, tmp_path: Path
) -> None:
    """``more-button``: batches of 4 cards behind a "Show more" button of a class no selector
    lists; ``reordered``: next links whose query order alternates, the last page's disabled
    "next" linking that page itself (once dropped by the duplicate filter: a walk without end)."""
    articles = 120  # 40 a language: three batches of 18, 18 and 4 cards (or ten of 4)
    settings = SETTINGS.get(variant, {})
    with ReplicaHandle(articles=articles, seed=13, pagination=variant) as replica:
        full = run_crawl(replica.base_url, tmp_path, "mode=full", settings=settings,
                         endings=WHOLE_WALK[variant])
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
        second = run_crawl(replica.base_url, tmp_path, "refresh_days=0", settings=settings,
                           endings=FRONTIER)
        log = run_log(replica, started)
        truth = by_url(replica.truth())
    assert second.returncode == 0, second.log[-3000:]
    delivered = second.records[len(first_records):]
    assert sorted(r["url"] for r in delivered) == sorted(new)
    assert_equal_to_truth(delivered, truth)
    # The 20 new cards and the first known one: the frontier's batch is the last asked.
    english = math.ceil(21 / BATCH_SIZE.get(variant, PAGE_SIZE))
    assert sorted(listing_paths(log)) == sorted(
        [*batch_paths(variant, "en", 40)[:english], PATHS["ru"], PATHS["hy"]])
    assert len(log) == 1 + english + 2 + 20


@pytest.mark.parametrize("variant", ["next-link", "load-more", "json"])
def test_following_the_site_stays_polite(variant: str, tmp_path: Path) -> None:
    """The project's politeness, a shorter delay: one request at a time, spaced, named."""
    with ReplicaHandle(articles=57, seed=3, pagination=variant) as replica:  # 19 English
        result = run_crawl(replica.base_url, tmp_path, "mode=full", "lang=en", relaxed=False,
                           settings={"DOWNLOAD_DELAY": 0.2, **SETTINGS.get(variant, {})},
                           endings=WHOLE_WALK[variant])
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


def failed_walks(result: CrawlResult, ending: str, check: str, *said: str) -> str:
    """The run exited 3 on its ``check``, each language's walk recorded as ``ending`` and
    not complete, every message saying each of ``said``; the failure message."""
    assert result.returncode == 3, result.log[-3000:]
    summary = result.summary
    assert summary["status"] == "failed"
    message: str = summary["failed_checks"][check]
    for lang in PATHS:
        assert f"{lang}: " in message
    for words in said:
        assert message.count(words) == 3, (words, message)
    assert summary["walks"]["completed"] == []
    assert {e["ending"] for e in summary["walks"]["ended"].values()} == {ending}
    assert f"FAILED {check}" in result.log
    return message


def test_a_site_that_ignores_the_pagination_fails_the_run_every_time(tmp_path: Path) -> None:
    """``?page=2`` shows page 1 again and nothing links further: not a one-page section."""
    with ReplicaHandle(articles=60, seed=11, pagination="ignored") as replica:
        first = run_crawl(replica.base_url, tmp_path, endings="control_not_followed")
        said = ("shows a \"more\" control carrying no URL: <div.load_more[data-page='next']> "
                "'loading'", "it shows only cards already seen (", "set ANALYTICS_PAGE_URL")
        message = failed_walks(first, "control_not_followed", "pagination", *said)
        for path in PATHS.values():
            assert (f"asked batch 2 at {replica.base_url}{path}?page=2 (built from "
                    "ANALYTICS_PAGE_URL='{path}?page={n}') instead") in message
        assert len(first.records) == 3 * PAGE_SIZE  # page 1's articles are kept
        started = time.time()
        second = run_crawl(replica.base_url, tmp_path, "refresh_days=0",
                           endings="control_not_followed")
        log = run_log(replica, started)
    failed_walks(second, "control_not_followed", "pagination", *said)
    # The walks did not complete: the next run walks each listing again (page 2 included),
    # fetching no article twice.
    assert "Walking the whole en listing: its last walk did not complete" in second.log
    assert sorted(listing_paths(log)) == sorted(
        p for path in PATHS.values() for p in (path, f"{path}?page=2"))
    assert [entry["path"] for entry in log if "/post/" in entry["path"]] == []


def test_a_more_control_without_url_fails_naming_it(tmp_path: Path) -> None:
    """Four cards and a scripted "Show more" button: ``?page=2`` only repeats them. Exit 3
    naming the button and what to set, never 0 with the older articles missing."""
    with ReplicaHandle(articles=60, seed=11, pagination="more-scripted") as replica:
        result = run_crawl(replica.base_url, tmp_path, "mode=full",
                           endings="control_not_followed")
        log = replica.requests()
        truth = by_url(replica.truth())
    message = failed_walks(result, "control_not_followed", "pagination",
                           "control carrying no URL: <button.feed-extend[type='button']> '",
                           "it shows only cards already seen (", "set ANALYTICS_PAGE_URL",
                           "ANALYTICS_ONE_PAGE_LANGUAGES")
    assert "'Show more'" in message and "'Показать ещё'" in message
    assert len(result.records) == 3 * 4
    assert_equal_to_truth(result.records, truth)
    assert sorted(listing_paths(log)) == sorted(
        p for path in PATHS.values() for p in (path, f"{path}?page=2"))
    assert len(log) == 1 + 6 + 12


def test_card_class_renamed_on_day_2_delivers_by_the_finder_and_says_what_to_fix(
    tmp_path: Path
) -> None:
    """A redesign renames the card class overnight and new articles appear: the finder reads
    the cards (issue 26's fallback), so day 2 delivers every new article, equal to the truth,
    at the incremental floor, each walk ending at the frontier; loud, not lossy: the run is
    flagged naming the ``ANALYTICS_SELECTORS`` keys of the cards."""
    with ReplicaHandle(articles=60, seed=11) as replica:
        run_crawl(replica.base_url, tmp_path, "mode=full", endings=PAST_LAST)
        day1 = len(read_lines(tmp_path / "articles"))
        new = [url for lang, count in (("en", 2), ("ru", 1), ("hy", 1))
               for url in replica.publish(count, lang=lang)]
        replica.set_listing_defect("renamed-cards")
        started = time.time()
        day2 = run_crawl(replica.base_url, tmp_path, "refresh_days=0", endings=FRONTIER)
        log = run_log(replica, started)
        truth = by_url(replica.truth())
    assert day2.returncode == 0, day2.log[-3000:]
    summary = day2.summary
    assert summary["status"] == "ok" and summary["failed_checks"] == {}
    delivered = day2.records[day1:]
    assert sorted(record["url"] for record in delivered) == sorted(new)
    assert_equal_to_truth(delivered, truth)
    # The floor: robots.txt, page 1 of each language (the frontier is on it), the new ones.
    assert log[0]["path"] == "/robots.txt"
    assert sorted(listing_paths(log)) == sorted(PATHS.values())
    assert len(log) == 1 + 3 + len(new)
    assert max(Counter(entry["path"] for entry in log).values()) == 1
    assert summary["walks"]["completed"] == sorted(PATHS)
    assert summary["provenance"]["by_field"]["cards"] == {"finder": 3}
    flag = summary["warnings"]["fallback_layers"]
    assert flag.startswith("cards: selectors card ('div.float_block'), card_link ('a[href]')"), flag
    assert "replaced by finder on 3 pages (selector on 0)" in flag
    assert "flagged (fallback_layers)" in day2.log


def test_a_batch_redirected_to_another_host_fails_naming_where(tmp_path: Path) -> None:
    """English batch 2 answers a redirect to another host (served by a proxy of the replica):
    not followed, the walk ends ``redirect_offsite`` naming the URL, exit 3; page 1's
    articles and the other languages are delivered whole, at their floor."""
    page_2 = f"{PATHS['en']}?page=2"
    with ReplicaHandle(articles=60, seed=11) as replica:
        away = replica.base_url.replace("127.0.0.1", "localhost") + page_2
        with rewriting_proxy(replica.base_url, redirects={page_2: away}) as proxy:
            result = run_crawl(proxy, tmp_path, "mode=full", endings={
                "en": "redirect_offsite", "ru": PAST_LAST, "hy": PAST_LAST})
        log = replica.requests()
        truth = by_url(replica.truth())
    assert result.returncode == 3, result.log[-3000:]
    assert result.summary["failed_checks"]["pagination"] == (
        f"en: asked batch 2 at {proxy}{page_2} (built from ANALYTICS_PAGE_URL='{{path}}?page="
        f"{{n}}'); it redirects to {away}, another host than 127.0.0.1: not followed (if the "
        "section moved there, crawl it with -a base_url=<its origin>, or add the host to "
        "ANALYTICS_EXTRA_HOSTS)")
    assert result.summary["walks"]["completed"] == ["hy", "ru"]
    # Every article but those of English batch 2, equal to the truth; nothing asked twice.
    later = {article.url for article in build_site(11, 60).listing_page("en", 2)} & set(truth)
    assert later and set(truth) - set(by_url(result.records)) == later
    assert_equal_to_truth(result.records, truth)
    expected = [PATHS["en"], *(p for lang in ("ru", "hy") for p in batch_paths("query", lang, 20))]
    assert sorted(listing_paths(log)) == sorted(expected)  # the redirect's target never
    assert len(log) == 1 + len(expected) + len(truth) - len(later)
    assert max(Counter(entry["path"] for entry in log).values()) == 1


def test_page_1_without_cards_on_day_2_fails_the_run_that_day(tmp_path: Path) -> None:
    """An error page served as 200 as every listing's page 1: an incremental run fails its
    layout check naming the selectors, what the page was and scrapy sitecheck, and the walk
    stays incomplete, so the day the site is mended the whole listing is walked again. (A
    card class renamed by a redesign is read by the finder instead: the test above.)"""
    with ReplicaHandle(articles=60, seed=11) as replica:
        run_crawl(replica.base_url, tmp_path, "mode=full", endings=PAST_LAST)
        replica.publish(2, lang="en")
        replica.set_listing_defect("error200")
        started = time.time()
        day2 = run_crawl(replica.base_url, tmp_path, "refresh_days=0", endings="no_cards")
        log = run_log(replica, started)
        message = failed_walks(day2, "no_cards", "layout", "it holds no cards",
                               "ANALYTICS_SELECTORS 'card'='div.float_block', 'card_link'="
                               "'a[href]'", "run scrapy sitecheck")
        assert len(day2.records) == 60  # day 1's, nothing on day 2 (the files read now)
        replica.set_listing_defect(None)
        # The walks of day 2 did not complete: day 3 walks each listing whole.
        day3 = run_crawl(replica.base_url, tmp_path, "refresh_days=0", endings=PAST_LAST)
    assert message.count("(HTTP 200, title 'Database Error', ") == 3
    assert sorted(listing_paths(log)) == sorted(PATHS.values())
    assert day3.returncode == 0, day3.log[-3000:]
    assert "Walking the whole ru listing: its last walk did not complete" in day3.log
    assert len(day3.records) == 62
