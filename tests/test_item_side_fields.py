"""What travels on the item without being part of the record: the URL form it was fetched at."""

from __future__ import annotations

import io
import json
import re
import sqlite3
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from scrapy.exporters import JsonLinesItemExporter

from crawler.items import RECORD_FIELDS, RawArticle
from crawler.normalize import normalize_article
from crawler.settings import FEED_EXPORT_FIELDS
from tests.crawl import PAST_LAST, run_crawl
from tests.replica.handle import ReplicaHandle

NUMERIC = re.compile(r"/post/\d+/?$")

SLUG = "https://caliber.az/en/post/populism-instead-of-progress"
RAW = RawArticle(
    fetched_url="http://127.0.0.1:8000/en/post/125546/", base_url="http://127.0.0.1:8000",
    scraped_at="2026-11-28T06:00:00Z", canonical_href=SLUG, og_url=None,
    title="Populism instead of progress", subtitle=None, category="ANALYTICS",
    date_text="17 May 2025 10:29", views_text="Views: 818", author=None, image_href=None,
    body_paragraphs=["Text."],
)


def test_a_page_fetched_at_its_numeric_url_carries_that_form_to_the_state() -> None:
    article, _ = normalize_article(RAW)
    assert article.url == SLUG
    assert article.fetched_form == "https://caliber.az/en/post/125546/"
    assert "fetched_form" not in article.to_record()
    assert list(article.to_record()) == list(RECORD_FIELDS)
    assert "fetched_form" not in json.dumps(article.to_record())


def test_a_page_fetched_at_its_canonical_url_carries_no_other_form() -> None:
    article, _ = normalize_article(replace(RAW, fetched_url="http://127.0.0.1:8000/en/post/"
                                           "populism-instead-of-progress"))
    assert article.url == SLUG
    assert article.fetched_form is None


def test_feeds_hold_the_record_fields_only() -> None:
    article, _ = normalize_article(RAW)
    assert article.fetched_form is not None  # the item carries a field the record has not
    feed = io.BytesIO()
    exporter = JsonLinesItemExporter(feed, fields_to_export=FEED_EXPORT_FIELDS,
                                     encoding="utf-8")
    exporter.start_exporting()
    exporter.export_item(article)
    exporter.finish_exporting()
    line = json.loads(feed.getvalue())
    assert list(line) == list(RECORD_FIELDS)
    assert line == article.to_record()


@pytest.mark.e2e
def test_the_state_remembers_each_numeric_url_an_article_was_fetched_at(
    replica: Callable[..., ReplicaHandle], tmp_path: Path
) -> None:
    site = replica(articles=60, seed=11)
    result = run_crawl(site.base_url, tmp_path, "mode=full", endings=PAST_LAST)
    assert result.returncode == 0, result.log[-3000:]
    numeric = {f"https://caliber.az{unquote(urlsplit(entry['path']).path)}"
               for entry in site.requests() if NUMERIC.search(urlsplit(entry["path"]).path)}
    assert numeric, "the replica linked no card to a numeric URL"
    with sqlite3.connect(tmp_path / "state.sqlite3") as db:
        forms = dict(db.execute("SELECT url, id FROM url_forms").fetchall())
    delivered = {record["id"] for record in result.records}
    assert {url: forms.get(url) in delivered for url in numeric} == dict.fromkeys(numeric, True)
