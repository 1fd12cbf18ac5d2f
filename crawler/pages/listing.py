"""Listing batches of the section: their cards (the only links the crawl follows) and the
listing's own way to the next batch.

A batch is a whole listing page or an HTML fragment of cards (``ListingPage``), or a JSON
answer of any shape whose paths are settings (``JsonBatch``; the older back end's shape by
default); ``read_batch`` tells them apart, and ``read_listing`` gives what the walk needs of
either (``BatchReading``).

"More" controls are recognised by what they are, not by a list of classes (``Control``):
the site's known markup (the ``load_more`` selector), any element whose text is a
"more"/"next" label of ``crawler.site``, and any element but a link that carries a listing
URL of the crawled host in a ``data-*`` or ``on*`` (``onclick``) attribute.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Protocol
from urllib.parse import urljoin, urlsplit

from lxml import etree
from scrapy.http import TextResponse
from scrapy.utils.response import get_base_url

from crawler.pages.controls import (
    Control,
    _attribute_urls,
    is_next_label,
    more_controls,
    way_on,
)
from crawler.pages.finder import SiteRules
from crawler.pages.select import compiled_css, element_text, page_classes, selected
from crawler.pages.tree import page_tree
from crawler.site import (
    JSON_PAGES_LEFT_KEY,
    SiteProfile,
    is_article_path,
)
from crawler.urls import fetch_url
from crawler.walk import NextLink

_TITLE = etree.XPath("string(//title)")

class UnreadableBatch(ValueError):
    """A listing batch that is neither cards in the site's markup nor JSON of its shape."""


@dataclass(frozen=True)
class Card:
    """One card of a listing, as shown: the article's link, title and date."""

    href: str
    title: str | None
    date_text: str | None


def joined(base: str, href: str) -> str:
    """A card's link made absolute against ``base``; as written when it cannot be parsed
    (``http://[::1/``): the spider rejects that one card as ``bad_url``, the page's other
    cards go on."""
    try:
        return urljoin(base, href.strip())
    except ValueError:
        return href.strip()


class Batch(Protocol):
    """What the crawl reads from a listing batch, whichever its form (``read_batch``)."""

    def cards(self) -> list[Card]:
        """The batch's cards in its order; ``UnreadableBatch`` when it has none to read."""

    def cards_layer(self) -> str | None:
        """The layer that gave the cards (``crawler.site.LAYERS``); None: there are none."""

    def next_link(self, base_url: str, number: int = 1) -> NextLink | None:
        """The batch's own link to the batch after batch ``number`` (None: it has none)."""

    def says_last(self) -> bool:
        """True when the batch itself says no batch follows."""

    def cursor(self) -> str | None:
        """What the batch gives as the way to the next one (``{cursor}``), if anything."""


