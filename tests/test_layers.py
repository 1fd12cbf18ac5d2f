"""The chain per field, layer by layer, from saved pages: today's markup (tests/samples) and
the replica's redesign (tests/samples/redesign, `--markup redesign`: classes renamed, date
and counter moved, JSON-LD/OpenGraph on some pages only)."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest
from scrapy.http import HtmlResponse

from crawler.normalize import normalize_article
from crawler.pages import ArticlePage, ListingPage
from crawler.pages.finder import SiteRules
from crawler.pages.structured import StructuredData
from crawler.site import SELECTORS, SiteProfile
from crawler.sitecheck.checks import ArticleSample, check_layers
from crawler.sitecheck.findings import PASS, WARN, Findings
from tests.replica.redesign import SELECTORS as REDESIGN_SELECTORS
from tests.responses import SAMPLES, file_response, sample_record

REDESIGN = ["en-jsonld", "ru-opengraph", "hy-none", "en-legacy-none", "ru-legacy-none"]
TODAY = ["en-article", "en-legacy-article", "ru-article", "hy-article"]
FIELDS = ["title", "subtitle", "date", "category", "views", "body", "author", "image"]
#: Every article selector pointing at nothing: each field must come from another layer.
NOTHING = {key: f".gone-{key}" for key in ("title", "title_fallback", "subtitle", "category",
                                           "date", "author", "cover", "views", "body")}


def redesigned(name: str) -> tuple[HtmlResponse, dict[str, Any]]:
    expected = json.loads((SAMPLES / "redesign" / f"{name}.json").read_text("utf-8"))
    response = file_response(f"redesign/{name}.html", expected["fetched_url"])
    return response, expected


def profile(**changes: Any) -> SiteProfile:
    site = SiteProfile()
    selectors = {**site.selectors, **changes.pop("selectors", {})}
    return replace(site, selectors=selectors, **changes)


def record_and_provenance(response: HtmlResponse, site: SiteProfile
                          ) -> tuple[dict[str, Any], dict[str, str], dict[str, bool]]:
    raw = ArticlePage(response, site).to_raw("https://caliber.az", "2026-11-28T06:00:00.000Z")
    article, problems = normalize_article(raw)
    assert problems == []
    return article.to_record(), article.provenance, article.agreement


@pytest.mark.parametrize("name", REDESIGN)
def test_a_redesigned_page_gives_every_field_and_says_which_layer(name: str) -> None:
    response, expected = redesigned(name)
    record, provenance, _ = record_and_provenance(response, SiteProfile())
    assert {field: record[field] for field in expected["record"]} == expected["record"]
    assert provenance == expected["provenance"]
    assert set(provenance) == {field for field in FIELDS if record[field] is not None}


@pytest.mark.parametrize("name", REDESIGN)
def test_corrected_selectors_read_the_redesign_alone(name: str) -> None:
    response, expected = redesigned(name)
    record, provenance, agreement = record_and_provenance(
        response, profile(selectors=REDESIGN_SELECTORS))
    assert {field: record[field] for field in expected["record"]} == expected["record"]
    assert set(provenance.values()) == {"selector"}
    assert all(agreement.values())


@pytest.mark.parametrize("name", TODAY)
def test_todays_pages_take_every_field_from_the_selectors(name: str) -> None:
    record, provenance, agreement = record_and_provenance(
        file_response(f"{name}.html", sample_record(f"{name}.json")["url"]), SiteProfile())
    assert set(provenance.values()) == {"selector"}
    assert agreement == {"title": True}  # og:title is the only structured field they have
    assert {field: record[field] for field in FIELDS} == {
        field: sample_record(f"{name}.json")[field] for field in FIELDS}


@pytest.mark.parametrize("name", TODAY)
def test_the_finder_alone_reads_todays_pages(name: str) -> None:
    """No selector matches, no structured data used: the site's rules give every field."""
    expected = sample_record(f"{name}.json")
    site = profile(selectors=NOTHING, layers=("selector", "finder"))
    record, provenance, _ = record_and_provenance(file_response(f"{name}.html", expected["url"]),
                                                  site)
    assert {field: record[field] for field in FIELDS} == {field: expected[field]
                                                          for field in FIELDS}
    assert set(provenance.values()) == {"finder"}


def test_structured_data_of_a_json_ld_page() -> None:
    response, expected = redesigned("en-jsonld")
    data, truth = StructuredData(response.selector.root), expected["record"]
    assert data.get("title") == truth["title"]
    assert data.get("subtitle") == truth["subtitle"]
    assert data.get("date") == truth["date"]
    assert data.get("category") == truth["category"]
    assert data.get("views") == str(truth["views"])
    assert data.get("image") == truth["image"]
    assert data.get("author") is None and truth["author"] is None


def test_structured_data_of_an_opengraph_page_and_of_a_page_without() -> None:
    response, expected = redesigned("ru-opengraph")
    data, truth = StructuredData(response.selector.root), expected["record"]
    assert (data.get("date"), data.get("category"), data.get("image")) == (
        truth["date"], truth["category"], truth["image"])
    assert data.get("views") is None and data.get("subtitle") is None
    bare = StructuredData(redesigned("hy-none")[0].selector.root)
    assert {name: bare.get(name) for name in FIELDS} == dict.fromkeys(FIELDS)


def test_a_title_tag_gives_the_title_without_the_site_suffix() -> None:
    page = b"<html><head><title>Gas, grids &amp; green hydrogen | Caliber.Az</title></head></html>"
    data = StructuredData(HtmlResponse("https://caliber.az/en/post/x", body=page).selector.root)
    assert data.get("title") == "Gas, grids & green hydrogen"


