"""The benchmarks' fast paths answer exactly as the straightforward code they replace.

- ``crawler.pages.select``: one pass for class selectors == ``response.css(sel)[0]``;
- ``ListingPage.cards``: compiled XPaths on lxml == parsel ``block.css``;
- ``may_match``: a selector it skips matches nothing on the page;
- ``fast_record_check``: True only for records jsonschema accepts.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from parsel import Selector
from scrapy.http import HtmlResponse

from crawler.pages import ArticlePage, ListingPage
from crawler.pages.article import ARTICLE_KEYS
from crawler.pages.select import (
    SelectorPlan,
    element_text,
    first_text,
    may_match,
    needed_classes,
    page_classes,
)
from crawler.site import SiteProfile
from crawler.validation import article_schema, fast_record_check
from tests.replica.generator import build_site
from tests.replica.render import render_article, render_listing

SITE = build_site(7, 60)
PROFILE = SiteProfile()


def reference_first(selector: Selector, css: str) -> Any:
    """What the page objects read before the fast path: parsel's first match."""
    matches = selector.css(css)
    if not matches:
        return None
    if "::attr(" in css:
        return matches.get()
    return first_text(matches)


@pytest.mark.parametrize("index", range(0, 60, 3))
def test_one_pass_equals_parsel_on_replica_articles(index: int) -> None:
    article = SITE.articles[index]
    response = HtmlResponse("http://127.0.0.1/x", body=render_article(SITE, article),
                            encoding="utf-8")
    found = SelectorPlan.of((key, PROFILE.selectors[key]) for key in ARTICLE_KEYS) \
        .first_matches(response.selector.root)
    for key in ARTICLE_KEYS:
        css = PROFILE.selectors[key]
        expected = reference_first(response.selector, css)
        assert element_text(found.get(key)) == expected, key


MARKUP = """<html><head><link rel="canonical" href="/a"></head><body>
<div class="x post_title">T1</div><p class="post_title y">T2</p>
<div class="post_categoty">C1</div><span class="post_category">C0</span>
<div class="post_cover" data-x="1">no style</div><div class="post_cover" style="u">s</div>
<div class="post_title\xa0z">nbsp</div><span class="a\tb">tab</span>
<div class="A b">upper</div><section class="a b c">abc</section></body></html>"""


@pytest.mark.parametrize("css", [
    ".post_title", "p.post_title", "div.post_title", ".post_categoty, .post_category",
    ".post_category, .post_categoty", ".post_cover::attr(style)", ".post_cover::attr(data-x)",
    ".z", ".b", ".a.b", "section.a.c", ".A", "span.a", "div.missing",
    "link[rel=canonical]::attr(href)",
    "h1, .post_title", ".a > .b",
])
def test_one_pass_equals_parsel_on_edge_cases(css: str) -> None:
    selector = Selector(text=MARKUP)
    found = SelectorPlan.of([("k", css)]).first_matches(selector.root)
    assert element_text(found.get("k")) == reference_first(selector, css)


GATED = [
    ".post_title", ".a.b", ".a .b", ".a > .zz", "div.missing", ".missing, .z", ":not(.missing)",
    "section:has(.missing)", ".A", ".a\tb", "span.b::text", "[class~=missing]", "*",
    "div.post_title\xa0z", ".post_cover[data-x]", ".missing[data-x]", "p + .post_category",
]


@pytest.mark.parametrize("css", GATED)
def test_class_gate_skips_only_what_matches_nothing(css: str) -> None:
    selector = Selector(text=MARKUP)
    matches = selector.css(css)
    assert may_match(css, page_classes(selector.root)) or not matches, css


def test_class_gate_reads_every_alternative_and_ancestor() -> None:
    assert needed_classes(".a .b, div.c > p.d.e") == (frozenset("ab"), frozenset("cde"))
    assert needed_classes(":not(.x), section:has(.y)") == (frozenset(), frozenset())
    classes = page_classes(Selector(text=MARKUP).root)
    assert {"a", "b", "c", "post_title", "post_title\xa0z"} <= classes and "a\tb" not in classes
    assert not may_match(".a .missing", classes) and may_match(".missing, .a .b", classes)
    listing = HtmlResponse("http://127.0.0.1/l", body=render_listing(SITE, "en", 1) or b"",
                           encoding="utf-8")
    for key, css in PROFILE.selectors.items():  # the site's own selectors on its own page
        assert may_match(css, page_classes(listing.selector.root)) or not listing.css(css), key


