"""The ledger, the doors' names, the canonical claims and the accounting check, without a
reactor (the hostile-site crawls are in ``test_doors_e2e``)."""

from __future__ import annotations

import gzip
from dataclasses import replace
from itertools import permutations
from types import SimpleNamespace

import pytest
from scrapy import Request, Spider
from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, Response
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.test import get_crawler
from twisted.python.failure import Failure

from crawler import statkeys
from crawler.claims import CanonicalClaims, Decision, Verdict
from crawler.doors import (
    LEARNED_KEY,
    CallbackFailures,
    Door,
    OffsiteRequest,
    RobotsForbidden,
    door_of,
)
from crawler.items import FetchFailure, RawArticle
from crawler.ledger import Ledger, adds_up, ledger_rows
from crawler.normalize import article_url, canonical_problem, fetched_form
from crawler.report.page import ledger_section
from crawler.walk import Ending, ListingWalk
from tests.test_item_side_fields import RAW, SLUG
from tests.test_monitors import failures
from tests.test_walk import LISTING, walk

A, B = "https://caliber.az/en/post/a", "https://caliber.az/en/post/b"


def test_every_url_learned_has_one_outcome_the_first() -> None:
    ledger = Ledger()
    assert ledger.learn(A, "en", "card") and not ledger.learn(A, "en", "card")
    ledger.learn(B, "en", "refresh")
    ledger.alias("https://caliber.az/en/post/b-moved", B)  # B redirected
    ledger.settle(A, "delivered")
    ledger.settle(A, "rejected", "missing_title")  # too late: A has its outcome
    assert ledger.close(stopped=False) == [B]
    ledger.settle("https://caliber.az/en/post/b-moved", "rejected", "fetch_http_404")
    assert ledger.close(stopped=False) == []
    line = ledger.summary()["en"]
    assert line == {"learned": 2, "delivered": 1, "known": 0, "rejected": 1, "excluded": 0,
                    "unaccounted": 0, "rejected_by": {"fetch_http_404": 1}, "excluded_by": {},
                    "learned_from": {"card": 1, "refresh": 1}}
    assert adds_up(line)
    assert ledger_rows(ledger.summary()) == [
        ["en", 2, 1, 0, "1 (fetch_http_404 1)", "0", 0, "yes"]]


def test_an_alias_made_after_the_outcome_takes_it() -> None:
    ledger = Ledger()
    ledger.learn(A, "en", "card")
    ledger.learn(B, "en", "card")
    ledger.settle(B, "delivered")
    ledger.alias(B, A)  # A redirected to B, whose page was already delivered
    assert ledger.summary()["en"]["delivered"] == 2


def test_a_stopped_run_excludes_what_it_did_not_reach_a_finished_one_fails() -> None:
    stopped, finished = Ledger(), Ledger()
    for ledger in (stopped, finished):
        ledger.learn(A, "en", "card")
    assert stopped.close(stopped=True) == []
    assert stopped.summary()["en"]["excluded_by"] == {"run_stopped": 1}
    assert finished.close(stopped=False) == [A]
    assert not adds_up(finished.summary()["en"])


def test_the_accounting_check_names_up_to_ten_urls() -> None:
    urls = [f"{A}-{n}" for n in range(10)]
    failed = failures({statkeys.LEDGER_UNACCOUNTED: 12, statkeys.LEDGER_UNACCOUNTED_URLS: urls,
                       statkeys.RECORDS: 5})
    assert failed["accounting"] == (
        "12 article URLs learned but neither delivered, known, rejected nor excluded: "
        f"{', '.join(urls)} and 2 more")
    assert "accounting" not in failures({statkeys.RECORDS: 5})


def test_robots_txt_unavailable_fails_the_run() -> None:
    failed = failures({statkeys.RECORDS: 5, statkeys.ROBOTS_UNAVAILABLE: "host: HTTP 503"})
    assert failed["robots_txt"] == ("robots.txt unavailable, every request refused "
                                    "(RFC 9309): host: HTTP 503")


def failure_of(error: Exception) -> Failure:
    try:
        raise error
    except Exception:
        return Failure()