def test_a_date_without_its_time_is_not_valid_structured_data() -> None:
    """``2025-05-17`` alone would make a guess at the time: the next layer is asked."""
    response, _ = redesigned("hy-none")
    html = response.text.replace("<head>", '<head><meta property="article:published_time" '
                                 'content="2025-05-17">')
    page = response.replace(body=html.encode())
    _, provenance, _ = record_and_provenance(page, SiteProfile())
    assert provenance["date"] == "finder"


def test_a_disagreement_between_the_selectors_and_the_structured_data_is_noted() -> None:
    """A class kept on a new element (here: .post_time on the day of the last edit)."""
    name = "en-article"
    expected = sample_record(f"{name}.json")
    html = (SAMPLES / f"{name}.html").read_text("utf-8").replace(
        "<head>", '<head><meta property="article:published_time" content="2020-01-01T10:00:00Z">'
        '<meta property="article:section" content="analytics">')
    page = HtmlResponse(expected["url"], body=html.encode(), encoding="utf-8")
    record, provenance, agreement = record_and_provenance(page, SiteProfile())
    assert record["date"] == expected["date"]  # the selector still wins
    assert provenance["date"] == "selector"
    assert agreement == {"title": True, "date": False, "category": True}


def test_without_the_comparison_nothing_is_compared() -> None:
    response, _ = redesigned("en-jsonld")
    _, _, agreement = record_and_provenance(
        response, profile(selectors=REDESIGN_SELECTORS, compare_layers=False))
    assert agreement == {}


def test_only_the_selectors_when_the_fallbacks_are_off() -> None:
    """``ANALYTICS_FIELD_LAYERS=selector``: today's behaviour, a redesign is rejected."""
    response, _ = redesigned("hy-none")
    raw = ArticlePage(response, profile(layers=("selector",))).to_raw("https://caliber.az", "x")
    assert raw.date_text is None and raw.body_paragraphs == []
    assert raw.provenance == {"title": "selector"}


def test_listing_cards_by_the_finder_are_the_corrected_selectors_cards() -> None:
    expected = json.loads((SAMPLES / "redesign" / "en-listing.json").read_text("utf-8"))
    response = file_response("redesign/en-listing.html", expected["url"])
    found = ListingPage(response, SiteProfile())
    selected = ListingPage(response, profile(selectors=REDESIGN_SELECTORS))
    assert found.cards_layer() == "finder" and selected.cards_layer() == "selector"
    assert [[card.href, card.title, card.date_text] for card in found.cards()] == expected["cards"]
    assert [card.href for card in selected.cards()] == [href for href, _, _ in expected["cards"]]
    assert [" ".join((card.title or "").split()) for card in selected.cards()] == [
        title for _, title, _ in expected["cards"]]


def test_the_finder_skips_the_sidebar_menus_and_footer() -> None:
    """The 'most read' sidebar links other articles of the language: never cards."""
    response = file_response("en-listing.html", "https://caliber.az/en/category/analytics")
    rules = SiteRules(response.selector.root, response.url, SiteProfile())
    hrefs = [href for href, _, _ in rules.cards(response.urljoin)]
    assert hrefs == [card.href for card in ListingPage(response, SiteProfile()).cards()]
    assert SELECTORS["card"] == "div.float_block"


def test_a_page_past_the_end_has_no_cards_by_any_layer() -> None:
    response = file_response("redesign/en-listing.html",
                             "https://caliber.az/en/category/analytics")
    empty = response.replace(body=response.text.split('<div class="feed">')[0].encode()
                             + b"</section></main></body></html>")
    page = ListingPage(empty, SiteProfile())
    assert page.cards() == [] and page.cards_layer() is None


def sitecheck_layer_verdicts(pages: list[HtmlResponse]) -> dict[str, tuple[str, str]]:
    """``scrapy sitecheck``'s ``layers`` and ``layer_agreement`` verdicts on these pages."""
    sample = ArticleSample(SiteProfile(), "https://caliber.az", "Views")
    for page in pages:
        sample.add(page.url, page)
    out = Findings()
    check_layers(out, "en", sample)
    return {check.name: (check.status, check.seen) for check in out.checks}


def test_sitecheck_warns_of_a_disagreement_and_of_a_fallback() -> None:
    """The early warning: the selectors still match, but the structured data says otherwise
    (a class kept on a new element); and a redesigned page read by the fallback layers."""
    expected = sample_record("en-article.json")
    html = (SAMPLES / "en-article.html").read_text("utf-8").replace(
        "<head>", '<head><meta property="article:published_time" content="2020-01-01T10:00:00Z">')
    changed = HtmlResponse(expected["url"], body=html.encode(), encoding="utf-8")
    verdicts = sitecheck_layer_verdicts([changed])
    assert verdicts["layer_agreement"][0] == WARN and "date on 1 of 1" in \
        verdicts["layer_agreement"][1]
    assert verdicts["layers"][0] == PASS
    healthy = sitecheck_layer_verdicts([file_response("en-article.html", expected["url"])])
    assert healthy["layer_agreement"] == (PASS, "agree on title (1)")
    redesigned_verdicts = sitecheck_layer_verdicts([redesigned("en-jsonld")[0]])
    assert redesigned_verdicts["layers"][0] == WARN
    assert "body from finder on 1" in redesigned_verdicts["layers"][1]
