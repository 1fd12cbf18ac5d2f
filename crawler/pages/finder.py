"""The third layer of every field: a finder by the site's own rules, not by its markup.

A redesign renames classes; it does not change what the site writes. So here the title is
the page's main heading (``h1`` outside the chrome); the article is the heading's nearest
ancestor holding most of the main content's text; the date is the first text after the
heading in the site's date format with a month name of the page's language; the views are
the text that starts with the language's views label and goes on with a number; the
category is the first text of the article that is a section's label (the language's
Analytics label, or the text of a link to a section, as the menu shows them); the author is
the one text between that label and the date (the older template); the subtitle is the
short text block right after the heading; the cover is the first image of the covers'
folder before the heading; the body is the element of the article with the most text that
does not hold the heading, read with the site's paragraph rules (``crawler.pages.body``)
and its boilerplate rules (no signature, counter, section label or title as a paragraph).
Listing cards are the links to the language's article path inside the listing's main
content (``CHROME_TAGS`` left out).

Every value is as the page shows it, like a selector's; ``crawler.pages.chain`` validates it.
Each rule is a few XPath calls on parsel's lxml tree, computed once per page and only when
a field is missing from the layers before.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any
from urllib.parse import urlsplit

from lxml import etree

from crawler.normalize import (
    FieldError,
    collapse_whitespace,
    find_dates,
    parse_site_date,
    parse_views,
)
from crawler.pages.body import body_paragraphs
from crawler.pages.select import element_text
from crawler.site import (
    BLOCK_TAGS,
    CHROME_TAGS,
    COVER_PATH,
    MONTH_NAMES,
    MONTHS_BY_NAME,
    NON_ARTICLE_TAGS,
    SIGNATURE,
    SiteProfile,
    is_article_path,
    language_of_path,
)

_CHROME = " or ".join(f"ancestor::{tag}" for tag in CHROME_TAGS)
_TEXT_LENGTH = etree.XPath("string-length(normalize-space(.))")
#: "Near the title": the texts that are not blank after the heading, so many at most.
NEAR_HEADING = 12
_FOLLOWING_SIBLINGS = etree.XPath("following-sibling::node()")
_DESCENDANT_TEXTS = etree.XPath("descendant::text()")
_TEXT_WITH = etree.XPath(".//text()[contains(., $needle)]")
_TEXTS = etree.XPath(".//text()")
#: What the link to a section has in its ``href``.
SECTION_LINK = "/category/"
_CANDIDATES = etree.XPath(f".//*[self::div or self::section or self::article][not({_CHROME})]")
_LINKS = etree.XPath(f".//a[@href][not({_CHROME})]")
_STYLE_URL = re.compile(r"""url\(\s*['"]?([^'")]+?)['"]?\s*\)""")
#: Share of the main content's text the article's element holds at least.
ARTICLE_SHARE = 0.5
#: The longest name an author line has.
AUTHOR_MAX_CHARS = 80
#: The longest text a subtitle has (longer, it is a paragraph).
SUBTITLE_MAX_CHARS = 300
_MONTHS: dict[str, frozenset[str]] = {
    lang: frozenset(name.casefold() for name in names) for lang, names in MONTH_NAMES.items()
}
_ALL_MONTHS = frozenset(MONTHS_BY_NAME)


def _length(element: etree._Element) -> float:
    length: float = _TEXT_LENGTH(element)
    return length


def _container(node: Any) -> etree._Element:
    """The element whose text a text node is (the parent of a tail is its element's parent)."""
    parent: etree._Element = node.getparent()
    if node.is_tail:
        return parent.getparent() if parent.getparent() is not None else parent
    return parent


def _within(element: etree._Element | None, box: etree._Element) -> bool:
    while element is not None:
        if element is box:
            return True
        element = element.getparent()
    return False


def _is_skipped(node: Any) -> bool:
    """Text of a script, a style and the like: never a field."""
    tag = _container(node).tag
    return isinstance(tag, str) and tag.lower() in NON_ARTICLE_TAGS


def site_date(text: str, lang: str | None) -> str | None:
    """The first date in ``text`` that the site's rules read in ``lang``: its format with
    that language's month name (any language's when None); None where there is none."""
    months = _MONTHS.get(lang) if lang else _ALL_MONTHS
    for match in find_dates(text):
        if match.group(2).casefold() in (months or ()):
            try:
                parse_site_date(match.group(0))
            except FieldError:
                continue  # 31 June, or the hour Baku skipped: not a date of the site
            return match.group(0)
    return None


def views_counter(text: str, label: str) -> str | None:
    """``text`` when it is the views counter by the site's rules: the label, an optional
    colon, then a whole number alone (``Views: 1 310``); else None."""
    shown = collapse_whitespace(text)
    if not shown.startswith(label):
        return None
    number = shown[len(label):].lstrip(":").strip()
    if not number[:1].isdigit():
        return None
    try:
        parse_views(number)
    except ValueError:
        return None
    return shown


@dataclass(frozen=True)
class SiteRules:
    """Finds an article page's fields, or a listing's cards, by the site's rules."""

    root: etree._Element
    url: str
    site: SiteProfile
    _cache: dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    @cached_property
    def lang(self) -> str:
        return language_of_path(urlsplit(self.url).path)

    def _once(self, key: str, compute: Any) -> Any:
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]

    def main(self) -> etree._Element:
        """The page's ``<main>`` (else its ``<body>``, else the document)."""
        def find() -> etree._Element:
            # The first of each, in one walk that stops when both are seen; the later one
            # in document order is the main (body, then main within it).
            first: dict[str, etree._Element] = {}
            for element in self.root.iter("main", "body"):
                first.setdefault(element.tag, element)
                if len(first) == 2:
                    break
            return [*first.values()][-1] if first else self.root
        return self._once("main", find)

    def heading(self) -> etree._Element | None:
        """The page's main heading: the first ``h1`` outside the chrome."""
        return self._once("heading", lambda: next(
            (h1 for h1 in self.root.iter("h1")
             if not any(above.tag in CHROME_TAGS for above in h1.iterancestors())), None))

    def _main_text(self) -> float:
        main = self.main()
        chrome = [element for tag in CHROME_TAGS for element in main.iter(tag)]
        outer = [element for element in chrome
                 if not any(ancestor in chrome for ancestor in element.iterancestors())]
        return _length(main) - sum(_length(element) for element in outer)

    def article(self) -> etree._Element | None:
        """The heading's nearest ancestor that holds most of the main content's text."""
        def find() -> etree._Element | None:
            heading = self.heading()
            if heading is None:
                return None
            wanted, box = self._main_text() * ARTICLE_SHARE, heading.getparent()
            while box is not None and box is not self.main() and _length(box) < wanted:
                box = box.getparent()
            return box
        return self._once("article", find)

    def _near_to_first_date(self) -> tuple[list[Any], str | None]:
        """The texts near the title (the first ``NEAR_HEADING`` that are not blank after it)
        up to the first that holds a date of the page's language, and that date (None: none
        of them does). The date and the author rules read no text after that one."""
        def find() -> tuple[list[Any], str | None]:
            # following::text() would walk the whole rest of the page (its scripts too):
            # siblings after the heading, then after each ancestor, until enough are found.
            found: list[Any] = []
            lang, node = self.lang, self.heading()
            while node is not None:
                for sibling in _FOLLOWING_SIBLINGS(node):
                    texts = [sibling] if isinstance(sibling, str) else _DESCENDANT_TEXTS(sibling)
                    for text in texts:
                        if text.strip() and not _is_skipped(text):
                            found.append(text)
                            date = site_date(text, lang)
                            if date or len(found) == NEAR_HEADING:
                                return found, date
                node = node.getparent()
            return found, None
        near: tuple[list[Any], str | None] = self._once("near", find)
        return near

    # --- the fields ---------------------------------------------------------------------------
    def title(self) -> str | None:
        heading = self.heading()
        return element_text(heading) if heading is not None else None

    def date_text(self) -> str | None:
        """The first date near the title, in the article."""
        near, date = self._near_to_first_date()
        return date if date and _within(_container(near[-1]), self.article()) else None

    def views_text(self) -> str | None:
        """The first views counter of the article (looked for in the main content first:
        most pages without a counter have no article to work out then)."""
        label = self.site.views_labels.get(self.lang)
        if not label:
            return None
        for node in _TEXT_WITH(self.main(), needle=label):
            if _is_skipped(node):
                continue
            counter = views_counter(element_text(_container(node)) or "", label)
            if counter and _within(_container(node), self.article()):
                return counter
        return None

    def section_labels(self) -> frozenset[str]:
        """The site's section labels: the Analytics one of the language, and the text of
        every link to a section (``/category/``) on the page, as the menu names them."""
        def find() -> frozenset[str]:
            labels = {collapse_whitespace(element_text(link) or "")
                      for link in self.root.iter("a") if SECTION_LINK in (link.get("href") or "")}
            labels.add(self.site.section_labels.get(self.lang, ""))
            return frozenset(label for label in labels if label)
        return self._once("labels", find)

    def category(self) -> str | None:
        """The first text of the article that is a section's label."""
        box, labels = self.article(), self.section_labels()
        if box is None:
            return None
        return next((text for node in _TEXTS(box)
                     if (text := collapse_whitespace(node)) in labels and not _is_skipped(node)),
                    None)

    def author(self) -> str | None:
        """The older template's author: the one text between the section label and the date
        after the heading (``INTERVIEWS`` / name / ``25 November 2022 - 16:39``)."""
        near, date = self._near_to_first_date()
        if date is None or len(near) < 3:
            return None
        label, name = (collapse_whitespace(node) for node in near[-3:-1])
        if label in self.section_labels() and len(name) <= AUTHOR_MAX_CHARS:
            return name
        return None

    def subtitle(self) -> str | None:
        heading = self.heading()
        block = heading.getnext() if heading is not None else None
        while block is not None and not isinstance(block.tag, str):  # a comment
            block = block.getnext()
        if block is None or any(isinstance(child.tag, str) and child.tag in BLOCK_TAGS
                                for child in block.iterdescendants()):
            return None
        text = collapse_whitespace(element_text(block) or "")
        label = self.site.views_labels.get(self.lang) or "\0"
        if (not text or len(text) > SUBTITLE_MAX_CHARS or label in text or text == SIGNATURE
                or site_date(text, None) or text in self.section_labels()):
            return None
        return text

    def image_href(self) -> str | None:
        """The first image of the covers' folder before the heading, in the article."""
        heading = self.heading()
        if heading is None:
            return None
        for element in self.main().iter():
            if element is heading:
                return None
            candidates = [element.get("src") if element.tag == "img" else None]
            style = element.get("style")
            if style and (match := _STYLE_URL.search(style)):
                candidates.append(match.group(1))
            for href in candidates:
                if href and COVER_PATH in href:
                    return href.strip() if _within(element, self.article()) else None
        return None

    def body_paragraphs(self) -> list[str]:
        heading, box = self.heading(), self.article()
        if heading is None or box is None:
            return []
        above = set(heading.iterancestors())
        best, best_length = None, 0.0
        for candidate in _CANDIDATES(box):
            if candidate in above:
                continue
            length = _length(candidate)
            if length > best_length:
                best, best_length = candidate, length
        if best is None:
            return []
        label = self.site.views_labels.get(self.lang) or "\0"
        title = collapse_whitespace(self.title() or "")
        boilerplate = {SIGNATURE, title, *self.section_labels()}
        return [paragraph for paragraph in body_paragraphs(best)
                if collapse_whitespace(paragraph) not in boilerplate
                and not views_counter(paragraph, label)]

    # --- listing cards ----------------------------------------------------------------------
    def cards(self, urljoin: Any) -> list[tuple[str, str | None, str | None]]:
        """(href, title, date as shown) of each card: the links to the listing language's
        articles in the main content, one card each,
        in page order: its title is the link's longest text, its date the first date of the
        card (the link's largest ancestor that links no other article)."""
        lang = self._listing_lang()
        by_url: dict[str, list[etree._Element]] = {}
        for link in _LINKS(self.main()):
            url = urljoin(link.get("href").strip())
            path = urlsplit(url).path
            if is_article_path(path) and (lang is None or language_of_path(path) == lang):
                by_url.setdefault(url, []).append(link)
        article_links = {link: url for url, links in by_url.items() for link in links}
        cards = []
        for url, links in by_url.items():
            box = links[0]
            while box.getparent() is not None and box.getparent() is not self.main():
                parent = box.getparent()
                if any(article_links.get(link, url) != url for link in parent.iter("a")):
                    break
                box = parent
            titles = [collapse_whitespace(element_text(link) or "") for link in links]
            title = max(titles, key=len) or None
            date = next((found for node in box.xpath(".//text()")
                         if (found := site_date(node, lang))), None)
            cards.append((url, title, date))
        return cards

    def _listing_lang(self) -> str | None:
        """The language of a listing page at one of the section paths; None for another
        batch URL (a fragment), whose cards may then be of any language."""
        path = urlsplit(self.url).path.rstrip("/")
        for lang, section in self.site.section_paths.items():
            if path == section.rstrip("/"):
                return lang
        return None
