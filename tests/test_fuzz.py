"""Fuzzing the article and listing parsers with mutated pages (hypothesis).

Whatever a page holds, the parsers never raise: an article page becomes a record that
passes the schema, or a reject with a named reason, in bounded time. The number of cases
is ``FUZZ_EXAMPLES`` (default 150 per test; ``make fuzz`` runs many more).
"""

from __future__ import annotations

import os
import time
from functools import lru_cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from lxml import etree, html
from scrapy.http import HtmlResponse

from crawler.normalize import FieldError, normalize_article
from crawler.pages import ArticlePage, ListingPage
from crawler.site import SiteProfile
from crawler.validation import article_schema
from tests.replica.generator import build_site
from tests.replica.render import render_article, render_listing
from tests.responses import SAMPLES

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "150"))
FUZZ = settings(max_examples=EXAMPLES)  # deadline, health checks: tests/conftest.py
BASE = "http://127.0.0.1:8000"
VALIDATOR = Draft202012Validator(article_schema())


@lru_cache(maxsize=1)
def article_pages() -> list[bytes]:
    site = build_site(seed=99, articles=9)
    pages = [render_article(site, article) for article in site.articles]
    return pages + [(SAMPLES / f"{name}.html").read_bytes()
                    for name in ("en-article", "en-legacy-article", "ru-article", "hy-article")]


@lru_cache(maxsize=1)
def listing_pages() -> list[bytes]:
    site = build_site(seed=99, articles=40)
    pages = [render_listing(site, lang, 1) for lang in ("en", "ru", "hy")]
    return [page for page in pages if page] + [(SAMPLES / "en-listing.html").read_bytes()]


JUNK = st.lists(
    st.one_of(
        st.text(max_size=10),
        st.sampled_from(["\x00", "\x07", "\x1b", "\u202e", "\u200f", "\ufeff", "\ud7ff", "&amp;",
                         "<", ">", "&#0;", "&#xD800;", "\u0531", "Ж", "\u0627", "\n\n"]),
    ),
    max_size=8,
).map("".join)
PAGES = {"article": article_pages, "listing": listing_pages}


@st.composite
def mutated(draw: st.DrawFn, kind: str) -> bytes:
    """A page with elements removed, duplicated, filled with junk, nested deep, re-encoded."""
    pages = PAGES[kind]()
    tree = html.fromstring(pages[draw(st.integers(0, len(pages) - 1))])
    for _ in range(draw(st.integers(0, 6))):
        elements = [e for e in tree.iter() if isinstance(e.tag, str) and e is not tree]
        if not elements:
            break
        target = draw(st.sampled_from(elements))
        action = draw(st.sampled_from(["remove", "duplicate", "junk", "nest", "attribute"]))
        parent = target.getparent()
        if action == "remove" and parent is not None:
            parent.remove(target)
        elif action == "duplicate" and parent is not None:
            parent.insert(parent.index(target), html.fromstring(etree.tostring(target)))
        elif action == "junk":  # marked here, spliced into the text after serialising
            target.text = "\ue000" + (target.text or "")
        elif action == "nest":
            depth = draw(st.integers(1, 400))
            wrapper = html.fromstring("<div>" * depth + "</div>" * depth)
            innermost = wrapper
            while len(innermost):
                innermost = innermost[0]
            if parent is not None:
                parent.replace(target, wrapper)
                innermost.append(target)
        else:
            target.set("class", draw(st.sampled_from(["", "post_title", "banner", "x" * 50])))
    body = etree.tostring(tree, encoding="unicode", method="html")
    while "\ue000" in body:  # control characters and the like lxml would not hold
        body = body.replace("\ue000", draw(JUNK), 1)
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "cp1251", "latin-1", "utf-16"]))
    data = body.encode(encoding, errors="replace")
    if draw(st.booleans()):
        data = data[: draw(st.integers(0, len(data)))]  # a truncated page
    return data


def response_for(body: bytes, declared: str | None, url: str) -> HtmlResponse:
    headers = {"Content-Type": f"text/html; charset={declared}"} if declared else {}
    return HtmlResponse(url=url, body=body, headers=headers)


def article_outcome(response: HtmlResponse) -> str:
    """'record' or 'reject:<reason>': what the pipelines would make of the page."""
    raw = ArticlePage(response, SiteProfile()).to_raw(BASE, "2026-11-28T06:00:00Z")
    try:
        article, _problems = normalize_article(raw)
    except FieldError as error:
        return f"reject:{error.reason}"
    errors = list(VALIDATOR.iter_errors(article.to_record()))
    return "record" if not errors else f"reject:schema_{errors[0].validator}"


@FUZZ
@given(body=mutated("article"), declared=st.sampled_from([None, "utf-8", "cp1251", "bogus"]))
def test_any_article_page_is_a_record_or_a_named_reject(body: bytes, declared: str | None) -> None:
    outcome = article_outcome(response_for(body, declared, f"{BASE}/en/post/fuzzed"))
    assert outcome == "record" or outcome.startswith("reject:")


@FUZZ
@given(body=mutated("listing"), declared=st.sampled_from([None, "utf-8", "bogus"]))
def test_any_listing_page_gives_cards_or_none(body: bytes, declared: str | None) -> None:
    page = ListingPage(response_for(body, declared, f"{BASE}/en/category/analytics?page=3"),
                       SiteProfile())
    cards = page.cards()
    assert all(card.href for card in cards)
    link = page.next_link(BASE, 3)
    assert link is None or link.url.startswith(f"{BASE}/")  # never off the crawled host


@FUZZ
@given(body=st.binary(max_size=4000))
def test_random_bytes_are_a_reject(body: bytes) -> None:
    outcome = article_outcome(response_for(body, None, f"{BASE}/post/bytes"))
    assert outcome.startswith("reject:") or outcome == "record"


def test_a_ten_megabyte_page_is_read_in_bounded_time() -> None:
    page = (SAMPLES / "en-article.html").read_text("utf-8")
    paragraph = "<p>" + "Caspian transit and the corridor's arithmetic. " * 20 + "</p>\n"
    filler = paragraph * (10 * 1024 * 1024 // len(paragraph))
    body = page.replace("<div class=\"post_body\">", "<div class=\"post_body\">" + filler)
    started = time.monotonic()
    outcome = article_outcome(response_for(body.encode(), "utf-8", f"{BASE}/en/post/big"))
    assert outcome == "record"
    assert time.monotonic() - started < 30


@pytest.mark.parametrize("declared", [None, "cp1251"])
def test_a_russian_page_in_windows_1251_reads_right(declared: str | None) -> None:
    page = (SAMPLES / "ru-article.html").read_text("utf-8").replace('charset="utf-8"',
                                                                     'charset="windows-1251"')
    response = response_for(page.encode("cp1251"), declared, f"{BASE}/post/x")
    raw = ArticlePage(response, SiteProfile()).to_raw(BASE, "2026-11-28T06:00:00Z")
    assert raw.title == "Мирный договор: что осталось согласовать"
