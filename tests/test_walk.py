"""The walk of a listing, decision by decision: which batch next, when it ends, when it fails."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from crawler.site import SiteProfile
from crawler.walk import BatchSeen, End, ListingWalk, Next, NextLink, PaginationFailed

BASE = "https://caliber.az"
LISTING = f"{BASE}/en/category/analytics"


def walk(max_pages: int = 2000, **site: object) -> ListingWalk:
    started = ListingWalk("en", SiteProfile(**site), BASE, max_pages)  # type: ignore[arg-type]
    assert started.first() == Next(LISTING, "section_path")
    return started


def full(link: NextLink | None = None, **seen: object) -> BatchSeen:
    return BatchSeen(**{"cards": 18, "new_cards": 18, "next_link": link, **seen})  # type: ignore[arg-type]


def test_without_links_of_its_own_the_template_builds_every_page() -> None:
    listing = walk()
    assert listing.after(full()) == Next(f"{LISTING}?page=2", "page_url")
    assert listing.after(full()) == Next(f"{LISTING}?page=3", "page_url")
    assert listing.after(full(cards=2, new_cards=2)) == Next(f"{LISTING}?page=4", "page_url")
    assert listing.after(full(cards=0, new_cards=0)) == End("page 4 holds no cards")


def test_the_template_fills_in_every_placeholder() -> None:
    listing = walk(page_url="/api/{lang}/category/{slug}/posts?from={offset}&limit={limit}&p={n}",
                   page_size=10)
    listing.after(full(cards=10, new_cards=10))
    assert listing.after(full(cards=10, new_cards=10)) == Next(
        f"{BASE}/api/en/category/analytics/posts?from=20&limit=10&p=3", "page_url")


def test_the_listings_own_links_come_first_and_their_end_is_the_end() -> None:
    listing = walk()
    page2 = NextLink(f"{LISTING}/page/2", "rel_next")
    assert listing.after(full(page2)) == Next(page2.url, "rel_next")
    page3 = NextLink(f"{BASE}/ajax/more?offset=36", "load_more")
    assert listing.after(full(page3)) == Next(page3.url, "load_more")
    # No link on page 3: the end, not a fallback to ?page=4.
    assert listing.after(full(cards=5, new_cards=5)) == End("page 3 links no next page")


def test_a_link_found_on_a_templated_page_is_followed() -> None:
    listing = walk()
    listing.after(full())
    page3 = NextLink(f"{LISTING}?page=3&token=x", "pager_next")
    assert listing.after(full(page3)) == Next(page3.url, "pager_next")
    assert listing.after(full()) == End("page 3 links no next page")


def test_a_link_back_to_a_page_already_read_ends_the_walk() -> None:
    listing = walk()
    listing.after(full(NextLink(f"{LISTING}/page/2", "rel_next")))
    step = listing.after(full(NextLink(LISTING, "rel_next")))
    assert isinstance(step, End) and step.level == logging.WARNING and step.loop
    assert "leads back to" in step.why


@pytest.mark.parametrize(
    ("page2", "came_back"),
    [(dict(new_cards=0), "shows only cards already seen"),
     (dict(cards=0, new_cards=0), "holds no cards")],
)
def test_page_2_from_the_template_after_a_full_page_1_must_advance(
    page2: dict[str, Any], came_back: str
) -> None:
    listing = walk()
    listing.after(full(cards=20, new_cards=18))
    step = listing.after(full(**page2))
    assert isinstance(step, PaginationFailed)
    assert step.why.startswith(
        f"asked page 2 at {LISTING}?page=2 (built from ANALYTICS_PAGE_URL='{{path}}?page={{n}}') "
        "after a full page 1 of 20 cards (ANALYTICS_PAGE_SIZE=18)")
    assert f"it {came_back}" in step.why


def test_a_404_as_page_2_after_a_full_page_1_fails_later_it_ends() -> None:
    listing = walk()
    assert listing.after_status(404) is None  # page 1 itself: a failed listing, not an end
    listing.after(full())
    failed = listing.after_status(404)
    assert isinstance(failed, PaginationFailed) and "it answers 404" in failed.why
    later = walk()
    later.after(full())
    later.after(full())
    assert later.after_status(404) == End("page 3 answers 404")
    assert later.after_status(503) is None


def test_page_2_from_the_listings_own_link_must_advance_too() -> None:
    listing = walk()
    listing.after(full(NextLink(f"{LISTING}/page/2", "rel_next")))
    step = listing.after(full(cards=0, new_cards=0))
    assert isinstance(step, PaginationFailed)
    assert f"asked page 2 at {LISTING}/page/2 (the listing's own rel_next link)" in step.why


def test_after_a_short_page_1_an_empty_or_repeated_page_2_is_the_end() -> None:
    listing = walk()
    listing.after(full(cards=17, new_cards=17))
    assert listing.after(full(cards=17, new_cards=0)) == End(
        "page 2 shows only cards already seen", level=logging.WARNING, loop=True)
    short = walk()
    short.after(full(cards=3, new_cards=3))
    assert short.after(full(cards=0, new_cards=0)) == End("page 2 holds no cards")


def test_later_repeats_end_the_walk_with_a_warning() -> None:
    listing = walk()
    listing.after(full())
    listing.after(full())
    assert listing.after(full(new_cards=0)) == End("page 3 shows only cards already seen",
                                                   level=logging.WARNING, loop=True)


def test_a_json_batch_that_says_nothing_is_left_ends_the_walk() -> None:
    listing = walk()
    listing.after(full())
    assert listing.after(full(says_last=True)) == End("batch 2 says no batch is left")
    exact = walk()
    exact.after(full())
    assert exact.after(full(cards=0, new_cards=0, says_last=True)) == End(
        "batch 2 holds no cards and says none is left")


def test_older_known_and_the_page_bound() -> None:
    assert walk().after(full(reached_older=True)) == End(
        "page 1 reaches before the since date", complete=False)
    assert walk().after(full(reached_known=True)) == End("page 1 holds articles of an earlier run")
    bounded = walk(max_pages=2)
    bounded.after(full())
    assert bounded.after(full()) == End("stopped at ANALYTICS_MAX_LISTING_PAGES=2",
                                        complete=False, level=logging.ERROR)


def test_an_unreadable_batch_is_a_failed_pagination() -> None:
    listing = walk(page_url="/api/posts?page={n}")
    listing.after(full())
    step = listing.unreadable("answered JSON without a 'result' list: '{}'")
    assert step == PaginationFailed(
        f"asked batch 2 at {BASE}/api/posts?page=2 (built from ANALYTICS_PAGE_URL="
        "'/api/posts?page={n}'); it answered JSON without a 'result' list: '{}'")


def test_page_1_that_is_not_a_listing_says_where_it_came_from() -> None:
    step = walk().unreadable("answered JSON without a 'result' list: '{}'")
    assert step.why.startswith(f"asked batch 1 at {LISTING} (the section path, "
                               "ANALYTICS_SECTION_PATHS)")
