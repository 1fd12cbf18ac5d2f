"""A hostile or broken site: nothing it serves makes the crawler leave, loop or hang."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.crawl import PAST_LAST, run_crawl
from tests.hostile import HostileSite, article_page, listing_page

pytestmark = pytest.mark.e2e
LISTING = "/en/category/analytics"


def page_number(path: str) -> int:
    return int(parse_qs(urlsplit(path).query).get("page", ["1"])[0])


def test_redirects_to_another_host_are_not_followed(tmp_path: Path) -> None:
    with HostileSite(lambda path: (404, {}, b""), host="127.0.0.2") as elsewhere:
        def route(path: str) -> tuple[int, dict[str, str], bytes]:
            if path.startswith(LISTING):
                return 302, {"Location": f"{elsewhere.base_url}{LISTING}"}, b""
            return 404, {}, b""

        with HostileSite(route) as site:
            result = run_crawl(site.base_url, tmp_path, "lang=en", "mode=full",
                               endings="redirect_offsite")
    assert elsewhere.requested == []
    assert result.returncode == 3  # the listing could not be read: a failed run
    assert result.summary["failed_checks"]["pagination"] == (
        f"en: asked batch 1 at {site.base_url}{LISTING} (the section path, "
        f"ANALYTICS_SECTION_PATHS); it redirects to {elsewhere.base_url}{LISTING}, another "
        "host than 127.0.0.1: not followed (if the section moved there, crawl it with "
        "-a base_url=<its origin>, or add the host to ANALYTICS_EXTRA_HOSTS)")


def test_a_listing_that_ignores_pagination_fails_the_run(tmp_path: Path) -> None:
    """Every page shows the same full page of cards (and a card pointing back at the listing):
    page 2 repeats page 1, so the run fails its pagination check instead of ending "complete"
    with the first page only."""
    hrefs = [f"/en/post/story-{i}" for i in range(18)] + [LISTING]

    def route(path: str) -> tuple[int, dict[str, str], bytes]:
        if path.startswith(LISTING):
            return 200, {}, listing_page(hrefs)
        return 200, {}, article_page(urlsplit(path).path.rsplit("/", 1)[-1])

    with HostileSite(route) as site:
        result = run_crawl(site.base_url, tmp_path, "lang=en", "mode=full", endings="repeat")
    listings = [p for p in site.requested if p.startswith(LISTING)]
    assert listings == [LISTING, f"{LISTING}?page=2"]  # page 2 repeats page 1: no page 3
    assert sorted(p for p in site.requested if "/post/" in p) == sorted(
        f"/en/post/story-{i}" for i in range(18))
    assert len(result.records) == 18
    assert result.returncode == 3, result.log[-2000:]
    message = result.summary["failed_checks"]["pagination"]
    assert message.startswith(f"en: asked batch 2 at {site.base_url}{LISTING}?page=2")
    assert "it shows only cards already seen (19): the site ignored it" in message


def test_endless_pagination_is_bounded_by_a_setting(tmp_path: Path) -> None:
    def route(path: str) -> tuple[int, dict[str, str], bytes]:
        if path.startswith(LISTING):
            return 200, {}, listing_page([f"/en/post/p{page_number(path)}"])
        return 200, {}, article_page(urlsplit(path).path.rsplit("/", 1)[-1])

    with HostileSite(route) as site:
        result = run_crawl(site.base_url, tmp_path, "lang=en", "mode=full",
                           settings={"ANALYTICS_MAX_LISTING_PAGES": 4}, endings="max_pages")
    assert len([p for p in site.requested if p.startswith(LISTING)]) == 4
    assert len(result.records) == 4
    assert result.returncode == 3  # reaching the bound is an error: said loudly


def test_responses_over_the_size_cap_are_dropped_and_counted(tmp_path: Path) -> None:
    def route(path: str) -> tuple[int, dict[str, str], bytes]:
        if path.startswith(LISTING):
            hrefs = ["/en/post/small"] if page_number(path) == 1 else []
            return 200, {}, listing_page([*hrefs, "/en/post/huge"] if hrefs else [])
        slug = urlsplit(path).path.rsplit("/", 1)[-1]
        return 200, {}, article_page(slug, padding=300_000 if slug == "huge" else 0)

    with HostileSite(route) as site:
        result = run_crawl(site.base_url, tmp_path, "lang=en", "mode=full",
                           settings={"DOWNLOAD_MAXSIZE": 200_000, "RETRY_TIMES": 0},
                           endings=PAST_LAST)
    assert [r["url"] for r in result.records] == ["https://caliber.az/en/post/small"]
    assert [(r["reason"], r["url"].rsplit("/", 1)[-1]) for r in result.rejects] == [
        ("fetch_too_large", "huge")]
    assert result.summary["rejects"]["by_reason"] == {"fetch_too_large": 1}
