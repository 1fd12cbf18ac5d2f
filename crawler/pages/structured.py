"""The second layer of every field: the structured data a page carries about itself.

JSON-LD (an ``Article`` or ``NewsArticle`` object, also inside ``@graph`` or a list), then
the OpenGraph and ``article:*`` meta, then ``<title>`` and the first ``<time datetime>``
outside the page's chrome. Values come out as the page writes them (a date in ISO 8601,
views as a number); ``crawler.pages.chain`` decides whether they are valid. parsel's lxml
tree and ``json`` are all it needs: extruct would add a dependency (and its own parse of the
page) for the two formats read here.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from crawler.site import CHROME_TAGS, TITLE_SUFFIXES

#: The tags of every element the layer reads (JSON-LD scripts, meta tags, ``<time>``s and the
#: head's ``<title>``), found in one walk of the page (lxml's ``iter``, no XPath: one XPath
#: union walks the page once per branch).
_STRUCTURED_TAGS = ("script", "meta", "time", "title")
_JSON_LD = "application/ld+json"
#: JSON-LD types that describe the article of the page.
ARTICLE_TYPES = frozenset({"Article", "NewsArticle", "AnalysisNewsArticle", "ReportageNewsArticle",
                           "OpinionNewsArticle", "BlogPosting", "Report"})
#: Interaction types whose count is the page's views counter.
VIEW_ACTIONS = ("WatchAction", "ReadAction", "ViewAction")


def _objects(data: Any) -> Iterator[Mapping[str, Any]]:
    """Every JSON-LD object of a script: the top one, a list's, a ``@graph``'s."""
    if isinstance(data, list):
        for item in data:
            yield from _objects(item)
    elif isinstance(data, Mapping):
        yield data
        yield from _objects(data.get("@graph"))


def _is_article(item: Mapping[str, Any]) -> bool:
    kinds = item.get("@type")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    return any(kind in ARTICLE_TYPES for kind in kinds)


def _text(value: Any) -> str | None:
    """A plain value as text: a string, a number, the ``name``/``url`` of an object, the first
    of a list."""
    if value is None:  # most values asked for: a plain check before the ABC's
        return None
    if isinstance(value, list):
        return next((text for item in value if (text := _text(item))), None)
    if isinstance(value, Mapping):
        return _text(value.get("name") or value.get("url"))
    if isinstance(value, bool):
        return None
    if isinstance(value, str | int | float):
        text = str(value).strip()
        return text or None
    return None


def _views(item: Mapping[str, Any]) -> str | None:
    """The ``userInteractionCount`` of a view-like ``interactionStatistic``."""
    statistics = item.get("interactionStatistic")
    for statistic in statistics if isinstance(statistics, list) else [statistics]:
        if not isinstance(statistic, Mapping):
            continue
        action = statistic.get("interactionType")
        action = action.get("@type") if isinstance(action, Mapping) else action
        if isinstance(action, str) and action.rsplit("/", 1)[-1] in VIEW_ACTIONS:
            return _text(statistic.get("userInteractionCount"))
    return None


def _article_of(script: str) -> Mapping[str, Any]:
    """The article object of one JSON-LD script, or an empty one."""
    try:
        data = json.loads(script)
    except ValueError:
        return {}  # a broken script says nothing
    return next((item for item in _objects(data) if _is_article(item)), {})


def _first_time(times: list[etree._Element]) -> str | None:
    """The ``datetime`` of the first ``<time>`` outside the page's chrome (looked for only
    where no earlier source gave the date)."""
    return next((time.get("datetime") for time in times
                 if not any(above.tag in CHROME_TAGS for above in time.iterancestors())), None)


def _strip_suffix(title: str) -> str:
    for suffix in TITLE_SUFFIXES:
        if title.endswith(suffix):
            return title[: -len(suffix)]
    return title


@dataclass(frozen=True)
class StructuredData:
    """What one page says about itself in JSON-LD, meta tags, ``<title>`` and ``<time>``."""

    root: etree._Element
    _values: dict[str, str | None] = field(default_factory=dict, init=False, repr=False,
                                           compare=False)

    def _read(self) -> dict[str, str | None]:
        article: Mapping[str, Any] = {}
        meta: dict[str, str] = {}
        titles: list[str] = []
        times: list[etree._Element] = []
        for element in self.root.iter(*_STRUCTURED_TAGS):
            tag = element.tag
            if tag == "meta":
                content = element.get("content")
                name = element.get("property") or element.get("name")
                if content is not None and name and name not in meta:
                    meta[name] = content
            elif tag == "script":
                if not article and element.get("type") == _JSON_LD:
                    article = _article_of(element.text or "")
            elif tag == "title":
                parent = element.getparent()
                if parent is not None and parent.tag == "head":
                    titles.append(element.text or "")
            elif element.get("datetime") is not None:  # a <time>
                times.append(element)
        found = {
            "title": _text(article.get("headline")) or _text(meta.get("og:title"))
            or (_strip_suffix(titles[0]) if titles else None),
            "subtitle": _text(article.get("alternativeHeadline")),
            "date": _text(article.get("datePublished")) or _text(meta.get("article:published_time"))
            or _first_time(times),
            "category": _text(article.get("articleSection")) or _text(meta.get("article:section")),
            "views": _views(article),
            "author": _text(article.get("author")) or _text(meta.get("author")),
            "image": _text(article.get("image")) or _text(meta.get("og:image")),
        }
        return {name: (value.strip() or None) if value else None for name, value in found.items()}

    def get(self, name: str) -> str | None:
        """The page's structured value of a record field, as written; None: it has none."""
        if not self._values:
            self._values.update(self._read())
        return self._values.get(name)
