"""What stands on a page where the crawler expected something: the hints of a failed check.

A renamed class, links that moved to another block, a date or counter under another
element: each is named so that a user at the live site sees what to set.
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

from scrapy.http import TextResponse

from crawler.normalize import FieldError, clean_text, parse_site_date
from crawler.site import is_article_path
from crawler.urls import fetch_url

_CLASS = re.compile(r"\.([A-Za-z_][\w-]*)")


def short(text: str | None, limit: int = 60) -> str:
    """``text`` cleaned and cut to ``limit`` characters for a report line."""
    text = clean_text(text) or ""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def is_date(text: str) -> bool:
    """True when the crawler reads ``text`` as a site date."""
    try:
        parse_site_date(text)
    except FieldError:
        return False
    return True


def page_classes(response: TextResponse) -> set[str]:
    """Every class name used on the page."""
    return {name for value in response.css("[class]::attr(class)").getall()
            for name in value.split()}


def similar_classes(response: TextResponse, selector: str, known: Iterable[str] = ()) -> str:
    """Class names on the page that look like those of ``selector`` (a renamed class).

    A candidate ends in the same word (``entry_title`` for ``post_title``) or is spelt
    alike; classes of the crawler's other selectors (``known``) are not candidates. The
    three closest are named.
    """
    wanted = _CLASS.findall(selector)
    classes = page_classes(response)
    if any(name in classes for name in wanted):
        return ""
    taken = {name for other in known for name in _CLASS.findall(other)}
    scored: dict[str, float] = {}
    for name in wanted:
        last = re.split(r"[_-]", name)[-1]
        for candidate in classes - taken:
            ratio = difflib.SequenceMatcher(None, name, candidate).ratio()
            if ratio >= 0.75 or re.split(r"[_-]", candidate)[-1] == last:
                scored[candidate] = max(ratio, scored.get(candidate, 0.0))
    found = sorted(scored, key=lambda candidate: (-scored[candidate], candidate))[:3]
    return f"; similar classes on the page: {', '.join(found)}" if found else ""


def describe(element: object) -> str:
    """An lxml element as ``tag.class1.class2``."""
    tag = getattr(element, "tag", "?")
    classes = (getattr(element, "get", lambda _: None)("class") or "").split()
    return tag + "".join(f".{name}" for name in classes)


def article_link_containers(response: TextResponse, base_url: str) -> str:
    """Where the page's article links sit: the nearest classed ancestor of each, counted once."""
    nodes: dict[str, set[int]] = {}
    for link in response.css("a[href]"):
        url = fetch_url(link.attrib["href"], response.url, base_url)
        if url is None or not is_article_path(urlsplit(url).path):
            continue
        node = link.root.getparent()
        while node is not None and not node.get("class"):
            node = node.getparent()
        where = describe(node) if node is not None else "(no classed ancestor)"
        nodes.setdefault(where, set()).add(id(node))
    counts = Counter({where: len(found) for where, found in nodes.items()})
    return ", ".join(f"{where} x{n}" for where, n in counts.most_common(3)) or "none"


def texts_like(response: TextResponse, accept: Callable[[str], bool]) -> str:
    """The first element whose own text ``accept``s, as ``tag.class: 'text'``."""
    for element in response.xpath("//body//*[text()]"):
        text = clean_text("".join(element.xpath("text()").getall())) or ""
        if text and len(text) < 120 and accept(text):
            return f"{describe(element.root)}: {text!r}"
    return ""
