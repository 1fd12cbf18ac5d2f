"""URL rules (fetch on the base host, canonical form, id) and spider argument checks."""

from __future__ import annotations

from datetime import date
from urllib.parse import urljoin, urlsplit, urlunsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scrapy import Request
from scrapy.utils.request import RequestFingerprinter
from w3lib.url import canonicalize_url

from crawler.arguments import ArgumentError, CrawlArguments, is_loopback
from crawler.site import is_article_path, language_of_path
from crawler.urls import (
    UrlSet,
    article_id,
    canonical_pair,
    canonical_url,
    fetch_url,
    is_site_host,
    listing_key,
    listing_url,
    page_url_problem,
)

BASE = "http://127.0.0.1:8123"


@pytest.mark.parametrize(
    ("href", "expected"),
    [
        ("https://caliber.az/en/post/a-b", f"{BASE}/en/post/a-b"),
        ("https://www.caliber.az/en/post/a-b", f"{BASE}/en/post/a-b"),
        ("/arm/post/%D5%AB", f"{BASE}/arm/post/%D5%AB"),
        ("http://127.0.0.1:8123/post/x#comments", f"{BASE}/post/x"),
        ("https://evil.example/en/post/a-b", None),
        ("mailto:a@b.c", None),
        ("javascript:void(0)", None),
    ],
)
def test_fetch_url_stays_on_the_base_host(href: str, expected: str | None) -> None:
    assert fetch_url(href, f"{BASE}/en/category/analytics", BASE) == expected


@pytest.mark.parametrize(
    ("href", "expected"),
    [
        ("https://caliber.az/en/post/a-b?utm_source=x#top", "https://caliber.az/en/post/a-b"),
        ("https://www.caliber.az/en/post/a-b", "https://caliber.az/en/post/a-b"),
        (f"{BASE}/post/x", "https://caliber.az/post/x"),
        ("/arm/post/%d5%ab", "https://caliber.az/arm/post/%D5%AB"),
        ("/arm/post/ի", "https://caliber.az/arm/post/%D5%AB"),
        ("https://other.example/story", "https://other.example/story"),
    ],
)
def test_canonical_url(href: str, expected: str) -> None:
    assert canonical_url(href, f"{BASE}/en/post/1/", BASE) == expected


def test_article_id_is_stable_and_unique_across_languages() -> None:
    en = article_id("https://caliber.az/en/post/same-slug")
    other_form = canonical_url("https://www.caliber.az/en/post/same-slug?x=1", BASE, BASE)
    assert en == article_id(other_form)
    assert en != article_id("https://caliber.az/post/same-slug")


@pytest.mark.parametrize(("first", "second", "same"), [
    (f"{BASE}/?page=2&sort=date", f"{BASE}/?sort=date&page=2", True),
    (f"{BASE}/category/analitika?page=2#top", f"{BASE}/category/analitika?page=2", True),
    (f"{BASE}/a?x=%D0%B0", f"{BASE}/a?x=\u0430", True),
    (f"{BASE}/a?page=2", f"{BASE}/a?page=3", False),
    (f"{BASE}/a?page=2", f"{BASE}/a/?page=2", False),
])
def test_a_listing_batch_is_the_same_where_the_duplicate_filter_says_so(
    first: str, second: str, same: bool
) -> None:
    """The walk's identity of a batch is the request fingerprint's, neither finer nor coarser."""
    fingerprint = RequestFingerprinter().fingerprint
    assert (listing_key(first) == listing_key(second)) is same
    assert (fingerprint(Request(first)) == fingerprint(Request(second))) is same


def test_listing_url() -> None:
    assert listing_url(BASE, "/category/analitika") == f"{BASE}/category/analitika"


@pytest.mark.parametrize(
    ("template", "problem"),
    [("{path}?page={n}", None), ("{path}/page/{n}", None),
     ("/api/{lang}/category/{slug}/posts?limit={limit}&page={n}", None),
     ("https://caliber.az/more?offset={offset}", None), ("{path}?page={n:03d}", None),
     ("{path}?page=2", "same URL for every page"), ("{path}?page={page}", "unknown placeholders"),
     ("{path}?page={n.real}", "unknown placeholders"), ("{path}?page={0}", "unknown"),
     ("{path}?page={n!r}", "conversion"), ("{path}?page={n", "not a template"),
     ("{path}?page={n:x.y}", "cannot be filled in"), ("https://evil.example/{n}", "caliber.az"),
     ("//evil.example/{path}?p={n}", "caliber.az"), ("page/{n}", "must give a path"),
     ("", "must give a path")],
)
def test_page_url_templates_are_checked(template: str, problem: str | None) -> None:
    found = page_url_problem(template)
    assert found is None if problem is None else problem in (found or "")


