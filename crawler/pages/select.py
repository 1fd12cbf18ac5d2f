"""First match of many CSS selectors on one page, in one pass where they are class selectors.

Each CSS class selector costs libxml2 a full walk with string functions on every ``class``
attribute (``contains(concat(' ', normalize-space(@class), ' '), ...)``), about 0.13 ms
on a replica page, and an article page asks for nine of them. Here every selector of the
simple forms ``.a``, ``tag.a.b``, ``.a, .b``, each optionally ending in ``::attr(name)``,
and every selector of the form ``tag[name=value]`` (the canonical link, og:url), each
optionally ending in ``::attr(name)``, is answered by one walk over the page's elements;
any other selector (other attribute tests, combinators, pseudo-classes) by its compiled
XPath, as parsel would. The answer is the same: the first match in document order, as
``response.css(sel)[0]``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from cssselect import SelectorError, parse
from cssselect.parser import Attrib, Class, CombinedSelector, Element, FunctionalPseudoElement
from cssselect.parser import Selector as Css
from lxml import etree
from parsel import Selector, SelectorList
from parsel.csstranslator import HTMLTranslator

#: One alternative of a simple class selector: tag (None: any), classes, attribute wanted.
_Simple = tuple[str | None, frozenset[str], str | None]
#: A selector ``tag[name=value]``: tag (None: any), attribute name, its value, attribute wanted.
_Equal = tuple[str | None, str, str, str | None]

_CLASS_SPACE = str.maketrans("\t\n\r\f", "    ")  # XPath normalize-space's whitespace
_XPATH_SPACE = str.maketrans("\t\n\r", "   ")  # exactly XPath's: a class test's tokens
_CLASS_VALUES = etree.XPath("//@class", smart_strings=False)


def _simple_alternatives(css: str) -> list[_Simple] | None:
    """The alternatives of a simple class selector; None for any other selector."""
    try:
        selectors = parse(css)
    except SelectorError:
        return None
    alternatives: list[_Simple] = []
    for selector in selectors:
        simple, attribute = _wanted_attribute(selector)
        if not simple:
            return None
        classes: set[str] = set()
        tree = selector.parsed_tree
        while isinstance(tree, Class):
            classes.add(tree.class_name)
            tree = tree.selector
        if not classes or not isinstance(tree, Element) or tree.namespace is not None:
            return None
        tag = tree.element.lower() if tree.element not in (None, "*") else None
        alternatives.append((tag, frozenset(classes), attribute))
    return alternatives


def _wanted_attribute(selector: Css) -> tuple[bool, str | None]:
    """(whether the selector's pseudo-element, if any, is a simple ``::attr(name)``, the
    attribute it asks for: None without one)."""
    pseudo = selector.pseudo_element
    if isinstance(pseudo, FunctionalPseudoElement):
        if pseudo.name != "attr" or len(pseudo.arguments) != 1:
            return False, None
        return True, str(pseudo.arguments[0].value)
    return pseudo is None, None


def _attribute_equal(css: str) -> _Equal | None:
    """A selector ``tag[name=value]`` (one alternative, optionally ``::attr(x)``); None for
    any other. Names are lower-cased as parsel's HTML translator does; the value is not."""
    try:
        selectors = parse(css)
    except SelectorError:
        return None
    if len(selectors) != 1:
        return None
    simple, attribute = _wanted_attribute(selectors[0])
    tree = selectors[0].parsed_tree
    if (not simple or not isinstance(tree, Attrib)
            or tree.operator != "=" or tree.namespace is not None or tree.value is None):
        return None
    element = tree.selector
    if not isinstance(element, Element) or element.namespace is not None:
        return None
    tag = element.element.lower() if element.element not in (None, "*") else None
    return tag, tree.attrib.lower(), str(tree.value.value), attribute


@lru_cache(maxsize=256)
def compiled_css(css: str) -> etree.XPath:
    """The XPath of any CSS selector (parsel's translation, with ::text and ::attr).

    Called on an element, it answers as ``Selector.css`` on that element: the translation
    starts with ``descendant-or-self::``.
    """
    return etree.XPath(HTMLTranslator().css_to_xpath(css), smart_strings=False)


@lru_cache(maxsize=256)
def needed_classes(css: str) -> tuple[frozenset[str], ...]:
    """Per alternative of ``css``, the class names it cannot match without: each must be
    carried by some element of the page (an empty set: none is needed, or unreadable)."""
    try:
        return tuple(frozenset(_classes_in(selector.parsed_tree)) for selector in parse(css))
    except SelectorError:
        return (frozenset(),)


def _classes_in(tree: object) -> Iterator[str]:
    """The class tests of a selector's compound parts and of the parts it descends from
    (not those inside ``:not()``, ``:is()`` or ``:has()``, which need no class)."""
    while tree is not None:
        if isinstance(tree, Class):
            yield tree.class_name
        elif isinstance(tree, CombinedSelector):
            yield from _classes_in(tree.subselector)
        tree = getattr(tree, "selector", None)


def page_classes(root: etree._Element) -> frozenset[str]:
    """Every class name an element of the page carries, as a CSS class test reads them."""
    return frozenset(name for value in _CLASS_VALUES(root)
                     for name in value.translate(_XPATH_SPACE).split(" ") if name)


