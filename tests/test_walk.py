"""The walk of a listing, decision by decision: which batch next, and on what evidence it
ends; everything else is a failure of the check that names it, whatever the page size."""

from __future__ import annotations

import logging

import pytest

from crawler.batches import BatchAsk
from crawler.site import SiteProfile
from crawler.walk import ENDINGS, BatchSeen, Ending, ListingWalk, Next, NextLink

BASE = "https://caliber.az"
LISTING = f"{BASE}/en/category/analytics"
SCRIPTED = "<div.load_more[data-page='next']> 'loading'"


def walk(max_pages: int = 2000, **site: object) -> ListingWalk:
    started = ListingWalk("en", SiteProfile(**site), BASE, max_pages)  # type: ignore[arg-type]
    assert started.first() == Next(LISTING, "section_path")
    return started


def full(link: NextLink | None = None, **seen: object) -> BatchSeen:
    return BatchSeen(**{"cards": 18, "new_cards": 18, "next_link": link, **seen})  # type: ignore[arg-type]


def ended(step: object, name: str) -> Ending:
    """``step`` is the ending ``name``, logged as loud as its kind asks."""
    assert isinstance(step, Ending) and step.name == name, step
    loud = not ENDINGS[name].evidence or name == "max_pages"
    assert step.level == (logging.ERROR if loud else logging.INFO)
    return step


def test_without_links_of_its_own_the_template_builds_every_page() -> None:
    listing = walk()
    assert listing.after(full()) == Next(f"{LISTING}?page=2", "page_url")
    assert listing.after(full()) == Next(f"{LISTING}?page=3", "page_url")
    assert listing.after(full(cards=2, new_cards=2)) == Next(f"{LISTING}?page=4", "page_url")
    end = ended(listing.after(full(cards=0, new_cards=0, described="HTTP 200")), "past_last")
    assert end.url == f"{LISTING}?page=4"
    assert end.why == (f"batch 4 at {LISTING}?page=4 holds no cards (HTTP 200), after batch 3 "
                       "brought 2 new cards")
    assert end.summary() == {"ending": "past_last", "url": f"{LISTING}?page=4",
                             "evidence": True, "complete": True, "why": end.why}


def test_the_template_fills_in_every_placeholder() -> None:
    listing = walk(page_url="/api/{lang}/category/{slug}/posts?from={offset}&limit={limit}&p={n}",
                   page_size=10)
    listing.after(full(cards=10, new_cards=10))
    assert listing.after(full(cards=10, new_cards=10)) == Next(
        f"{BASE}/api/en/category/analytics/posts?from=20&limit=10&p=3", "page_url")


def test_the_listings_own_links_come_first_and_their_end_is_the_last_batch() -> None:
    listing = walk()
    page2 = NextLink(f"{LISTING}/page/2", "rel_next")
    assert listing.after(full(page2)) == Next(page2.url, "rel_next")
    page3 = NextLink(f"{BASE}/ajax/more?offset=36", "more_control")
    assert listing.after(full(page3)) == Next(page3.url, "more_control")
    # No link on batch 3: the site's last batch, not a fallback to ?page=4.
    end = ended(listing.after(full(cards=5, new_cards=5)), "last_batch")
    assert end.url == page3.url and end.kind.complete


def test_a_short_page_is_no_evidence_whatever_its_size() -> None:
    """Four cards and ?page=2 answering them again: the site ignored the URL (the issue's
    lost three articles), not a section of one short page."""
    listing = walk()
    listing.after(full(cards=4, new_cards=4))
    end = ended(listing.after(full(cards=4, new_cards=0)), "repeat")
    assert end.kind.check == "pagination" and not end.kind.complete
    assert end.why.startswith(
        f"asked batch 2 at {LISTING}?page=2 (built from ANALYTICS_PAGE_URL='{{path}}?page={{n}}'); "
        "it shows only cards already seen (4): the site ignored it (batch 1 showed 4 cards")
    assert "set ANALYTICS_PAGE_URL" in end.why and "ANALYTICS_ONE_PAGE_LANGUAGES" in end.why


def test_a_later_repeat_fails_too() -> None:
    listing = walk()
    listing.after(full())
    listing.after(full())
    assert ended(listing.after(full(new_cards=0)), "repeat").url == f"{LISTING}?page=3"


