"""Listing batches of the section: their cards (the only links the crawl follows) and the
listing's own way to the next batch.

A batch is a whole listing page or an HTML fragment of cards (``ListingPage``), or a JSON
answer in the older back end's shape (``JsonBatch``); ``read_batch`` tells them apart.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Protocol

from lxml import etree
from scrapy.http import TextResponse

from crawler.pages.select import compiled_css, element_text
from crawler.site import (
    JSON_PAGES_LEFT_KEY,
    JSON_RESULT_KEY,
    PAGER_NEXT_ARROWS,
    PAGER_NEXT_LABELS,
    SiteProfile,
)
from crawler.urls import fetch_url
from crawler.walk import NextLink

#: Attribute values that are URLs (``data-page="next"`` is not one).
_URL_STARTS = ("/", "?", "http://", "https://")


class UnreadableBatch(ValueError):
    """A listing batch that is neither cards in the site's markup nor JSON of its shape."""


@dataclass(frozen=True)
class Card:
    """One card of a listing, as shown: the article's link, title and date."""

    href: str
    title: str | None
    date_text: str | None


class Batch(Protocol):
    """What the crawl reads from a listing batch, whichever its form (``read_batch``)."""

    def cards(self) -> list[Card]:
        """The batch's cards in its order; ``UnreadableBatch`` when it has none to read."""

    def next_link(self, base_url: str, number: int = 1) -> NextLink | None:
        """The batch's own link to the batch after batch ``number`` (None: it has none)."""

    def says_last(self) -> bool:
        """True when the batch itself says no batch follows."""


def is_next_label(text: str | None) -> bool:
    """A pager link's text that says "next": ``Next »``, ``»``, ``Следующая``, ..."""
    words = " ".join((text or "").split()).casefold()
    bare = words.strip(PAGER_NEXT_ARROWS + " ")
    return bool(words) and (not bare or bare in PAGER_NEXT_LABELS)


def _attribute_urls(element: Any) -> Iterator[str]:
    """The URLs an element carries: its ``href``, then ``data-*`` values that are URLs."""
    if isinstance(element, str):  # a selector ending in ::attr(...)
        yield element
        return
    for name, value in sorted(element.attrib.items(), key=lambda item: item[0] != "href"):
        value = (value or "").strip()
        is_link = name == "href" and value and not value.startswith(("#", "javascript:"))
        if is_link or (name.startswith("data-") and value.startswith(_URL_STARTS)):
            yield value


@dataclass(frozen=True)
class ListingPage:
    """Reads one listing page (or a fragment of cards) with the selectors of a site profile."""

    response: TextResponse
    site: SiteProfile

    def cards(self) -> list[Card]:
        """The listing's cards in page order (menus, sidebars and switchers are not cards)."""
        selectors = self.site.selectors
        # Compiled XPaths on the lxml elements, as ``block.css(...)`` would evaluate them,
        # without a parsel Selector around every node (the cost of a listing page was
        # mostly those wrappers: 8 ms for 18 cards).
        card_link = compiled_css(selectors["card_link"])
        card_title = compiled_css(selectors["card_title"])
        card_time = compiled_css(selectors["card_time"])
        cards = []
        for block in compiled_css(selectors["card"])(self.response.selector.root):
            links = card_link(block)
            href = links[0].get("href") if links and not isinstance(links[0], str) else None
            if href and href.strip():
                titles, times = card_title(block), card_time(block)
                cards.append(
                    Card(
                        href=self.response.urljoin(href.strip()),
                        title=element_text(titles[0]) if titles else None,
                        date_text=element_text(times[0]) if times else None,
                    )
                )
        return cards

    def next_link(self, base_url: str, number: int = 1) -> NextLink | None:
        """The page's own link to the batch after batch ``number``, on the crawled host.

        The ways on, most trusted first (selectors of the same names in
        ``crawler.site.SELECTORS``): ``rel=next`` (head or anchor), the pager's "next" link,
        the link to page N+1 of a numbered pager, a "load more" element carrying a URL.
        Links to other hosts and back to this page are passed over. None: the page offers
        no way on by itself.
        """
        for mechanism, href in self._candidates(number):
            url = fetch_url(href, self.response.url, base_url)
            if url is not None and url != self.response.url:
                return NextLink(url, mechanism)
        return None

    def says_last(self) -> bool:
        """An HTML batch never says by itself that nothing is left (its missing link does)."""
        return False

    def _select(self, key: str, root: Any = None) -> list[Any]:
        found: list[Any] = compiled_css(self.site.selectors[key])(
            self.response.selector.root if root is None else root)
        return found

    def _candidates(self, number: int) -> Iterator[tuple[str, str]]:
        """(mechanism, href) of every next-batch link on the page, most trusted first."""
        for element in self._select("rel_next"):
            yield from (("rel_next", url) for url in _attribute_urls(element))
        anchors = [anchor for pager in self._select("pager")
                   if isinstance(pager, etree._Element)
                   for anchor in pager.iter("a") if anchor.get("href")]
        for element in self._select("pager_next"):
            yield from (("pager_next", url) for url in _attribute_urls(element))
        for anchor in anchors:
            if is_next_label(element_text(anchor)):
                yield "pager_next", anchor.get("href")
        for anchor in anchors:
            if (element_text(anchor) or "").strip() == str(number + 1):
                yield "numbered_pager", anchor.get("href")
        for element in self._select("load_more"):
            yield from (("load_more", url) for url in _attribute_urls(element))


