"""How a script-loaded listing asks for its batches, derived from what a browser saw.

Pure (no browser, no Scrapy engine): from the batches of a ``Capture``
(``crawler.sitecheck.capture``), ``derive`` finds the settings the crawl needs to ask for
batch N with plain HTTP: ``ANALYTICS_PAGE_URL`` (with ``{n}``, ``{offset}`` or
``{cursor}``), the method, body and headers, the extra host, and how to read a batch (an
HTML fragment, or JSON with the paths of its cards, their fields, the cursor and the
"nothing left"). Where that cannot be done, ``Failure`` says what the page did.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

from crawler.pages.listing import json_path
from crawler.site import SiteProfile
from crawler.sitecheck.capture import (
    BatchSeen,
    Capture,
    Path,
    Seen,
    article_url,
    batches_of,
    json_cards,
    leaves,
)

#: Request headers any browser sends by itself: not what an endpoint needs of a crawl.
BROWSER_HEADERS = frozenset({
    "accept", "accept-encoding", "accept-language", "cache-control", "connection",
    "content-length", "cookie", "host", "origin", "pragma", "referer", "user-agent",
})

@dataclass
class Recipe:
    """The settings that ask for and read the batches, and the batches the browser saw."""

    settings: dict[str, Any]
    batches: dict[str, list[BatchSeen]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Failure:
    """Nothing could be derived: what the page did."""

    why: str


# --- the request: which part changes from batch to batch, and how ---------------------------

def _slots(seen: Seen) -> dict[str, Any]:
    """Every part of a request that can change: ``q:NAME`` (query), ``b:PATH`` (a JSON body's
    leaf), ``f:NAME`` (a form body's field), ``p:N`` (path segment N)."""
    parts = urlsplit(seen.url)
    slots: dict[str, Any] = {f"p:{index}": segment
                             for index, segment in enumerate(parts.path.split("/"))}
    slots.update({f"q:{name}": value for name, value in parse_qsl(parts.query,
                                                                 keep_blank_values=True)})
    if seen.body:
        try:
            body = json.loads(seen.body)
        except ValueError:
            slots.update({f"f:{name}": value
                          for name, value in parse_qsl(seen.body, keep_blank_values=True)})
        else:
            slots.update({f"b:{path}": value for path, value in leaves(body)})
    return slots


def _number_kind(values: list[Any], sizes: list[int]) -> str | None:
    """``n`` when the values are the batch numbers 2, 3, ...; ``offset`` when each is the
    cards before its batch; None otherwise."""
    try:
        numbers = [int(value) for value in values]
    except (TypeError, ValueError):
        return None
    if numbers == list(range(2, 2 + len(numbers))):
        return "n"
    size = sizes[0]
    if numbers == [size * (index + 1) for index in range(len(numbers))]:
        return "offset"
    return None


def _cursor_path(values: list[Any], batches: list[BatchSeen]) -> Path | None:
    """Where in each answer the next request's value stands (the first request's is empty)."""
    if values[0] not in ("", None) or len(values) < 2:
        return None
    paths: set[Path] | None = None
    for value, batch in zip(values[1:], batches, strict=False):
        if batch.data is None:
            return None
        here = {path for path, leaf in leaves(batch.data)
                if isinstance(leaf, str | int) and str(leaf) == str(value) and str(value)}
        paths = here if paths is None else paths & here
    return min(paths, key=len) if paths else None


@dataclass
class RequestShape:
    """How batch N is asked for: the placeholders of its varying parts."""

    placeholders: dict[str, str]  # slot -> placeholder name
    cursor_path: Path | None = None
    page_size: int | None = None


def request_shape(batches: list[BatchSeen]) -> RequestShape | Failure:
    """Which parts of the batch requests change, and what each change stands for."""
    requests = [batch.request for batch in batches]
    methods = {seen.method for seen in requests}
    if len(methods) != 1:
        return Failure(f"the batches were asked with different methods: {sorted(methods)}")
    slots = [_slots(seen) for seen in requests]
    names = set().union(*slots)
    shape = RequestShape({})
    for name in sorted(names):
        values = [slot.get(name) for slot in slots]
        if len(set(map(str, values))) == 1:
            continue
        if len(values) < 2:
            continue
        kind = _number_kind(values, [len(batch.urls) for batch in batches])
        if kind is not None:
            shape.placeholders[name] = kind
            if kind == "offset":
                shape.page_size = len(batches[0].urls)
            continue
        path = _cursor_path(values, batches)
        if path is None:
            return Failure(f"{_slot_name(name)} changes from batch to batch "
                           f"({', '.join(repr(value) for value in values)}) in a way that is "
                           "neither a batch number, an offset nor a value of the answer before")
        shape.placeholders[name] = "cursor"
        shape.cursor_path = path
    if not shape.placeholders and len(requests) > 1:
        return Failure("every batch was asked with the same request: "
                       f"{requests[0].method} {requests[0].url} {requests[0].body!r}")
    return shape


def _slot_name(slot: str) -> str:
    kind, _, name = slot.partition(":")
    return {"q": f"query parameter {name!r}", "b": f"body field {name!r}",
            "f": f"form field {name!r}", "p": f"path segment {name}"}[kind]


def _literal_placeholders(value: str, lang: str, section_path: str) -> str:
    """A constant part of the request that is the language or the section: its placeholder."""
    slug = section_path.rstrip("/").rsplit("/", 1)[-1]
    return {lang: "{lang}", slug: "{slug}", section_path: "{path}"}.get(value, value)


def request_settings(batches: list[BatchSeen], shape: RequestShape, lang: str,
                     section_path: str, base_url: str) -> dict[str, Any]:
    """``ANALYTICS_PAGE_URL``, ``_BATCH_METHOD``, ``_BATCH_BODY``, ``_BATCH_HEADERS`` and
    ``_EXTRA_HOSTS`` of the batches' requests."""
    first = batches[0].request
    parts = urlsplit(first.url)

    def placeholder(slot: str, value: Any) -> str:
        name = shape.placeholders.get(slot)
        return "{" + name + "}" if name else _literal_placeholders(str(value), lang, section_path)

    segments = [placeholder(f"p:{index}", segment)
                for index, segment in enumerate(parts.path.split("/"))]
    path = "/".join(quote(segment, safe="{}") for segment in segments)
    query = "&".join(f"{quote(name, safe='')}={quote(placeholder(f'q:{name}', value), safe='{}')}"
                     for name, value in parse_qsl(parts.query, keep_blank_values=True))
    template = path + (f"?{query}" if query else "")
    settings: dict[str, Any] = {}
    base = urlsplit(base_url)
    if parts.netloc != base.netloc:
        template = f"{parts.scheme}://{parts.netloc}{template}"
        settings["ANALYTICS_EXTRA_HOSTS"] = parts.netloc
    settings["ANALYTICS_PAGE_URL"] = template
    if first.method != "GET":
        settings["ANALYTICS_BATCH_METHOD"] = first.method
    if first.body:
        settings["ANALYTICS_BATCH_BODY"] = _body_template(first.body, placeholder)
    headers = {name: value for name, value in sorted(first.headers.items())
               if name.lower() not in BROWSER_HEADERS and not name.lower().startswith("sec-")
               and not name.startswith(":")}
    if not first.body:
        headers = {name: value for name, value in headers.items()
                   if name.lower() != "content-type"}
    if headers:
        settings["ANALYTICS_BATCH_HEADERS"] = {_header_case(name): value
                                               for name, value in headers.items()}
    if shape.page_size is not None:
        settings["ANALYTICS_PAGE_SIZE"] = shape.page_size
    return settings


def _header_case(name: str) -> str:
    """``x-requested-with`` -> ``X-Requested-With`` (the browser reports names lowercased)."""
    return "-".join(word[:1].upper() + word[1:] for word in name.split("-"))


def _body_template(body: str, placeholder: Any) -> str:
    """The body with its varying parts (and the language, the section) as placeholders."""
    try:
        data = json.loads(body)
    except ValueError:
        return "&".join(f"{quote(name, safe='')}={placeholder(f'f:{name}', value)}"
                        for name, value in parse_qsl(body, keep_blank_values=True))
    numbers: list[str] = []

    def fill(value: Any, path: str) -> Any:
        if isinstance(value, Mapping):
            return {key: fill(item, f"{path}.{key}" if path else str(key))
                    for key, item in value.items()}
        if isinstance(value, list):
            return [fill(item, f"{path}.{index}" if path else str(index))
                    for index, item in enumerate(value)]
        if value is None or isinstance(value, bool):
            return value
        text = placeholder(f"b:{path}", value)
        if isinstance(value, int | float) and text.startswith("{"):
            numbers.append(text)
        return text if text != str(value) or isinstance(value, str) else value

    text = json.dumps(fill(data, ""), ensure_ascii=False, separators=(",", ":"))
    for name in numbers:  # a number stays a number: "{n}" -> {n}
        text = text.replace(f'"{name}"', name)
    return text


# --- reading a batch ---------------------------------------------------------------------------

def _normal(text: Any) -> str:
    return " ".join(str(text).split()).casefold() if text is not None else ""


def reading_settings(batches: list[BatchSeen], capture: Capture, shape: RequestShape,
                     base_url: str) -> tuple[dict[str, Any], list[str]]:
    """``ANALYTICS_JSON_PATHS`` and ``ANALYTICS_JSON_CARD_FIELDS`` of JSON batches (none for
    HTML fragments, which the crawl reads with its selectors), and notes."""
    data = batches[0].data
    if data is None:
        return {}, []
    found = json_cards(data, capture.first_url, base_url)
    assert found is not None
    cards_path, href_path, _ = found
    fields = {"href": href_path}
    notes = []
    shown = {url: (title, date) for url, title, date in capture.dom_cards}
    for name, position in (("title", 0), ("date_text", 1)):
        votes: Counter[Path] = Counter()
        for batch in batches:
            for item in json_path(batch.data, cards_path) or []:
                url = article_url(str(json_path(item, href_path) or ""), capture.first_url,
                                  base_url)
                wanted = _normal(shown.get(url or "", (None, None))[position])
                if wanted:
                    votes.update(path for path, value in leaves(item)
                                 if isinstance(value, str) and _normal(value) == wanted)
        if votes:
            fields[name] = votes.most_common(1)[0][0]
        else:
            notes.append(f"no field of the JSON cards is the {name} the page shows")
    paths = {"cards": cards_path, "cursor": shape.cursor_path or "",
             "last": _last_rule(batches, shape)}
    return {"ANALYTICS_JSON_PATHS": paths, "ANALYTICS_JSON_CARD_FIELDS": fields}, notes


def _last_rule(batches: list[BatchSeen], shape: RequestShape) -> str:
    """The rule that holds on the last batch only, when the browser reached the end: a true
    flag that turned false, a count that reached 0. Empty when none is seen (or when the
    cursor's absence already says it)."""
    if len(batches) < 2:
        return ""
    last, earlier = batches[-1].data, [batch.data for batch in batches[:-1]]
    if shape.cursor_path and json_path(last, shape.cursor_path) in (None, ""):
        return ""
    for path, value in leaves(last):
        before = [json_path(data, path) for data in earlier]
        if value is False and all(item is True for item in before):
            return f"{path}=false"
        if value == 0 and not isinstance(value, bool) and all(
                isinstance(item, int) and not isinstance(item, bool) and item > 0
                for item in before):
            return f"{path}=0"
    return ""


def derive(capture: Capture, site: SiteProfile, base_url: str) -> Recipe | Failure:
    """The settings of one language's batches, or why there are none."""
    batches = batches_of(capture, site, base_url)
    if not batches:
        return Failure(_nothing_new(capture))
    if len(batches) == 1:
        return Failure(f"only one request brought new cards ({batches[0].request.describe()}, "
                       f"{len(batches[0].new)} cards): one batch does not show how the next is "
                       "asked for; raise ANALYTICS_BROWSER_MAX_SCROLLS or _SECONDS")
    shape = request_shape(batches)
    if isinstance(shape, Failure):
        return shape
    section_path = urlsplit(capture.first_url).path
    settings = request_settings(batches, shape, capture.lang, section_path, base_url)
    reading, notes = reading_settings(batches, capture, shape, base_url)
    settings.update(reading)
    return Recipe(settings, {capture.lang: batches}, notes)


def _nothing_new(capture: Capture) -> str:
    """What the page did when no request brought a card page 1 did not show."""
    done = "; ".join(capture.actions) or "nothing"
    seen = "; ".join(seen.describe() for seen in capture.seen) or "none"
    blocked = f"; blocked: {'; '.join(capture.blocked[:8])}" if capture.blocked else ""
    return ("no request of the page brought cards page 1 does not show "
            f"({len(capture.first_cards)} cards on page 1, {len(capture.dom_cards)} on the "
            f"page at the end). Done: {done}. "
            f"Requests the page's script sent: {seen}{blocked}")


def merge(recipes: dict[str, Recipe]) -> Recipe | Failure:
    """One recipe for every language: the same settings derived from each."""
    langs = sorted(recipes)
    first = recipes[langs[0]]
    for lang in langs[1:]:
        if recipes[lang].settings != first.settings:
            differ = sorted(name for name in set(first.settings) | set(recipes[lang].settings)
                            if first.settings.get(name) != recipes[lang].settings.get(name))
            return Failure(f"{langs[0]} and {lang} need different settings: " + "; ".join(
                f"{name}: {first.settings.get(name)!r} / {recipes[lang].settings.get(name)!r}"
                for name in differ))
    merged = Recipe(dict(first.settings))
    for lang in langs:
        merged.batches.update(recipes[lang].batches)
        merged.notes += [f"{lang}: {note}" for note in recipes[lang].notes]
    return merged

