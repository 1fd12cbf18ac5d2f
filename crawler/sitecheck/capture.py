"""What the browser saw of a listing, and which of the script's answers are batches.

Pure (no browser, no Scrapy engine): ``scrapy sitecheck --browser`` records, per language,
the cards of page 1, the cards on the page after scrolling, and every request the page's
script sent with its answer (``Seen``). An answer is a batch when it brings article links:
JSON of any shape (the list of objects most of whose items link an article) or an HTML
fragment read with the crawl's selectors.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from scrapy.http import HtmlResponse

from crawler.pages import ListingPage
from crawler.pages.listing import json_path
from crawler.site import SiteProfile, is_article_path
from crawler.urls import fetch_url

#: A JSON leaf path inside one card object, or of the whole answer.
Path = str


@dataclass(frozen=True)
class Seen:
    """One request the page's script sent (fetch/XHR), and its answer."""

    method: str
    url: str
    headers: Mapping[str, str]
    body: str
    status: int
    content_type: str
    answer: bytes

    def describe(self) -> str:
        return f"{self.method} {self.url} -> {self.status} ({len(self.answer)} bytes)"


@dataclass(frozen=True)
class Capture:
    """What the browser saw of one language's listing."""

    lang: str
    first_url: str
    first_cards: tuple[str, ...]  # article URLs of page 1 as served
    dom_cards: tuple[tuple[str, str | None, str | None], ...]  # (URL, title, date) after
    seen: tuple[Seen, ...]
    actions: tuple[str, ...] = ()  # what was done to the page (scrolls, clicks)
    blocked: tuple[str, ...] = ()  # requests not let through, with why


@dataclass(frozen=True)
class BatchSeen:
    """A request that brought cards page 1 did not show: its article URLs in order."""

    request: Seen
    urls: tuple[str, ...]
    new: tuple[str, ...]
    data: Any = None  # the parsed JSON answer; None for an HTML fragment


def article_url(href: str, page_url: str, base_url: str) -> str | None:
    """The URL the crawl would fetch for a card link, when it is an article."""
    url = fetch_url(href, page_url, base_url)
    return url if url and is_article_path(urlsplit(url).path) else None


def leaves(value: Any, prefix: str = "") -> Iterator[tuple[Path, Any]]:
    """Every (path, value) of a JSON value's scalars, paths in ``json_path``'s syntax."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield from leaves(item, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from leaves(item, f"{prefix}.{index}" if prefix else str(index))
    else:
        yield prefix, value


def _lists(value: Any, prefix: str = "") -> Iterator[tuple[Path, list[Any]]]:
    """Every list of objects in a JSON value, with its path."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield from _lists(item, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(value, list) and value and all(isinstance(item, Mapping) for item in value):
        yield prefix, value


def json_cards(data: Any, page_url: str, base_url: str) -> tuple[Path, Path, list[str]] | None:
    """(path of the card list, path of the link in a card, article URLs) of a JSON answer:
    the list of objects most of whose items link an article."""
    best: tuple[Path, Path, list[str]] | None = None
    for path, items in _lists(data):
        links: Counter[str] = Counter()
        for item in items:
            for leaf, value in leaves(item):
                if isinstance(value, str) and article_url(value, page_url, base_url):
                    links[leaf] += 1
        if not links:
            continue
        href, count = links.most_common(1)[0]
        if count * 2 < len(items):
            continue
        urls = [url for item in items
                if isinstance(value := json_path(item, href), str)
                and (url := article_url(value, page_url, base_url))]
        if best is None or len(urls) > len(best[2]):
            best = (path, href, urls)
    return best


def read_seen(seen: Seen, capture: Capture, site: SiteProfile, base_url: str
              ) -> BatchSeen | None:
    """The answer as a batch of cards (JSON or an HTML fragment), when it has any."""
    if seen.status != 200:
        return None
    text = seen.answer.decode("utf-8", "replace")
    if "json" in seen.content_type or text.lstrip()[:1] in ("{", "["):
        try:
            data = json.loads(text)
        except ValueError:
            return None
        found = json_cards(data, capture.first_url, base_url)
        if found is None:
            return None
        urls: list[str] = found[2]
    else:
        response = HtmlResponse(seen.url, body=seen.answer, encoding="utf-8")
        data = None
        urls = [url for card in ListingPage(response, site).cards()
                if (url := article_url(card.href, capture.first_url, base_url))]
    if not urls:
        return None
    new = tuple(url for url in urls if url not in capture.first_cards)
    return BatchSeen(seen, tuple(urls), new, data)


def batches_of(capture: Capture, site: SiteProfile, base_url: str) -> list[BatchSeen]:
    """The requests that brought cards page 1 did not show, in the order they were sent."""
    found = []
    for seen in capture.seen:
        batch = read_seen(seen, capture, site, base_url)
        if batch is not None and batch.new:
            found.append(batch)
    return found