def _lookup(item: Mapping[str, Any], dotted: str) -> Any:
    """``item["a"]["b"]`` for ``"a.b"``; None where a key is missing."""
    value: Any = item
    for key in dotted.split("."):
        value = value.get(key) if isinstance(value, Mapping) else None
    return value


def _text(value: Any) -> str | None:
    return str(value) if isinstance(value, str | int | float) and str(value).strip() else None


@dataclass(frozen=True)
class JsonBatch:
    """A JSON batch of cards: ``{"result": [{...one object per card...}], "pages_left": N}``.

    Card fields are found by ``SiteProfile.json_card_fields`` (``ANALYTICS_JSON_CARD_FIELDS``).
    """

    response: TextResponse
    site: SiteProfile

    @cached_property
    def data(self) -> dict[str, Any]:
        """The parsed answer; ``UnreadableBatch`` when it is not of the expected shape."""
        try:
            data = json.loads(self.response.text)
        except ValueError as error:
            raise UnreadableBatch(f"answered JSON that does not parse ({error})") from None
        if not isinstance(data, dict) or not isinstance(data.get(JSON_RESULT_KEY), list):
            raise UnreadableBatch(f"answered JSON without a {JSON_RESULT_KEY!r} list: "
                                  f"{self.response.text[:200]!r}")
        return data

    def cards(self) -> list[Card]:
        """One card per object of ``result`` that has a link, in the batch's order."""
        fields = self.site.json_card_fields
        cards = []
        for item in self.data[JSON_RESULT_KEY]:
            if not isinstance(item, Mapping):
                continue
            href = _text(_lookup(item, fields["href"]))
            if href:
                cards.append(Card(href=self.response.urljoin(href.strip()),
                                  title=_text(_lookup(item, fields.get("title", ""))),
                                  date_text=_text(_lookup(item, fields.get("date_text", "")))))
        return cards

    def pages_left(self) -> int | None:
        """How many batches the answer says follow this one (None: it does not say)."""
        left = self.data.get(JSON_PAGES_LEFT_KEY)
        return left if isinstance(left, int) and not isinstance(left, bool) else None

    def next_link(self, base_url: str, number: int = 1) -> NextLink | None:
        """A JSON batch carries no link: the next one is built from ``ANALYTICS_PAGE_URL``."""
        return None

    def says_last(self) -> bool:
        """True when the batch says nothing is left (``pages_left`` 0)."""
        return self.pages_left() == 0


def is_json(response: TextResponse) -> bool:
    """A JSON answer: declared so, or a body that opens like one."""
    declared = response.headers.get("Content-Type") or b""
    return b"json" in declared.lower() or response.body.lstrip()[:1] in (b"{", b"[")


def read_batch(response: TextResponse, site: SiteProfile) -> Batch:
    """The page object of a listing batch: JSON or HTML (a page or a fragment of cards)."""
    return JsonBatch(response, site) if is_json(response) else ListingPage(response, site)
