"""A chain per field: the site's selectors, else the structured data, else the finder.

A field is taken from the first layer (``SiteProfile.layers``, in ``site.LAYERS`` order)
whose value is valid by the record's rules (a date the rules read, a views number, a body
with text); a later layer runs only where the ones before gave nothing valid, so a page in
today's markup costs what it cost. Layers are never mixed inside one field. Where the
selectors gave a field the structured data also has, that value is kept beside it
(``RawArticle.cross_check``) for the early warning: the two are compared once normalised.
Where no layer is valid, the selectors' value stays (and the rules reject or null it as
before).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from crawler.normalize import FieldError, clean_text, parse_views, read_date
from crawler.pages.finder import SiteRules
from crawler.pages.structured import StructuredData
from crawler.site import SiteProfile

#: Record fields read through the chain, in the order they are read.
CHAIN_FIELDS: tuple[str, ...] = ("title", "subtitle", "date", "category", "views", "author",
                                 "image", "body")
#: The fields the structured layer can give (the body is never in it: its paragraphs are lost).
STRUCTURED_FIELDS = frozenset(CHAIN_FIELDS) - {"body"}


def _readable(read: Callable[[str], Any]) -> Callable[[Any, str], bool]:
    def valid(value: Any, layer: str) -> bool:
        try:
            return bool(value) and read(value) is not None
        except FieldError:
            return False
    return valid


def _text_valid(value: Any, layer: str) -> bool:
    return clean_text(value) is not None


def _date_valid(value: Any, layer: str) -> bool:
    if not value:
        return False
    try:
        read_date(value, layer)
    except FieldError:
        return False
    return True


def _body_valid(value: Any, layer: str) -> bool:
    return any(paragraph and not paragraph.isspace() for paragraph in value or ())


#: Is a layer's value of a field valid by the record's rules?
VALID: dict[str, Callable[[Any, str], bool]] = {
    "title": _text_valid, "subtitle": _text_valid, "category": _text_valid,
    "author": _text_valid, "image": _text_valid, "date": _date_valid,
    "views": _readable(parse_views), "body": _body_valid,
}


@dataclass
class ChainedFields:
    """Each field's value as its layer shows it, which layer gave it, and the cross-checks."""

    values: dict[str, Any] = field(default_factory=dict)
    provenance: dict[str, str] = field(default_factory=dict)
    cross_check: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class FieldChain:
    """Reads every field of one article page through the layers of its site profile;
    ``selected`` gives a field as the page object's selectors read it."""

    selected: Callable[[str], Any]
    root: etree._Element
    url: str
    site: SiteProfile

    def read(self) -> ChainedFields:
        layers, compare = self.site.layers, self.site.compare_layers
        structured, finder = StructuredData(self.root), SiteRules(self.root, self.url, self.site)
        readers: dict[str, Callable[[str], Any]] = {
            "selector": self.selected,
            "structured": lambda name: structured.get(name) if name in STRUCTURED_FIELDS
            else None,
            "finder": lambda name: _found(finder, name),
        }
        chained = ChainedFields()
        for name in CHAIN_FIELDS:
            valid = VALID[name]
            first = readers["selector"](name)
            chained.values[name] = first
            if valid(first, "selector"):
                chained.provenance[name] = "selector"
                if compare and name in STRUCTURED_FIELDS and (other := structured.get(name)):
                    chained.cross_check[name] = other
                continue
            for layer in layers[1:]:
                value = readers[layer](name)
                if valid(value, layer):
                    chained.values[name] = value
                    chained.provenance[name] = layer
                    break
        return chained


def _found(finder: SiteRules, name: str) -> Any:
    """The finder's value of a record field."""
    readers: dict[str, Callable[[], Any]] = {
        "title": finder.title, "subtitle": finder.subtitle, "date": finder.date_text,
        "category": finder.category, "views": finder.views_text, "image": finder.image_href,
        "author": finder.author,
        "body": finder.body_paragraphs,
    }
    return readers[name]()