def test_a_more_control_without_url_fails_naming_it_when_the_template_brings_nothing() -> None:
    for answer in (full(new_cards=0), full(cards=0, new_cards=0)):
        listing = walk()
        assert listing.after(full(cards=4, new_cards=4, control=SCRIPTED)) == Next(
            f"{LISTING}?page=2", "page_url")
        end = ended(listing.after(answer), "control_not_followed")
        assert ("batch 1 shows a \"more\" control carrying no URL: "
                "<div.load_more[data-page='next']> 'loading'") in end.why
        assert "set ANALYTICS_PAGE_URL" in end.why
    after_404 = walk()
    after_404.after(full(control=SCRIPTED))
    ended(after_404.after_status(404, "failed: 404"), "control_not_followed")
    # The template bringing new cards is the site answering it: the walk goes on.
    works = walk()
    works.after(full(control=SCRIPTED))
    assert works.after(full(cards=3, new_cards=3)) == Next(f"{LISTING}?page=3", "page_url")
    ended(works.after(full(cards=0, new_cards=0)), "past_last")


def test_a_linked_listing_that_shows_a_control_without_url_has_not_ended() -> None:
    listing = walk()
    listing.after(full(NextLink(f"{BASE}/ajax/more?offset=18", "load_more")))
    end = ended(listing.after(full(control=SCRIPTED)), "control_not_followed")
    assert end.why.startswith(f"batch 2 at {BASE}/ajax/more?offset=18 links no next batch but "
                              "shows a \"more\" control carrying no URL")


def test_page_1_without_cards_or_article_links_fails_its_layout_in_any_mode() -> None:
    end = ended(walk().after(full(cards=0, new_cards=0, described="HTTP 200, title 'Database "
                                  "Error', 120 bytes")), "no_cards")
    assert end.kind.check == "layout" and end.url == LISTING
    assert end.why == (
        f"asked batch 1 at {LISTING} (the section path, ANALYTICS_SECTION_PATHS); it holds no "
        "cards (HTTP 200, title 'Database Error', 120 bytes): ANALYTICS_SELECTORS "
        "'card'='div.float_block', 'card_link'='a[href]' find no article there (a redesign, or "
        "an error page); run scrapy sitecheck to see what stands there and what to set")
    # Known cards do not hide it: the frontier needs cards.
    ended(walk().after(full(cards=0, new_cards=0, reached_known=True)), "no_cards")
    linkless = ended(walk().after(full(new_cards=0, article_cards=0)), "no_article_links")
    assert "it shows 18 cards but none links an article" in linkless.why


def test_a_404_past_page_1_after_new_cards_is_the_end_on_page_1_a_failure() -> None:
    first = ended(walk().after_status(404, "failed: Ignoring non-200 response"), "fetch_failed")
    assert first.kind.check == "listings"
    assert first.why.endswith("it failed: Ignoring non-200 response")
    listing = walk()
    listing.after(full())
    end = ended(listing.after_status(404, "failed"), "past_last")
    assert end.why == (f"batch 2 at {LISTING}?page=2 answers 404, after batch 1 brought 18 new "
                       "cards")
    later = walk()
    later.after(full())
    ended(later.after_status(503, "failed: 503"), "fetch_failed")


def test_a_link_back_to_a_batch_already_read_is_a_loop_in_any_query_order() -> None:
    listing = walk()
    listing.after(full(NextLink(f"{LISTING}?page=2&sort=date", "pager_next")))
    assert listing.after(full(NextLink(f"{LISTING}?sort=date&page=3", "pager_next"))) == Next(
        f"{LISTING}?sort=date&page=3", "pager_next")
    end = ended(listing.after(full(NextLink(f"{LISTING}?sort=date&page=2#top", "pager_next"))),
                "loop")
    assert end.why == (
        f"batch 3 at {LISTING}?sort=date&page=3: its next link (pager_next) {LISTING}?sort=date"
        "&page=2#top leads back to batch 2 (the same URL once canonicalised: query order, "
        "fragment)")


def test_the_site_saying_it_was_the_last_batch() -> None:
    listing = walk()
    listing.after(full())
    assert ended(listing.after(full(says_last=True)), "last_batch").why == (
        "batch 2 says no batch is left")
    exact = walk()
    exact.after(full())
    assert ended(exact.after(full(cards=0, new_cards=0, says_last=True)), "last_batch").why == (
        "batch 2 holds no cards and says none is left")