def test_each_door_has_its_name() -> None:
    request = Request(A)
    looped = Request(A, meta={"redirect_urls": [A, B, A, B, A]})
    chain = Request(f"{A}-5", meta={"redirect_urls": [f"{A}-{n}" for n in range(5)]})
    not_found = HttpError(HtmlResponse(A, status=404), "Ignoring non-200 response")
    assert door_of(failure_of(not_found), request, 5) == Door("fetch_http_404")
    assert door_of(failure_of(RobotsForbidden("no")), request, 5) == Door("robots_txt", True)
    assert door_of(failure_of(OffsiteRequest("away")), looped, 5) == Door("redirect_offsite")
    assert door_of(failure_of(IgnoreRequest("max")), looped, 5) == Door("redirect_loop")
    assert door_of(failure_of(IgnoreRequest("max")), chain, 5) == Door("redirect_limit")
    assert door_of(failure_of(IgnoreRequest("other")), request, 5) == Door("fetch_ignored")


def test_a_decompression_bomb_is_too_large_as_a_large_body_is() -> None:
    crawler = get_crawler(settings_dict={"DOWNLOAD_MAXSIZE": 100_000})
    middleware = HttpCompressionMiddleware.from_crawler(crawler)
    bomb = Response(A, body=gzip.compress(b"\0" * 1_000_000),
                    headers={"Content-Encoding": "gzip"})
    with pytest.raises(IgnoreRequest) as raised:
        middleware.process_response(Request(A), bomb)
    assert door_of(failure_of(raised.value), Request(A), 5) == Door("fetch_too_large")


@pytest.mark.parametrize(("canonical", "problem"), [
    ("https://caliber.az/", "not_an_article"),
    ("https://caliber.az/post/populism", "other_language"),
    ("https://elsewhere.example/en/post/x", "another_host"),
    ("http://[::1/en/post/x", "bad_url"),
    ("file:///etc/passwd", "not_http"),
])
def test_a_canonical_link_the_page_may_not_give_is_not_its_url(canonical: str,
                                                               problem: str) -> None:
    raw = replace(RAW, canonical_href=canonical)
    assert canonical_problem(raw) == problem
    assert article_url(raw) == "https://caliber.az/en/post/125546/"


SITE = "http://127.0.0.1:8000"
#: The owner of the slug URL; its numeric URL (same content); an impostor naming the slug;
#: a page of its own; a page naming the home page.
OWNER = replace(RAW, fetched_url=SLUG.replace("https://caliber.az", SITE))
ALIAS = RAW
IMPOSTOR = replace(RAW, fetched_url=f"{SITE}/en/post/7/", title="Another story")
PLAIN = replace(RAW, fetched_url=f"{SITE}/en/post/8/", canonical_href=None, title="Plain")
HOMEWARD = replace(RAW, fetched_url=f"{SITE}/en/post/9/", canonical_href="https://caliber.az/",
                   title="Homeward")


def decide(pages: tuple[RawArticle, ...]) -> dict[str, tuple[str, tuple[str, ...]]]:
    """Fetched form -> (record URL, conflicts) of every page, fed in this order, then the run
    going idle (each page decided once)."""
    claims, decided = CanonicalClaims(), []
    for page in pages:
        verdict = claims.claim(page)
        decided += [*([verdict.now] if verdict.now else []), *verdict.released]
    decided += claims.release()
    outcome = {fetched_form(d.raw): (article_url(d.raw), d.conflicts) for d in decided}
    assert len(outcome) == len(decided) == len(pages)
    return outcome


def test_every_order_of_the_pages_gives_the_same_decisions() -> None:
    """120 orders of five pages: the owner keeps its URL, the impostor keeps its own, the
    numeric alias names the slug (a duplicate of the owner's record), whichever came first."""
    outcomes = {tuple(sorted(decide(order).items()))
                for order in permutations((OWNER, ALIAS, IMPOSTOR, PLAIN, HOMEWARD))}
    assert outcomes == {tuple(sorted({
        "https://caliber.az/en/post/populism-instead-of-progress": (SLUG, ()),
        "https://caliber.az/en/post/125546/": (SLUG, ()),
        "https://caliber.az/en/post/7/": ("https://caliber.az/en/post/7/", ("claimed",)),
        "https://caliber.az/en/post/8/": ("https://caliber.az/en/post/8/", ()),
        "https://caliber.az/en/post/9/": ("https://caliber.az/en/post/9/", ("not_an_article",)),
    }.items()))}


def test_a_page_naming_another_url_waits_for_the_page_fetched_there() -> None:
    claims = CanonicalClaims()
    assert claims.claim(IMPOSTOR) == Verdict(None)
    owner = claims.claim(OWNER)
    assert owner.now == Decision(OWNER) and len(owner.released) == 1
    assert owner.released[0].conflicts == ("claimed",)
    assert fetched_form(owner.released[0].raw) == article_url(owner.released[0].raw)
    assert list(claims.release()) == []


