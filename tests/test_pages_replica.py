"""The page objects and normalisation against every page of large replica sites, in process:
each article page gives its record of the replica's truth, field by field."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from scrapy.http import HtmlResponse

from crawler.normalize import normalize_article
from crawler.pages import ArticlePage, ListingPage
from crawler.site import SECTION_PATHS, SiteProfile
from tests.crawl import without_crawler_fields
from tests.replica.generator import build_site
from tests.replica.render import render_article, render_listing

BASE = "http://127.0.0.1:8000"


@pytest.mark.parametrize(("seed", "articles"), [(5, 500), (11, 300), (2026, 120)])
def test_every_replica_article_parses_to_its_truth(seed: int, articles: int) -> None:
    site = build_site(seed=seed, articles=articles)
    mismatches = []
    for expected in site.truth():
        path = urlsplit(expected["url"]).path
        source = site.article_at(path)
        assert source is not None
        response = HtmlResponse(url=BASE + path, body=render_article(site, source),
                                encoding="utf-8")
        raw = ArticlePage(response, SiteProfile()).to_raw(BASE, "2026-11-28T06:00:00Z")
        article, problems = normalize_article(raw)
        got = without_crawler_fields(article.to_record())
        mismatches += [(expected["url"], name) for name in expected if got[name] != expected[name]]
        assert problems == []
    assert mismatches == []


def test_replica_listings_give_every_card() -> None:
    site = build_site(seed=5, articles=200)
    for lang, path in SECTION_PATHS.items():
        page_one = render_listing(site, lang, 1)
        assert page_one is not None
        cards = ListingPage(HtmlResponse(url=BASE + path, body=page_one, encoding="utf-8"),
                            SiteProfile()).cards()
        assert len(cards) >= 18  # en also shows the preview cards robots.txt forbids
        assert all(card.date_text and card.title for card in cards)