@pytest.mark.parametrize("page", [1, 2])
@pytest.mark.parametrize("lang", ["en", "ru", "hy"])
def test_cards_equal_parsel(lang: str, page: int) -> None:
    body = render_listing(SITE, lang, page)
    assert body is not None
    response = HtmlResponse("http://127.0.0.1/l", body=body, encoding="utf-8")
    expected = []
    for block in response.css(PROFILE.selectors["card"]):
        href = block.css(PROFILE.selectors["card_link"]).attrib.get("href")
        if href and href.strip():
            expected.append((response.urljoin(href.strip()),
                             first_text(block.css(PROFILE.selectors["card_title"])),
                             first_text(block.css(PROFILE.selectors["card_time"]))))
    cards = ListingPage(response, PROFILE).cards()
    assert [(c.href, c.title, c.date_text) for c in cards] == expected
    assert cards


def test_article_page_reads_every_truth_record() -> None:
    for article in SITE.articles[:30]:
        response = HtmlResponse("http://127.0.0.1" + article.path,
                                body=render_article(SITE, article), encoding="utf-8")
        raw = ArticlePage(response, PROFILE).to_raw("http://127.0.0.1", "2026-11-28T06:00:00Z")
        assert raw.body_paragraphs


VALID = {
    "url": "https://caliber.az/en/post/a-b", "id": "0123456789abcdef0123", "lang": "en",
    "title": "A title", "subtitle": None, "date": "2023-03-01T16:15:00+04:00",
    "category": "ANALYTICS", "views": 12, "body": "Text.", "author": None,
    "image": "https://caliber.az/i.jpg", "scraped_at": "2026-11-28T06:00:00Z",
}
VALUES = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.floats(allow_nan=False),
                   st.text(max_size=8), st.sampled_from(["en", "xx", " t", "t ", "2023-03-01",
                                                        "https://x/", "a\nb", "1.0"]))


@given(changes=st.dictionaries(st.sampled_from([*VALID, "extra"]), VALUES, max_size=3),
       drop=st.sets(st.sampled_from(list(VALID)), max_size=2))
def test_fast_check_never_accepts_what_jsonschema_refuses(changes: dict[str, Any],
                                                          drop: set[str]) -> None:
    record = {**VALID, **changes}
    for name in drop:
        record.pop(name, None)
    fast = fast_record_check(article_schema())
    assert fast is not None
    valid = not list(Draft202012Validator(article_schema()).iter_errors(record))
    if fast(record):
        assert valid
    assert fast(VALID)


ATTRIBUTE_MARKUP = """<html><head><link rel="stylesheet" href="/s.css"><link rel="canonical">
<link rel="canonical" href="/first"><link rel="canonical" href="/second">
<meta property="og:url" content=""><meta property="og:url" content="/og">
<meta name="og:url" content="/by-name"></head><body>
<div rel="canonical" class="post_title">div</div><a REL="Canonical" href="/upper">u</a>
<p data-x="a b">ab</p><p data-x="">empty</p></body></html>"""


@pytest.mark.parametrize("css", [
    "link[rel=canonical]::attr(href)", "link[rel='canonical']", "meta[property='og:url']",
    "meta[property='og:url']::attr(content)", "meta[name='og:url']::attr(content)",
    "[rel=canonical]", "*[rel=canonical]::attr(class)", "a[rel=Canonical]", "A[REL=canonical]",
    "p[data-x='a b']", "p[data-x='']", "p[data-x=a]", "link[rel~=canonical]", "link[href]",
    "link[rel=canonical]::attr(missing)", "div.post_title, link[rel=canonical]",
])
def test_one_pass_equals_parsel_on_attribute_selectors(css: str) -> None:
    selector = Selector(text=ATTRIBUTE_MARKUP)
    found = SelectorPlan.of([("k", css), ("t", ".post_title")]).first_matches(selector.root)
    assert element_text(found.get("k")) == reference_first(selector, css)
    assert element_text(found.get("t")) == "div"