def test_since_the_frontier_and_the_page_bound() -> None:
    since = ended(walk().after(full(reached_older=True)), "since")
    assert since.kind.evidence and not since.kind.complete
    assert ended(walk().after(full(reached_known=True)), "frontier").why == (
        "batch 1 holds articles of an earlier run")
    bounded = walk(max_pages=2)
    bounded.after(full())
    bound = ended(bounded.after(full()), "max_pages")
    assert bound.why == "stopped at ANALYTICS_MAX_LISTING_PAGES=2" and not bound.kind.complete


def test_a_section_of_one_page_is_the_operators_setting() -> None:
    one = walk(one_page_languages=frozenset({"en"}))
    end = ended(one.after(full(cards=4, new_cards=4, control=SCRIPTED)), "one_page")
    assert end.why == "page 1 links no next batch and ANALYTICS_ONE_PAGE_LANGUAGES lists en"
    # Page 1's own link is still followed: the site shows more than the setting says.
    linked = walk(one_page_languages=frozenset({"en"}))
    page2 = NextLink(f"{LISTING}/page/2", "rel_next")
    assert linked.after(full(page2)) == Next(page2.url, "rel_next")


def test_a_template_without_a_new_url_fails() -> None:
    listing = walk(page_url="/en/category/analytics?page={n}")
    assert listing.after(full()) == Next(f"{LISTING}?page=2", "page_url")
    same = walk(page_url="{path}?page=2&x={n}")
    same.after(full())
    same.requested[BatchAsk(f"{LISTING}?page=2&x=3").key] = 9
    end = ended(same.after(full()), "no_next_url")
    assert "ANALYTICS_PAGE_URL='{path}?page=2&x={n}' gives no new URL for batch 3" in end.why


def test_an_unreadable_batch_and_an_unfinished_walk_are_failures() -> None:
    listing = walk(page_url="/api/posts?page={n}")
    listing.after(full())
    end = ended(listing.unreadable("answered JSON without a 'result' list: '{}'"), "unreadable")
    assert end.why == (f"asked batch 2 at {BASE}/api/posts?page=2 (built from ANALYTICS_PAGE_URL="
                       "'/api/posts?page={n}'); it answered JSON without a 'result' list: '{}'")
    cut = ended(walk().unfinished("shutdown"), "unfinished")
    assert cut.why == (f"asked batch 1 at {LISTING} (the section path, ANALYTICS_SECTION_PATHS);"
                       " the run closed (shutdown) before it was answered or read")


def test_a_batch_redirected_to_another_host_fails_naming_where() -> None:
    listing = walk()
    listing.after(full())
    away = "https://elsewhere.example/en/category/analytics?page=2"
    end = ended(listing.redirected_offsite(away, "caliber.az, www.caliber.az"), "redirect_offsite")
    assert end.url == f"{LISTING}?page=2" and end.kind.check == "pagination"
    assert end.why.startswith(f"asked batch 2 at {LISTING}?page=2 (built from ANALYTICS_PAGE_URL"
                              f"='{{path}}?page={{n}}'); it redirects to {away}, another host "
                              "than caliber.az, www.caliber.az: not followed (")


@pytest.mark.parametrize("name", list(ENDINGS))
def test_every_ending_is_evidence_or_fails_one_check(name: str) -> None:
    kind = ENDINGS[name]
    assert kind.evidence == (kind.check is None)
    assert kind.check in (None, "pagination", "layout", "listings")
    assert not kind.complete or kind.evidence


def test_a_batch_the_duplicate_filter_dropped_is_a_loop_or_fetched() -> None:
    listing = walk()
    listing.after(full())
    assert listing.dropped(f"{LISTING}?page=2") is None  # never read: asked past the filter
    assert listing.dropped(f"{LISTING}?page=9") is None
    loop = ended(listing.dropped(f"{LISTING}#top"), "loop")  # batch 2 redirected to page 1
    assert loop.why == (f"batch 2 at {LISTING}?page=2 leads to {LISTING}#top, batch 1 again "
                        "(the same URL once canonicalised: query order, fragment)")
