"""Page objects and normalisation against the saved sample pages, field by field."""

from __future__ import annotations

import pytest

from crawler.items import Article
from crawler.normalize import normalize_article
from crawler.pages import ArticlePage, ListingPage
from crawler.site import SiteProfile
from crawler.urls import article_id, page_url
from tests.responses import file_response, sample_record

SCRAPED_AT = "2026-11-28T06:00:00Z"
ARTICLES = ["en-article", "en-legacy-article", "ru-article", "hy-article"]


def parse_sample(name: str, url: str | None = None) -> Article:
    expected = sample_record(f"{name}.json")
    response = file_response(f"{name}.html", url or expected["url"])
    raw = ArticlePage(response, SiteProfile()).to_raw("https://caliber.az", SCRAPED_AT)
    article, problems = normalize_article(raw)
    assert problems == []
    return article


@pytest.mark.parametrize("name", ARTICLES)
@pytest.mark.parametrize(
    "field",
    ["url", "lang", "title", "subtitle", "date", "category", "views", "body", "author", "image"],
)
def test_sample_article_field(name: str, field: str) -> None:
    record = parse_sample(name).to_record()
    assert record[field] == sample_record(f"{name}.json")[field]


@pytest.mark.parametrize("name", ARTICLES)
def test_sample_article_crawler_fields(name: str) -> None:
    article = parse_sample(name)
    assert article.scraped_at == SCRAPED_AT
    assert article.id == article_id(sample_record(f"{name}.json")["url"])


def test_record_from_a_mirror_names_the_public_url() -> None:
    """Fetched from the replica or a mirror, the record still carries caliber.az's URL."""
    article = parse_sample("en-article", "http://127.0.0.1:8123/en/post/125546/")
    assert article.url == sample_record("en-article.json")["url"]
    assert article.id == parse_sample("en-article").id


def test_listing_cards_and_next_page() -> None:
    """The site's page 1 links no page 2 itself: page 2 is built from ANALYTICS_PAGE_URL."""
    expected = sample_record("en-listing.json")
    page = ListingPage(file_response("en-listing.html", "https://caliber.az/en/category/analytics"),
                       SiteProfile())
    assert [card.href for card in page.cards()] == expected["article_urls"]
    assert page.next_link("https://caliber.az") is None
    assert page_url(SiteProfile().page_url, "https://caliber.az", "/en/category/analytics", "en",
                    2, 18) == expected["next_page"]


def test_listing_cards_carry_title_and_date_as_shown() -> None:
    page = ListingPage(file_response("en-listing.html", "https://caliber.az/en/category/analytics"),
                       SiteProfile())
    first = page.cards()[0]
    assert first.title == "Populism instead of progress"
    assert first.date_text == "17 May 2025 10:29"


@pytest.mark.parametrize(
    ("template", "expected"),
    [("{path}?page={n}", "https://caliber.az/en/category/analytics?page=8"),
     ("{path}/page/{n}", "https://caliber.az/en/category/analytics/page/8"),
     ("/api/{lang}/category/{slug}/posts?limit={limit}&page={n}",
      "https://caliber.az/api/en/category/analytics/posts?limit=18&page=8"),
     ("https://www.caliber.az/ajax?from={offset}&count={limit}",
      "https://caliber.az/ajax?from=126&count=18")],
)
def test_page_url_templates(template: str, expected: str) -> None:
    assert page_url(template, "https://caliber.az", "/en/category/analytics", "en", 8,
                    18) == expected


def test_article_page_is_not_a_listing() -> None:
    """Only cards are followed: an article page (menus, most read) has none, so no next page."""
    page = ListingPage(file_response("en-article.html", "https://caliber.az/en/category/analytics"),
                       SiteProfile())
    assert page.cards() == []
    assert page.next_link("https://caliber.az") is None