@pytest.mark.parametrize(
    ("path", "lang", "article"),
    [
        ("/en/post/a-b", "en", True),
        ("/en/post/125546/", "en", True),
        ("/arm/post/%D5%AB", "hy", True),
        ("/post/mirnyj", "ru", True),
        ("/en/category/analytics", "en", False),
        ("/post/", "ru", False),
        ("/en/post/a/b", "en", False),
    ],
)
def test_paths(path: str, lang: str, article: bool) -> None:
    assert language_of_path(path) == lang
    assert is_article_path(path) is article


def test_default_arguments() -> None:
    arguments = CrawlArguments.parse({"_job": "abc"}, "https://caliber.az")
    assert arguments == CrawlArguments(("en", "ru", "hy"), "https://caliber.az", "incremental",
                                       None, None)


def test_arguments_are_read() -> None:
    arguments = CrawlArguments.parse(
        {"lang": "hy, EN", "base_url": f"{BASE}/", "mode": "full", "since": "2024-01-31",
         "until": "2024-02-01"},
        "https://caliber.az",
    )
    assert arguments.languages == ("en", "hy")
    assert arguments.base_url == BASE
    assert (arguments.mode, arguments.since, arguments.until) == (
        "full", date(2024, 1, 31), date(2024, 2, 1))


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"lang": "en,az"}, "unknown language az"),
        ({"lang": ""}, "unknown language"),
        ({"base_url": "ftp://caliber.az"}, "not an http(s) URL"),
        ({"base_url": "caliber.az"}, "not an http(s) URL"),
        ({"base_url": "https://caliber.az/en/"}, "without a path"),
        ({"base_url": "https://user:pw@caliber.az"}, "credentials"),
        ({"base_url": "http://127.0.0.1:99999"}, "invalid port"),
        ({"mode": "fast"}, "mode"),
        ({"since": "2024-02-30"}, "since"),
        ({"until": "yesterday"}, "until"),
        ({"since": "2024-02-02", "until": "2024-02-01"}, "after until"),
        ({"langs": "en"}, "unknown argument langs"),
    ],
)
def test_bad_arguments(given: dict[str, str], message: str) -> None:
    with pytest.raises(ArgumentError, match=message.replace("(", r"\(").replace(")", r"\)")):
        CrawlArguments.parse(given, "https://caliber.az")


@pytest.mark.parametrize(
    ("url", "loopback"),
    [(BASE, True), ("http://localhost:8000", True), ("http://127.5.0.1", True),
     ("http://[::1]:80", True), ("https://caliber.az", False), ("http://10.0.0.1", False)],
)
def test_is_loopback(url: str, loopback: bool) -> None:
    assert is_loopback(url) is loopback


def canonical_by_urljoin(href: str, page_url: str, base_url: str) -> str:
    """``canonical_url`` as it was first written: every link through ``urljoin``."""
    parts = urlsplit(urljoin(page_url, href.strip()))
    scheme, netloc = parts.scheme, parts.netloc
    if is_site_host(parts.hostname or "", base_url):
        scheme, netloc = "https", "caliber.az"
    return canonicalize_url(urlunsplit((scheme, netloc, parts.path, "", "")))


LINKS = st.builds(
    lambda scheme, host, path, tail: f"{scheme}{host}{path}{tail}",
    st.sampled_from(["https://", "http://", "", "//", " https://"]),
    st.sampled_from(["caliber.az", "www.caliber.az", "127.0.0.1:8123", "evil.example", ""]),
    st.sampled_from(["/en/post/a-b", "/arm/post/%D5%AB", "/ru/post/статья", "/a/../b/./c",
                     "/en/post/125546/", "", "/x;p=1", "en/post/rel"]),
    st.sampled_from(["", "?x=1", "#top", "?", " "]))


@given(href=LINKS, fetched=LINKS)
def test_canonical_forms_are_those_of_urljoin(href: str, fetched: str) -> None:
    page = urljoin(f"{BASE}/en/post/1/", fetched)
    assert canonical_url(href, page, BASE) == canonical_by_urljoin(href, page, BASE)
    assert canonical_pair(href, page, BASE) == (canonical_by_urljoin(href, page, BASE),
                                                canonical_by_urljoin(page, page, BASE))


def test_url_set_holds_what_was_added_and_only_that() -> None:
    urls = UrlSet()
    slug = "https://caliber.az/en/post/a"
    assert slug not in urls and len(urls) == 0
    urls.add(slug)
    urls.add(slug)
    assert slug in urls and "https://caliber.az/en/post/b" not in urls and len(urls) == 1