@dataclass(frozen=True)
class ListingPage:
    """Reads one listing page (or a fragment of cards) with the selectors of a site profile."""

    response: TextResponse
    site: SiteProfile
    _cards: list[tuple[str | None, list[Card]]] = field(default_factory=list, init=False,
                                                        repr=False, compare=False)
    _controls: dict[str, list[Control]] = field(default_factory=dict, init=False,
                                                repr=False, compare=False)

    def cards(self) -> list[Card]:
        """The listing's cards in page order (menus, sidebars and switchers are not cards):
        by the card selectors, else (none matching) by the finder's rules."""
        return self.read_cards()[1]

    def cards_layer(self) -> str | None:
        """The layer that gave the cards (``selector``, ``finder``); None: the page has none."""
        return self.read_cards()[0]

    def read_cards(self) -> tuple[str | None, list[Card]]:
        """(layer, cards), read once."""
        if not self._cards:
            cards = self._selected_cards()
            layer: str | None = "selector" if cards else None
            if not cards and "finder" in self.site.layers:
                rules = SiteRules(self.root, self.response.url, self.site)
                cards = [Card(href, title, date) for href, title, date
                         in rules.cards(self.response.urljoin)]
                layer = "finder" if cards else None
            self._cards.append((layer, cards))
        return self._cards[0]

    def _selected_cards(self) -> list[Card]:
        selectors = self.site.selectors
        # Compiled XPaths on the lxml elements, as ``block.css(...)`` would evaluate them,
        # without a parsel Selector around every node (the cost of a listing page was
        # mostly those wrappers: 8 ms for 18 cards).
        card_link = compiled_css(selectors["card_link"])
        card_title = compiled_css(selectors["card_title"])
        card_time = compiled_css(selectors["card_time"])
        cards, base = [], get_base_url(self.response)
        for block in self.card_blocks:
            links = card_link(block)
            href = links[0].get("href") if links and not isinstance(links[0], str) else None
            if href and href.strip():
                titles, times = card_title(block), card_time(block)
                cards.append(
                    Card(
                        href=joined(base, href),
                        title=element_text(titles[0]) if titles else None,
                        date_text=element_text(times[0]) if times else None,
                    )
                )
        return cards

    def next_link(self, base_url: str, number: int = 1) -> NextLink | None:
        """The page's own link to the batch after batch ``number``, on the crawled host.

        The ways on, most trusted first (the first four are selectors of the same names in
        ``crawler.site.SELECTORS``): ``rel_next`` (``rel=next`` in the head or an anchor),
        ``pager_next`` (the pager's "next" link), ``numbered_pager`` (the link to page N+1),
        ``load_more`` (the known "load more" markup carrying a URL), ``more_control`` (any
        other "more" control carrying one, ``Control``). Links to other hosts and back to
        this page (in any order of its query) are passed over. None: the page offers no way
        on by itself.
        """
        for mechanism, href in self._candidates(number):
            url = way_on(href, self.response.url, base_url)
            if url is not None:
                return NextLink(url, mechanism)
        for control in self.controls(base_url):
            if control.url is not None:
                return NextLink(control.url, "load_more" if control.known else "more_control")
        return None

    def controls(self, base_url: str) -> list[Control]:
        """Every "more" control outside the cards, in document order (``more_controls``),
        found once: ``next_link`` and ``unfollowed_control`` both ask for them."""
        if base_url not in self._controls:
            self._controls[base_url] = more_controls(self.response, self.root, self.site,
                                                     base_url, self.classes, self.card_blocks)
        return self._controls[base_url]

    @cached_property
    def root(self) -> etree._Element:
        """The page's tree (``crawler.pages.tree``: not the response's selector)."""
        return page_tree(self.response)

    @cached_property
    def classes(self) -> frozenset[str]:
        """The page's class names: a selector that needs one it lacks is not evaluated."""
        return page_classes(self.root)

    @cached_property
    def card_blocks(self) -> list[Any]:
        """The matches of the card selector: the cards' blocks, read and skipped as controls."""
        return self._select("card")

    def unfollowed_control(self, base_url: str) -> Control | None:
        """The first "more" control that carries no URL the walk can follow, if any."""
        return next((c for c in self.controls(base_url) if c.url is None and not c.leads_here),
                    None)

    def says_last(self) -> bool:
        """An HTML batch never says by itself that nothing is left (its missing link does)."""
        return False

    def cursor(self) -> str | None:
        """An HTML batch gives no cursor: the batch after page 1 is asked with an empty one."""
        return None

    def _select(self, key: str) -> list[Any]:
        return selected(self.site.selectors[key], self.root, self.classes)

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


def json_path(data: Any, path: str) -> Any:
    """The value at ``path`` in parsed JSON: keys joined by dots, a whole number indexing a
    list (``data.items``, ``node.link.href``, ``items.0.url``); ``""`` is the whole
    document. None where a key or index is missing."""
    value: Any = data
    for key in path.split(".") if path else ():
        if isinstance(value, Mapping):
            value = value.get(key)
        elif isinstance(value, list) and key.lstrip("-").isdigit() and -len(value) <= int(
                key) < len(value):
            value = value[int(key)]
        else:
            return None
    return value


def last_rule_holds(data: Any, rule: str) -> bool:
    """``ANALYTICS_JSON_PATHS`` ``last``: ``PATH=VALUE`` (VALUE a JSON value such as ``0``,
    ``false``, ``null``, ``"end"``) holds when the value at PATH equals it; ``PATH`` alone
    when that value is ``true``. An empty rule never holds."""
    if not rule:
        return False
    path, is_comparison, expected = rule.partition("=")
    found = json_path(data, path.strip())
    if not is_comparison:
        return found is True
    try:
        wanted = json.loads(expected)
    except ValueError:
        wanted = expected  # a bare word: compared as text
    return found == wanted and type(found) is type(wanted)


def _text(value: Any) -> str | None:
    return str(value) if isinstance(value, str | int | float) and str(value).strip() else None