def test_pages_waiting_for_a_url_never_fetched_take_it_only_if_they_agree() -> None:
    alone = CanonicalClaims()
    assert alone.claim(ALIAS).now is None
    assert [article_url(d.raw) for d in alone.release()] == [SLUG]  # a numeric URL's slug
    split = CanonicalClaims()
    for page in (ALIAS, IMPOSTOR):
        assert split.claim(page).now is None
    assert [(fetched_form(d.raw) == article_url(d.raw), d.conflicts)
            for d in split.release()] == [(True, ("claimed",))] * 2


def test_a_page_no_walk_asked_for_is_decided_at_once() -> None:
    """``scrapy parse`` of a numeric URL shows the record it names."""
    verdict = CanonicalClaims().claim(ALIAS, may_wait=False)
    assert verdict.now is not None and article_url(verdict.now.raw) == SLUG


def test_the_report_shows_the_newest_crawls_ledger() -> None:
    line = {"learned": 3, "delivered": 1, "known": 1, "rejected": 0, "excluded": 1,
            "unaccounted": 0, "rejected_by": {}, "excluded_by": {"since": 1},
            "learned_from": {"card": 3}}
    html = ledger_section([{"run_id": "20261128T060000.000Z", "ledger": {}},
                           {"run_id": "20261129T060000.000Z", "ledger": {"en": line}}])
    assert "crawl 20261129T060000.000Z learned" in html
    assert "<td>en</td><td>3</td><td>1</td><td>1</td><td>0</td><td>1 (since 1)</td>" in html
    assert ledger_section([{"run_id": "20261128T060000.000Z"}]) == ""


def test_an_exception_in_an_article_callback_costs_that_article_only() -> None:
    crawler = get_crawler(Spider)
    crawler.spider = Spider("analytics")
    crawler.spider.arguments = SimpleNamespace(base_url="http://127.0.0.1:8000")  # type: ignore[attr-defined]
    middleware = CallbackFailures.from_crawler(crawler)
    page = HtmlResponse(A, request=Request(A, meta={LEARNED_KEY: B}))
    assert middleware.process_spider_exception(page, ValueError("no such field")) == [
        FetchFailure(url=A, reason="callback_error", detail="ValueError: no such field",
                     base_url="http://127.0.0.1:8000", learned=B)]
    listing = HtmlResponse(A, request=Request(A))
    assert middleware.process_spider_exception(listing, ValueError("x")) is None


class Walking(Spider):
    """A spider with walks, as the middleware meets the crawl's."""

    name = "analytics"
    walks: dict[str, ListingWalk]
    endings: dict[str, Ending]

    def parse_listing(self, response: Response, lang: str = "") -> None:
        """The listing callback (the middleware knows it by name)."""

    def walk_ended(self, lang: str, ending: Ending) -> None:
        self.endings[lang] = ending


def test_an_exception_in_a_listing_callback_not_about_a_card_ends_its_walk_loudly() -> None:
    """The walk of that language ends ``callback_error`` (incomplete, its check fails: walked
    again by the next run); what the batch yielded before it is kept by Scrapy."""
    crawler = get_crawler(Walking)
    spider = crawler.spider = Walking()
    spider.walks, spider.endings = {"en": walk()}, {}
    middleware = CallbackFailures.from_crawler(crawler)
    request = Request(LISTING, callback=spider.parse_listing, cb_kwargs={"lang": "en"})
    page = HtmlResponse(LISTING, request=request)
    assert middleware.process_spider_exception(page, KeyError("cursor")) == []
    ending = spider.endings["en"]
    assert (ending.name, ending.kind.complete, ending.kind.check) == (
        "callback_error", False, "pagination")
    assert ending.why.endswith("; reading it raised KeyError: 'cursor'")


def test_a_refresh_after_a_known_card_is_asked_for_and_settled_again() -> None:
    ledger = Ledger()
    ledger.learn(A, "en", "card")
    ledger.settle(A, "known", "known")  # the listing came first this time
    assert ledger.reask(A, "refresh") and not ledger.reask(A, "refresh")
    ledger.settle(A, "delivered")
    assert ledger.summary()["en"]["delivered"] == 1
    ledger.learn(B, "en", "card")
    ledger.settle(B, "excluded", "since")
    assert not ledger.reask(B, "retry")  # a rule excluded it: not asked for
