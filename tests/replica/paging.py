"""How the replica's listings page (`--pagination`): one site, five ways to its later cards.

- `query` (default): `?page=N`.
- `next-link`: path pages `/…/page/N`, linked by `<link rel="next">` in the head and by a
  numbered pager with a `rel=next` anchor; the query string is ignored (page 1).
- `load-more`: one server page; a load-more element carries the URL of an HTML fragment of
  the next cards, which ends in the next load-more element (none after the last cards).
- `json`: the older back end's endpoint `/api/{lang}/category/{slug}/posts?limit=L&page=P`
  answering `{"result": [...], "pages_left": N}`; the listing page links nothing further.
- `ignored`: `?page=` is ignored and nothing links further (a site the crawler cannot page).
- `script`, `script-api`: only a script reads the later cards (`scripted.py`).

In every variant but `query`, page 1 is served whatever the query string says.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qs

from .generator import PAGE_SIZE, Article, Site
from .lang import LANG, LANGS, SITE
from .render import card, card_href, format_date, render_listing, render_simple
from .scripted import SCRIPTED, Scripted

PAGINATIONS: tuple[str, ...] = ("query", "next-link", "load-more", "json", "ignored", *SCRIPTED)
JSON = "application/json; charset=utf-8"
HTML = "text/html; charset=utf-8"
LOAD_MORE_PATH = "/ajax/more"  # ?lang=<code>&offset=<cards before the fragment>
#: Where each language's JSON batches are (the older back end's route).
API_PATHS: dict[str, str] = {
    f"/api/{code}/category/{LANG[code].analytics_slug}/posts": code for code in LANGS
}

#: (status, body, content type) of a listing answer.
Answer = tuple[int, bytes, str]


def query_int(query: str, name: str, default: int | None = None) -> int | None:
    """A whole-number query parameter; None when absent (without default) or not a number."""
    values = parse_qs(query).get(name)
    if not values:
        return default
    return int(values[0]) if values[0].isdigit() else None


def pages_of(site: Site, lang: str, size: int = PAGE_SIZE) -> int:
    """How many pages of `size` cards the language's listing fills."""
    return -(-len(site.listing(lang)) // size)


@dataclass
class Paging:
    """Routes listing requests of one `--pagination` variant; None: not a listing URL."""

    site: Site
    mode: str = "query"
    api_origin: str = ""  # `script-api`: where its endpoint listens

    @property
    def scripted(self) -> Scripted | None:
        """The script and endpoint of a scripted variant; None for the others."""
        return Scripted(self.site, self.mode, self.api_origin) if self.mode in SCRIPTED else None

    def route(self, path: str, query: str) -> Answer | None:
        """The answer for a listing-like target of this variant."""
        routes: dict[str, Callable[[str, str], Answer | None]] = {
            "query": self.query, "next-link": self.next_link, "load-more": self.load_more,
            "json": self.json, "ignored": self.ignored, "script": self.script,
            "script-api": self.script,
        }  # fmt: skip
        return routes[self.mode](path, query)

    def listing_lang(self, path: str) -> str | None:
        return next((code for code in LANGS if LANG[code].listing_path == path), None)

    def page(self, lang: str, number: int, links: str = "", tail: str | None = None) -> Answer:
        """Listing page `number` as `render_listing` makes it (past the end: 404 or empty)."""
        extra = {} if tail is None else {"tail": tail}
        body = render_listing(self.site, lang, number, links, **extra) if number >= 1 else None
        if body is None:
            return 404, render_simple(self.site, lang, "404"), HTML
        return 200, body, HTML

    def query(self, path: str, query: str) -> Answer | None:
        lang = self.listing_lang(path)
        if lang is None:
            return None
        return self.page(lang, query_int(query, "page", 1) or 0)

    def ignored(self, path: str, query: str) -> Answer | None:
        lang = self.listing_lang(path)
        return None if lang is None else self.page(lang, 1)

    def script(self, path: str, query: str) -> Answer | None:
        lang = self.listing_lang(path)
        scripted = self.scripted
        if lang is None or scripted is None:
            return None
        return self.page(lang, 1, tail=scripted.tail(lang))

    def next_link(self, path: str, query: str) -> Answer | None:
        head, _, number = path.rpartition("/page/")
        lang = self.listing_lang(head if number.isdigit() else path)
        if lang is None:
            return None
        current = int(number) if number.isdigit() else 1
        last = pages_of(self.site, lang)
        if current > last:
            return self.page(lang, current)
        listing = LANG[lang].listing_path
        numbers = "".join(
            f'<span class="current">{n}</span>' if n == current
            else f'<a href="{listing}/page/{n}">{n}</a>' for n in range(1, last + 1)
        )  # fmt: skip
        links = tail = ""
        if current < last:
            following = f"{SITE}{listing}/page/{current + 1}"
            links = f'<link rel="next" href="{following}">\n'
            numbers += f'<a class="next" rel="next" href="{following}">&raquo;</a>'
        tail = f'<div class="pagination">{numbers}</div>'
        return self.page(lang, current, links, tail)

    def load_more(self, path: str, query: str) -> Answer | None:
        if path == LOAD_MORE_PATH:
            code = parse_qs(query).get("lang", [""])[0]
            offset = query_int(query, "offset")
            if code not in LANGS or offset is None or offset >= len(self.site.listing(code)):
                return 404, b"", HTML
            return 200, self.fragment(code, offset).encode(), HTML
        lang = self.listing_lang(path)
        if lang is None:
            return None
        more = ""
        if len(self.site.listing(lang)) > PAGE_SIZE:
            url = f"{LOAD_MORE_PATH}?lang={lang}&amp;offset={PAGE_SIZE}"
            more = f'<a class="load_more" href="{url}">more</a>'
        return self.page(lang, 1, tail=more)

    def fragment(self, lang: str, offset: int) -> str:
        """The cards after `offset`, and the element that loads the next ones (a `data-url`)."""
        cards = self.site.listing(lang)[offset : offset + PAGE_SIZE]
        html = "".join(card(a, self.site.markup) for a in cards)
        after = offset + PAGE_SIZE
        if after < len(self.site.listing(lang)):
            url = f"{LOAD_MORE_PATH}?lang={lang}&amp;offset={after}"
            html += f'<div class="load_more" data-page="next" data-url="{url}">more</div>'
        return html

    def json(self, path: str, query: str) -> Answer | None:
        lang = API_PATHS.get(path)
        if lang is None:
            return self.ignored(path, query)
        limit, number = query_int(query, "limit"), query_int(query, "page")
        if not limit or not number or limit > 100:
            return 400, json.dumps({"error": "limit (1-100) and page (1-) required"}).encode(), JSON
        cards = self.site.listing(lang)[(number - 1) * limit : number * limit]
        left = max(0, pages_of(self.site, lang, limit) - number)
        data = {"result": [json_card(a) for a in cards], "pages_left": left}
        return 200, json.dumps(data, ensure_ascii=False).encode(), JSON


def json_card(a: Article) -> dict[str, object]:
    """One card as the older back end gave it (the link as the HTML card has it)."""
    return {"id": a.key, "title": a.title, "url": card_href(a),
            "date": format_date(a.published, a.lang, case=a.month_case)}