@dataclass(frozen=True)
class JsonBatch:
    """A JSON batch of cards, by default ``{"result": [{...one per card...}], "pages_left": N}``.

    The card list, the cursor and the "nothing left" rule are found by
    ``SiteProfile.json_paths`` (``ANALYTICS_JSON_PATHS``), card fields by
    ``SiteProfile.json_card_fields`` (``ANALYTICS_JSON_CARD_FIELDS``).
    """

    response: TextResponse
    site: SiteProfile
    #: What a relative card link is relative to: the listing page the script ran on (an
    #: endpoint on another host answers links of the site); the answer's URL when unset.
    page_url: str = ""

    @cached_property
    def data(self) -> Any:
        """The parsed answer; ``UnreadableBatch`` when it is not of the expected shape."""
        try:
            data = json.loads(self.response.text)
        except ValueError as error:
            raise UnreadableBatch(f"answered JSON that does not parse ({error})") from None
        cards = self.site.json_paths.get("cards", "")
        if not isinstance(data, dict | list) or not isinstance(json_path(data, cards), list):
            raise UnreadableBatch(f"answered JSON without a {cards!r} list "
                                  f"(ANALYTICS_JSON_PATHS cards): {self.response.text[:200]!r}")
        return data

    def cards(self) -> list[Card]:
        """One card per object of ``result`` that has a link, in the batch's order."""
        fields = self.site.json_card_fields
        cards = []
        for item in json_path(self.data, self.site.json_paths.get("cards", "")):
            if not isinstance(item, Mapping):
                continue
            href = _text(json_path(item, fields["href"]))
            if href:
                title, date_text = fields.get("title"), fields.get("date_text")
                cards.append(Card(href=joined(self.page_url or self.response.url, href),
                                  title=_text(json_path(item, title)) if title else None,
                                  date_text=_text(json_path(item, date_text))
                                  if date_text else None))
        return cards

    def cards_layer(self) -> str | None:
        """A JSON batch's cards come from its declared fields (the selectors' layer)."""
        return "selector" if self.cards() else None

    def pages_left(self) -> int | None:
        """How many batches the answer says follow this one (None: it does not say)."""
        left = json_path(self.data, JSON_PAGES_LEFT_KEY)
        return left if isinstance(left, int) and not isinstance(left, bool) else None

    def next_link(self, base_url: str, number: int = 1) -> NextLink | None:
        """A JSON batch carries no link: the next one is built from ``ANALYTICS_PAGE_URL``."""
        return None

    def says_last(self) -> bool:
        """True when the batch says nothing is left: its ``last`` rule holds (by default
        ``pages_left`` 0), or batches are asked by cursor and this one gives none."""
        return (last_rule_holds(self.data, self.site.json_paths.get("last", ""))
                or (self.site.uses_cursor and self.cursor() is None))

    def cursor(self) -> str | None:
        """The text the next batch is asked with (``ANALYTICS_JSON_PATHS`` cursor); None
        when the batch gives none (empty, null, absent) or no cursor path is set."""
        path = self.site.json_paths.get("cursor", "")
        return _text(json_path(self.data, path)) if path else None


def is_json(response: TextResponse) -> bool:
    """A JSON answer: declared so, or a body that opens like one."""
    declared = response.headers.get("Content-Type") or b""
    return b"json" in declared.lower() or response.body.lstrip()[:1] in (b"{", b"[")


def read_batch(response: TextResponse, site: SiteProfile,
               page_url: str = "") -> Batch:
    """The page object of a listing batch: JSON or HTML (a page or a fragment of cards);
    ``page_url``: the listing page a JSON batch's relative links are relative to."""
    if is_json(response):
        return JsonBatch(response, site, page_url)
    return ListingPage(response, site)


@dataclass(frozen=True)
class BatchReading:
    """What one listing batch shows, as the walk needs it, HTML or JSON alike."""

    cards: list[Card]
    #: The cards that link an article, each with the URL to request, in the batch's order.
    article_cards: list[tuple[Card, str]]
    next_link: NextLink | None
    says_last: bool
    #: The way on the batch gives (``{cursor}`` of the next one), if any.
    cursor: str | None
    #: A "more" control that carries no URL the walk can follow, as ``Control.describe``
    #: names it (None: no such control).
    control: str | None
    #: What the answer was, for a message: status, title, size.
    described: str
    #: The layer that gave the cards (``crawler.site.LAYERS``); None: there are none.
    layer: str | None = None

    def cards_layer(self) -> str | None:
        """The layer that gave the cards, as ``Batch.cards_layer`` says it."""
        return self.layer


def describe_answer(response: TextResponse, root: etree._Element | None = None) -> str:
    """``HTTP 200, title 'Analytics', 81234 bytes``: what a page was, for a message
    (``root``: its tree, where it was parsed already)."""
    title = "" if is_json(response) else " ".join(
        str(_TITLE(page_tree(response) if root is None else root)).split())
    shown = f"title {title[:80]!r}" if title else "no title"
    return f"HTTP {response.status}, {shown}, {len(response.body)} bytes"


def read_listing(response: TextResponse, site: SiteProfile, base_url: str, number: int,
                 page_url: str = "") -> BatchReading:
    """Batch ``number`` read for the walk; ``UnreadableBatch`` for JSON of another shape.
    ``page_url``: the listing page a JSON batch's relative links are relative to."""
    batch = read_batch(response, site, page_url)
    cards = batch.cards()
    article_cards = []
    for card in cards:
        url = fetch_url(card.href, response.url, base_url)
        if url is not None and is_article_path(urlsplit(url).path):
            article_cards.append((card, url))
    control = batch.unfollowed_control(base_url) if isinstance(batch, ListingPage) else None
    return BatchReading(cards, article_cards, batch.next_link(base_url, number),
                        batch.says_last(), batch.cursor(),
                        control.describe() if control else None,
                        describe_answer(response, batch.root
                                        if isinstance(batch, ListingPage) else None),
                        batch.cards_layer())
