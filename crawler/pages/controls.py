"""The "more" controls of a listing page, recognised by what they are, not by their class.

A control is the site's known markup (the ``load_more`` selector), any element whose text
is a "more"/"next" label of ``crawler.site`` (``MORE_LABELS``, ``PAGER_NEXT_LABELS``), or
any element but a link that carries a listing URL of the crawled host in a ``data-*`` or
``on*`` (``onclick``) attribute. Pure: a response in, the controls and the URLs they carry
out, on the crawled host only.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from lxml import etree
from scrapy.http import TextResponse

from crawler.pages.select import element_text, selected
from crawler.site import (
    ASSET_SUFFIXES,
    LANGUAGE_PREFIXES,
    MORE_LABELS,
    NOT_CONTROL_TAGS,
    PAGER_NEXT_ARROWS,
    PAGER_NEXT_LABELS,
    SiteProfile,
    is_article_path,
)
from crawler.urls import fetch_url, listing_key

#: Quoted URLs in a script attribute: ``onclick="load('/ajax/more?page=2')"``.
_QUOTED_URL = re.compile(r"""["']((?:https?://|/|\?)[^"'\s]*)["']""")
#: Inline tags whose control is the element around them when it shows the same label
#: (``<a href="..."><span>More</span></a>``).
_INLINE_TAGS = frozenset({"span", "i", "b", "strong", "em", "small", "font", "u"})
_LABEL_TEXTS = etree.XPath("//body//text()[string-length(normalize-space()) < 60]"
                           "[normalize-space()]")
_URL_CARRIERS = etree.XPath("//body//*[not(self::a)][@*[starts-with(name(), 'data-') or "
                            "starts-with(name(), 'on')]]")
#: Attribute values that are URLs (``data-page="next"`` is not one).
_URL_STARTS = ("/", "?", "http://", "https://")


def is_next_label(text: str | None) -> bool:
    """A pager link's text that says "next": ``Next »``, ``»``, ``Следующая``, ..."""
    words = " ".join((text or "").split()).casefold()
    bare = words.strip(PAGER_NEXT_ARROWS + " ")
    return bool(words) and (not bare or bare in PAGER_NEXT_LABELS)


def is_more_label(text: str | None) -> bool:
    """A control's text that says "more" or "next" in one of the site's languages."""
    words = " ".join((text or "").split()).casefold()
    bare = words.strip(PAGER_NEXT_ARROWS + " .…")
    return bool(bare) and (bare in MORE_LABELS or is_next_label(text))


@dataclass(frozen=True)
class Control:
    """A "more" control of a listing: what it is (to name it) and the URL it carries, if any."""

    tag: str
    classes: tuple[str, ...]
    attributes: tuple[tuple[str, str], ...]  # every other attribute, as the page gives it
    text: str
    url: str | None  # the next batch's URL on the crawled host; None: it carries none
    known: bool = False  # the site's own markup (the ``load_more`` selector)
    leads_here: bool = False  # it links this very page (a last page's disabled "next")

    def describe(self) -> str:
        """The control as a person finds it in the page: tag, classes, attributes, text."""
        classes = "".join(f".{name}" for name in self.classes)
        attributes = "".join(f"[{name}={value!r}]" for name, value in self.attributes)
        return f"<{self.tag}{classes}{attributes}> {self.text!r}"


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


def _script_urls(element: Any) -> Iterator[str]:
    """Quoted URLs in an element's ``on*`` attributes, and ``data-*`` values that are URLs."""
    for name, value in element.attrib.items():
        if name.startswith("on"):
            yield from _QUOTED_URL.findall(value or "")
        elif name.startswith("data-") and (value or "").strip().startswith(_URL_STARTS):
            yield value.strip()


def more_controls(response: TextResponse, root: etree._Element, site: SiteProfile,
                  base_url: str, classes: frozenset[str], card_blocks: list[Any]) -> list[Control]:
    """Every "more" control outside the cards of a listing page, in document order: the known
    markup (``load_more``), the elements labelled "more"/"next", the elements carrying a
    listing URL. The page as its ``ListingPage`` read it: its tree ``root``, its class names
    (``page_classes``) and the matches of its card selector."""
    # Ids of lxml proxies are stable only while they live: the lists keep them alive.
    card_nodes = [node for block in card_blocks
                  if isinstance(block, etree._Element) for node in block.iter()]
    in_cards = {id(node) for node in card_nodes}
    found: dict[int, tuple[etree._Element, bool]] = {}
    for element in selected(site.selectors["load_more"], root, classes):
        if isinstance(element, etree._Element):
            found[id(element)] = (element, True)
    for text in _LABEL_TEXTS(root):
        element = text.getparent()
        if element is not None and text.is_tail:
            element = element.getparent()
        if element is None or not is_more_label(element_text(element)):
            continue
        parent = element.getparent()
        while (element.tag in _INLINE_TAGS and parent is not None
               and is_more_label(element_text(parent))):
            element, parent = parent, parent.getparent()
        found.setdefault(id(element), (element, False))
    for element in _URL_CARRIERS(root):
        if any(_listing_url(url, response.url, base_url) for url in _script_urls(element)):
            found.setdefault(id(element), (element, False))
    # In document order (a walk of the page, needed only to order two or more).
    ordered = ([found[id(node)] for node in root.iter() if id(node) in found]
               if len(found) > 1 else list(found.values()))
    kept = [(element, known) for element, known in ordered if id(element) not in in_cards]
    return [_control(element, known, response.url, base_url) for element, known in kept
            if element.tag not in NOT_CONTROL_TAGS]


def _control(element: etree._Element, known: bool, page_url: str, base_url: str) -> Control:
    """The control ``element`` is, with the URL it carries."""
    urls = [*_attribute_urls(element), *_script_urls(element)]  # href first
    url = next((found for href in urls
                if (found := _listing_url(href, page_url, base_url)) is not None), None)
    here = listing_key(page_url)
    leads_here = any(listing_key(found) == here for href in urls
                     if (found := fetch_url(href, page_url, base_url)))
    attributes = tuple((str(name), str(value)) for name, value in element.attrib.items()
                       if name != "class")
    return Control(str(element.tag), tuple((element.get("class") or "").split()),
                   attributes, " ".join((element_text(element) or "").split()), url, known,
                   leads_here)


def way_on(href: str, page_url: str, base_url: str) -> str | None:
    """``href``, found on ``page_url``, as the URL of another batch on the crawled host (not
    that page again, in any order of its query); None otherwise."""
    url = fetch_url(href, page_url, base_url)
    if url is None or listing_key(url) == listing_key(page_url):
        return None
    return url


def _listing_url(href: str, page_url: str, base_url: str) -> str | None:
    """``href`` as a batch URL a control may carry: on the crawled host, not this page,
    an article, a home page or a file."""
    url = way_on(href, page_url, base_url)
    if url is None:
        return None
    path = urlsplit(url).path
    if (is_article_path(path) or path in LANGUAGE_PREFIXES.values()
            or path.casefold().endswith(ASSET_SUFFIXES)):
        return None
    return url
