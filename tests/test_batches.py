"""Batches asked for by settings (cursor, POST body, headers, extra hosts), JSON of any
shape, and the derivation of those settings from what a browser saw (no browser here)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
from scrapy.http import TextResponse
from scrapy.settings import Settings

from crawler.arguments import ArgumentError
from crawler.batches import batch_ask, fill_body
from crawler.declarations import check_settings, defaults
from crawler.pages import JsonBatch, read_batch
from crawler.pages.listing import json_path, last_rule_holds
from crawler.site import SiteProfile
from crawler.sitecheck.browsercheck import crawl_command
from crawler.sitecheck.capture import Capture, Seen
from crawler.sitecheck.discover import Failure, Recipe, derive, merge
from crawler.sitecheck.guard import Guard
from crawler.walk import BatchSeen, ListingWalk, Next
from tests.replica.handle import ReplicaHandle

BASE = "http://127.0.0.1:8123"
PATH = "/en/category/analytics"
PAGE1 = tuple(f"{BASE}/en/post/first-{i}" for i in range(18))


def json_answer(data: Any, url: str = f"{BASE}/feed") -> TextResponse:
    return TextResponse(url, body=json.dumps(data).encode(), encoding="utf-8",
                        headers={"Content-Type": "application/json"})


CURSOR_SITE = SiteProfile(
    page_url="/feed", batch_method="POST", batch_body='{"lang":"{lang}","after":"{cursor}"}',
    batch_headers={"Content-Type": "application/json", "X-Requested-With": "XMLHttpRequest"},
    json_paths={"cards": "data.items", "cursor": "data.paging.next", "last": ""},
    json_card_fields={"href": "node.link", "title": "node.title", "date_text": "node.date"},
)


def test_json_paths_reach_into_objects_and_lists() -> None:
    data = {"a": {"b": [{"c": 1}, {"c": 2}]}, "n": 0}
    assert json_path(data, "a.b.1.c") == 2
    assert json_path(data, "a.b.-1.c") == 2
    assert json_path(data, "a.b.2.c") is None
    assert json_path(data, "a.x.y") is None
    assert json_path(data, "") == data
    assert last_rule_holds(data, "n=0")
    assert not last_rule_holds({"n": False}, "n=0")  # false is not 0
    assert last_rule_holds({"p": {"more": False}}, "p.more=false")
    assert last_rule_holds({"done": True}, "done")
    assert not last_rule_holds({"done": 1}, "done")
    assert last_rule_holds({"s": "end"}, "s=end") and last_rule_holds({"s": "end"}, 's="end"')
    assert not last_rule_holds(data, "")


def test_a_json_batch_of_another_shape_gives_cards_cursor_and_its_end() -> None:
    items = [{"node": {"link": "https://caliber.az/en/post/a", "title": "A", "date": "1 May 2025"}},
             {"node": {"title": "no link"}}]
    batch = JsonBatch(json_answer({"data": {"items": items, "paging": {"next": "c2"}}}),
                      CURSOR_SITE)
    assert [(c.href, c.title, c.date_text) for c in batch.cards()] == [
        ("https://caliber.az/en/post/a", "A", "1 May 2025")]
    assert batch.cursor() == "c2" and not batch.says_last()
    for paging in ({"next": None}, {}, {"next": ""}):  # no cursor: the site said last batch
        last = JsonBatch(json_answer({"data": {"items": items, "paging": paging}}), CURSOR_SITE)
        assert last.cursor() is None and last.says_last()


def test_a_batch_is_asked_with_its_cursor_body_and_headers() -> None:
    ask = batch_ask(CURSOR_SITE, BASE, PATH, "en", 3, 'c"2')
    assert ask is not None
    assert (ask.url, ask.method) == (f"{BASE}/feed", "POST")
    assert json.loads(ask.body) == {"lang": "en", "after": 'c"2'}  # escaped in JSON
    assert ask.headers["X-Requested-With"] == "XMLHttpRequest"
    assert fill_body("a={cursor}&n={n}", {"cursor": "x y&z", "n": 2}, {}) == "a=x+y%26z&n=2"


def test_an_endpoint_on_an_extra_host_keeps_its_host_and_quotes_the_cursor() -> None:
    site = SiteProfile(page_url="https://api.example:8443/v1/{lang}?cursor={cursor}",
                       extra_hosts=("api.example:8443",))
    ask = batch_ask(site, BASE, PATH, "en", 2, "a/b+c")
    assert ask is not None and ask.url == "https://api.example:8443/v1/en?cursor=a%2Fb%2Bc"
    assert batch_ask(SiteProfile(page_url=site.page_url), BASE, PATH, "en", 2) is None


def test_the_walk_follows_cursors_and_ends_where_the_site_says() -> None:
    walk = ListingWalk("en", CURSOR_SITE, BASE, 100)
    walk.first()
    step = walk.after(BatchSeen(18, 18, None))
    assert isinstance(step, Next) and step.ask is not None
    assert json.loads(step.ask.body)["after"] == ""
    step = walk.after(BatchSeen(18, 18, None, cursor="c3"))
    assert isinstance(step, Next) and step.ask is not None
    assert json.loads(step.ask.body)["after"] == "c3"
    assert walk.after(BatchSeen(4, 4, None, says_last=True)).why == (  # type: ignore[union-attr]
        "batch 3 says no batch is left")


def settings(**values: Any) -> Settings:
    return Settings({**defaults(), **values})


def test_extra_hosts_and_batch_settings_are_checked_before_the_first_request() -> None:
    check_settings(settings(ANALYTICS_PAGE_URL="http://127.0.0.1:9/v1?c={cursor}",
                            ANALYTICS_EXTRA_HOSTS="127.0.0.1:9"))
    check_settings(settings(ANALYTICS_PAGE_URL="/feed", ANALYTICS_BATCH_METHOD="POST",
                            ANALYTICS_BATCH_BODY='{"after":"{cursor}"}'))
    for wrong, message in [
        ({"ANALYTICS_PAGE_URL": "http://127.0.0.1:9/v1?c={cursor}"}, "ANALYTICS_EXTRA_HOSTS"),
        ({"ANALYTICS_PAGE_URL": "/feed"}, "same URL for every page"),
        ({"ANALYTICS_EXTRA_HOSTS": "api example"}, "not a host"),
        ({"ANALYTICS_BATCH_METHOD": "PUT"}, "GET or POST"),
        ({"ANALYTICS_JSON_PATHS": '{"items": "x"}'}, "unknown key 'items'"),
        ({"ANALYTICS_BATCH_HEADERS": '["X-A"]'}, "not a JSON object"),
    ]:
        with pytest.raises(ArgumentError, match=message):
            check_settings(settings(**wrong))


# --- deriving the settings from what the browser saw ---------------------------------------

def cards(keys: range) -> list[dict[str, Any]]:
    return [{"node": {"link": f"https://caliber.az/en/post/a-{k}", "title": f"Title {k}",
                      "date": f"{k} May 2025 10:00"}} for k in keys]


def dom(keys: range) -> tuple[tuple[str, str | None, str | None], ...]:
    return tuple((f"{BASE}/en/post/a-{k}", f"Title  {k}", f"{k} May 2025 10:00") for k in keys)


def seen(method: str, url: str, body: str, answer: Any, headers: dict[str, str] | None = None
         ) -> Seen:
    return Seen(method, url, {"user-agent": "x", "accept": "*/*", "sec-ch-ua": "y",
                              **(headers or {})}, body, 200, "application/json",
                json.dumps(answer).encode())


def capture(*seen_: Seen) -> Capture:
    return Capture("en", f"{BASE}{PATH}", PAGE1, dom(range(36)), seen_)


def test_a_cursor_in_a_posted_json_body_is_derived_with_its_headers_and_fields() -> None:
    headers = {"content-type": "application/json", "x-requested-with": "XMLHttpRequest"}
    found = derive(capture(
        seen("POST", f"{BASE}/feed/v2", '{"lang":"en","section":"analytics","after":"","n":1}',
             {"data": {"items": cards(range(18)), "paging": {"next": "Q1", "more": True}}},
             headers),
        seen("POST", f"{BASE}/feed/v2", '{"lang":"en","section":"analytics","after":"Q1","n":1}',
             {"data": {"items": cards(range(18, 22)), "paging": {"next": "Q2", "more": False}}},
             headers),
    ), SiteProfile(), BASE)
    assert isinstance(found, Recipe), found
    assert found.settings == {
        "ANALYTICS_PAGE_URL": "/feed/v2",
        "ANALYTICS_BATCH_METHOD": "POST",
        "ANALYTICS_BATCH_BODY": '{"lang":"{lang}","section":"{slug}","after":"{cursor}","n":1}',
        "ANALYTICS_BATCH_HEADERS": {"Content-Type": "application/json",
                                    "X-Requested-With": "XMLHttpRequest"},
        "ANALYTICS_JSON_PATHS": {"cards": "data.items", "cursor": "data.paging.next",
                                 "last": "data.paging.more=false"},
        "ANALYTICS_JSON_CARD_FIELDS": {"href": "node.link", "title": "node.title",
                                       "date_text": "node.date"},
    }
    check_settings(settings(**found.settings))


def test_a_page_number_or_an_offset_in_the_query_is_derived() -> None:
    def answer(keys: range, left: int) -> dict[str, Any]:
        return {"posts": cards(keys), "left": left}
    by_number = derive(capture(
        seen("GET", f"{BASE}/api/en/list?page=2&size=18", "", answer(range(18), 1)),
        seen("GET", f"{BASE}/api/en/list?page=3&size=18", "", answer(range(18, 36), 0)),
    ), SiteProfile(), BASE)
    assert isinstance(by_number, Recipe), by_number
    assert by_number.settings["ANALYTICS_PAGE_URL"] == "/api/{lang}/list?page={n}&size=18"
    assert by_number.settings["ANALYTICS_JSON_PATHS"]["last"] == "left=0"
    by_offset = derive(capture(
        seen("GET", f"{BASE}/more?from=18", "", answer(range(18), 1)),
        seen("GET", f"{BASE}/more?from=36", "", answer(range(18, 36), 0)),
    ), SiteProfile(), BASE)
    assert isinstance(by_offset, Recipe), by_offset
    assert by_offset.settings["ANALYTICS_PAGE_URL"] == "/more?from={offset}"
    command = crawl_command(by_offset.settings)
    assert command.startswith("scrapy crawl analytics -s 'ANALYTICS_PAGE_URL=/more?from={offset}'")
    assert "ANALYTICS_PAGE_SIZE" not in command  # 18, the default


def test_html_fragments_on_another_host_need_only_the_url_and_the_host() -> None:
    def fragment(keys: range) -> bytes:
        return "".join(f'<div class="float_block"><a href="https://caliber.az/en/post/a-{k}">'
                       f'<h2 class="float_block_title">T</h2></a></div>' for k in keys).encode()
    found = derive(capture(*(
        Seen("GET", f"http://127.0.0.1:9/frag?p={n}", {}, "", 200, "text/html", fragment(keys))
        for n, keys in ((2, range(18)), (3, range(18, 30))))), SiteProfile(), BASE)
    assert isinstance(found, Recipe), found
    assert found.settings == {"ANALYTICS_EXTRA_HOSTS": "127.0.0.1:9",
                              "ANALYTICS_PAGE_URL": "http://127.0.0.1:9/frag?p={n}"}


def test_what_cannot_be_derived_fails_saying_what_the_page_did() -> None:
    nothing = derive(Capture("en", f"{BASE}{PATH}", PAGE1, dom(range(18)),
                             (seen("GET", f"{BASE}/stats", "", {"ok": 1}),),
                             ("scroll 1 to the end: 0 request(s) of the script",),
                             ("GET https://tracker.example/x (another host)",)),
                     SiteProfile(), BASE)
    assert isinstance(nothing, Failure)
    assert "no request of the page brought cards page 1 does not show" in nothing.why
    assert "scroll 1 to the end" in nothing.why and f"GET {BASE}/stats -> 200" in nothing.why
    assert "tracker.example/x (another host)" in nothing.why
    odd = derive(capture(
        seen("GET", f"{BASE}/more?t=17", "", {"posts": cards(range(18))}),
        seen("GET", f"{BASE}/more?t=99", "", {"posts": cards(range(18, 36))}),
    ), SiteProfile(), BASE)
    assert isinstance(odd, Failure) and "query parameter 't' changes" in odd.why
    one = derive(capture(seen("GET", f"{BASE}/more", "", {"posts": cards(range(18))})),
                 SiteProfile(), BASE)
    assert isinstance(one, Failure) and "only one request brought new cards" in one.why


def test_languages_that_need_different_settings_fail() -> None:
    assert isinstance(merge({"en": Recipe({"A": 1}), "ru": Recipe({"A": 2})}), Failure)
    assert merge({"en": Recipe({"A": 1}), "ru": Recipe({"A": 1})}).settings == {  # type: ignore[union-attr]
        "A": 1}


def test_relative_links_of_an_endpoint_on_another_host_are_the_listing_pages() -> None:
    answer = json_answer({"data": {"items": [{"node": {"link": "/en/post/a"}}]}},
                         url="https://api.caliber.az/feed")
    batch = read_batch(answer, CURSOR_SITE, f"{BASE}{PATH}")
    assert [card.href for card in batch.cards()] == [f"{BASE}/en/post/a"]


def test_the_browser_guard_obeys_robots_txt_and_keeps_to_the_site(
        replica: Callable[..., ReplicaHandle]) -> None:
    """Every URL the browser would open: robots.txt (fetched once per origin), the site's
    hosts only, no images, fonts or media; what was let through is counted."""
    site = replica(articles=3)
    guard = Guard(site.base_url, "CaliberAnalyticsCrawler/0.1 (+https://example.org)")

    def asks(url: str, kind: str = "fetch") -> bool:
        request = SimpleNamespace(url=url, method="GET", resource_type=kind)
        return asyncio.run(guard.should_abort(request))

    assert not asks(f"{site.base_url}/en/category/analytics", "document")
    assert asks(f"{site.base_url}/search?q=x")  # Disallow: /search
    assert asks(f"{site.base_url}/media/a.webp", "image")
    assert asks("https://www.googletagmanager.com/gtag/js", "script")
    assert not asks("data:text/plain,x", "fetch")
    assert (guard.sent, guard.robots_requests) == (1, 1)
    assert [entry["path"] for entry in site.requests()] == ["/robots.txt"]
    assert guard.blocked == [f"GET {site.base_url}/search?q=x (robots.txt forbids it)"]
    assert guard.is_site("https://api.caliber.az/x") is False  # not the crawled site's domain
    assert Guard("https://caliber.az", "x").is_site("https://api.caliber.az/x")