def may_match(css: str, classes: frozenset[str]) -> bool:
    """False when each alternative of ``css`` needs a class no element of the page carries:
    it matches nothing there, and its walk of the page (XPath's string test on every
    ``class`` attribute, 0.5 ms for the pager's six classes on a listing page) is skipped."""
    return any(needed <= classes for needed in needed_classes(css))


def selected(css: str, root: etree._Element, classes: frozenset[str]) -> list[Any]:
    """Every match of ``css`` under ``root``, on a page carrying ``classes``
    (``page_classes``): none, without its walk, where it needs a class the page lacks."""
    found: list[Any] = compiled_css(css)(root) if may_match(css, classes) else []
    return found


@dataclass(frozen=True)
class SelectorPlan:
    """How to answer a fixed set of named CSS selectors on a page."""

    #: class name -> (key, alternative) that need that class; the index of the one pass.
    by_class: Mapping[str, tuple[tuple[str, _Simple], ...]]
    #: keys answered by XPath, with their selector.
    others: Mapping[str, str]
    #: the class names of ``by_class``, for a quick test of each ``class`` attribute.
    class_names: frozenset[str] = frozenset()
    #: tag (None: any) -> (key, ``tag[name=value]`` selector) answered in the same pass.
    by_tag: Mapping[str | None, tuple[tuple[str, _Equal], ...]] = field(default_factory=dict)

    @classmethod
    def of(cls, selectors: Iterable[tuple[str, str]]) -> SelectorPlan:
        by_class: dict[str, list[tuple[str, _Simple]]] = {}
        by_tag: dict[str | None, list[tuple[str, _Equal]]] = {}
        others: dict[str, str] = {}
        for key, css in selectors:
            alternatives = _simple_alternatives(css)
            if alternatives is None:
                if (equal := _attribute_equal(css)) is not None:
                    by_tag.setdefault(equal[0], []).append((key, equal))
                else:
                    others[key] = css
                continue
            for alternative in alternatives:
                first_class = min(alternative[1])
                by_class.setdefault(first_class, []).append((key, alternative))
        return cls({name: tuple(wanted) for name, wanted in by_class.items()}, others,
                   frozenset(by_class), {tag: tuple(wanted) for tag, wanted in by_tag.items()})

    def first_matches(self, root: etree._Element) -> dict[str, object]:
        """key -> the first matching element (or attribute value); absent keys: no match."""
        found = self.walked_matches(root)
        for key in self.others:
            match = self.first_match(root, key)
            if match is not None:
                found[key] = match
        return found

    def first_match(self, root: etree._Element, key: str) -> object | None:
        """The first match of one of the ``others`` (its own walk), or None."""
        matches = compiled_css(self.others[key])(root)
        return matches[0] if matches else None

    def walked_matches(self, root: etree._Element) -> dict[str, object]:
        """``first_matches`` of the class and ``tag[name=value]`` selectors, in their one walk."""
        found: dict[str, object] = {}
        if not (self.by_class or self.by_tag):
            return found
        by_class, names, by_tag = self.by_class, self.class_names, self.by_tag
        any_tag = by_tag.get(None, ())
        # One walk over the elements (reading each one's class attribute costs less than a
        # second walk, or an XPath one, for the few dozen that have one).
        for element in root.iter(etree.Element):
            value = element.get("class")
            # str.split() is a superset filter; the exact tokens are XPath's whitespace.
            if value is not None and not names.isdisjoint(value.split()):
                tokens = set(value.translate(_CLASS_SPACE).split(" "))
                for name in tokens:
                    for key, (tag, classes, attribute) in by_class.get(name, ()):
                        if key in found or not classes <= tokens:
                            continue
                        if tag and element.tag != tag:
                            continue
                        _found_at(found, key, element, attribute)
            if by_tag:
                for wanted in (by_tag.get(element.tag, ()), any_tag):
                    for key, (_, name, expected, attribute) in wanted:
                        if key not in found and element.get(name) == expected:
                            _found_at(found, key, element, attribute)
        return found


def _found_at(found: dict[str, object], key: str, element: etree._Element,
              attribute: str | None) -> None:
    """Keeps the element as ``key``'s match (or its ``attribute``, where it has one)."""
    if attribute is None:
        found[key] = element
    elif (value := element.get(attribute)) is not None:
        found[key] = value


@lru_cache(maxsize=32)
def selector_plan(selectors: tuple[tuple[str, str], ...]) -> SelectorPlan:
    """The plan of a set of selectors (a site profile has one; built once)."""
    return SelectorPlan.of(selectors)


def element_text(element: object) -> str | None:
    """All text inside an element (entities decoded), as CSS ``::text`` gives it; else None."""
    if element is None:
        return None
    if isinstance(element, str):
        return element
    assert isinstance(element, etree._Element)
    return "".join(element.itertext())


def first_text(selection: SelectorList[Selector]) -> str | None:
    """All text inside the first matched element of a parsel selection, as written (entities
    decoded); None if absent. ``element_text`` reads the same from an lxml element."""
    if not selection:
        return None
    return "".join(selection[0].css("::text").getall())
