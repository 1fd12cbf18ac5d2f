"""How the replica's listings page (`--pagination`): one site, ten ways to its later cards.

- `query` (default): `?page=N`.
- `next-link`: path pages `/…/page/N`, linked by `<link rel="next">` in the head and by a
  numbered pager with a `rel=next` anchor; the query string is ignored (page 1).
- `load-more`: one server page; a load-more element carries the URL of an HTML fragment of
  the next cards, which ends in the next load-more element (none after the last cards).
- `json`: the older back end's endpoint `/api/{lang}/category/{slug}/posts?limit=L&page=P`
  answering `{"result": [...], "pages_left": N}`; the listing page links nothing further.
- `ignored`: `?page=` is ignored and nothing links further (a site the crawler cannot page).
- `script`, `script-api`: only a script reads the later cards (`scripted.py`).
- `more-button`: short batches of 4 cards; page 1 ends in a "Show more" button of a class
  no selector lists, its next batch's URL in `onclick`; the fragments' buttons carry it in
  `data-feed-next` (none after the last cards).
- `more-scripted`: the same short page 1, its button carrying no URL (a script loads more).
- `reordered`: `?page=N&sort=date`, linked by the pager's `a.next`, the parameters in
  alternate order; the last page's `a.next` (disabled) links that page itself, reordered.

In every variant but `query` and `reordered`, page 1 is served whatever the query says.
`query` shows the script-driven load-more element only where more cards follow.
A listing defect (`Paging.defect`, set on a running replica) changes every listing page 1:
`error200` serves an error page with status 200, `renamed-cards` renames the card class.
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

PAGINATIONS: tuple[str, ...] = ("query", "next-link", "load-more", "json", "ignored", *SCRIPTED,
                                "more-button", "more-scripted", "reordered")
#: Listing defects of page 1 a running replica can be given (`POST /__replica__/listing`).
LISTING_DEFECTS: tuple[str, ...] = ("error200", "renamed-cards")
JSON = "application/json; charset=utf-8"
HTML = "text/html; charset=utf-8"
LOAD_MORE_PATH = "/ajax/more"  # ?lang=<code>&offset=<cards before the fragment>
FEED_PATH = "/feed/more"  # ?lang=<code>&from=<cards before the fragment> (more-button)
#: Cards of a batch in the `more-button` and `more-scripted` variants.
SHORT_BATCH = 4
SHOW_MORE = {"en": "Show more", "ru": "Показать ещё", "hy": "Ցույց տալ ավելին"}
#: An error page served with status 200 (the `error200` defect): no card, no site chrome.
ERROR_PAGE = (b"<!DOCTYPE html><html><head><title>Database Error</title></head><body>"
              b"<h1>Error establishing a database connection</h1></body></html>\n")
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
    defect: str | None = None  # one of LISTING_DEFECTS, or None

    def route(self, path: str, query: str) -> Answer | None:
        """The answer for a listing-like target of this variant."""
        routes: dict[str, Callable[[str, str], Answer | None]] = {
            "query": self.query, "next-link": self.next_link, "load-more": self.load_more,
            "json": self.json, "ignored": self.ignored, "script": self.script,
            "script-api": self.script, "more-button": self.more_button,
            "more-scripted": self.more_scripted, "reordered": self.reordered,
        }  # fmt: skip
        answer = routes[self.mode](path, query)
        if answer is None or self.defect is None or self.listing_lang(path) is None:
            return answer
        if self.defect == "error200":
            return 200, ERROR_PAGE, HTML
        status, body, kind = answer
        return status, body.replace(b'class="float_block"', b'class="news_card"'), kind

    def listing_lang(self, path: str) -> str | None:
        return next((code for code in LANGS if LANG[code].listing_path == path), None)

    def page(self, lang: str, number: int, links: str = "", tail: str | None = None,
             cards: list[Article] | None = None) -> Answer:
        """Listing page `number` as `render_listing` makes it (past the end: 404 or empty)."""
        extra = {} if tail is None else {"tail": tail}
        body = (render_listing(self.site, lang, number, links, cards=cards, **extra)
                if number >= 1 else None)
        if body is None:
            return 404, render_simple(self.site, lang, "404"), HTML
        return 200, body, HTML

    def scripted_tail(self, lang: str, number: int) -> str | None:
        """The script-driven load-more element where more cards follow page `number`."""
        return None if number < pages_of(self.site, lang) else ""

    def query(self, path: str, query: str) -> Answer | None:
        lang = self.listing_lang(path)
        if lang is None:
            return None
        number = query_int(query, "page", 1) or 0
        return self.page(lang, number, tail=self.scripted_tail(lang, number))

    def reordered(self, path: str, query: str) -> Answer | None:
        lang = self.listing_lang(path)
        if lang is None:
            return None
        number = query_int(query, "page", 1) or 0
        last = pages_of(self.site, lang)
        if not 1 <= number <= last:
            return self.page(lang, number)
        listing = LANG[lang].listing_path
        if number == last == 1:
            return self.page(lang, number, tail="")
        if number < last:
            following = number + 1
            params = (f"page={following}&amp;sort=date" if following % 2 == 0
                      else f"sort=date&amp;page={following}")
            pager = f'<a class="next" href="{SITE}{listing}?{params}">Next</a>'
        else:  # a disabled "next" to the page itself, its parameters in the other order
            params = (f"sort=date&amp;page={number}" if number % 2 == 0
                      else f"page={number}&amp;sort=date")
            pager = f'<a class="next disabled" href="{SITE}{listing}?{params}">Next</a>'
        tail = f'<div class="pagination">{pager}</div>'
        return self.page(lang, number, tail=tail)

    def more_button(self, path: str, query: str) -> Answer | None:
        if path == FEED_PATH:
            target = self.fragment_of(query, "from")
            if target is None:
                return 404, b"", HTML
            code, start = target
            cards = self.site.listing(code)[start : start + SHORT_BATCH]
            html = "".join(card(a) for a in cards)
            if start + SHORT_BATCH < len(self.site.listing(code)):
                html += (f'<button type="button" class="feed-extend" data-feed-next='
                         f'"{FEED_PATH}?lang={code}&amp;from={start + SHORT_BATCH}">'
                         f"{SHOW_MORE[code]}</button>")
            return 200, html.encode(), HTML
        lang = self.listing_lang(path)
        if lang is None:
            return None
        url = f"{FEED_PATH}?lang={lang}&amp;from={SHORT_BATCH}"
        return self.short_first_page(lang, f" onclick=\"feedExtend('{url}')\"")

    def more_scripted(self, path: str, query: str) -> Answer | None:
        lang = self.listing_lang(path)
        return None if lang is None else self.short_first_page(lang, "")

    def short_first_page(self, lang: str, carries: str) -> Answer:
        """Page 1 of 4 cards and its "Show more" button (`carries`: its URL attribute)."""
        listing = self.site.listing(lang)
        more = ""
        if len(listing) > SHORT_BATCH:
            more = (f'<button type="button" class="feed-extend"{carries}>'
                    f"{SHOW_MORE[lang]}</button>")
        return self.page(lang, 1, tail=more, cards=listing[:SHORT_BATCH])

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
            target = self.fragment_of(query, "offset")
            if target is None:
                return 404, b"", HTML
            return 200, self.fragment(*target).encode(), HTML
        lang = self.listing_lang(path)
        if lang is None:
            return None
        more = ""
        if len(self.site.listing(lang)) > PAGE_SIZE:
            url = f"{LOAD_MORE_PATH}?lang={lang}&amp;offset={PAGE_SIZE}"
            more = f'<a class="load_more" href="{url}">more</a>'
        return self.page(lang, 1, tail=more)

    def fragment_of(self, query: str, start: str) -> tuple[str, int] | None:
        """(language, cards before it) of a fragment's query; None past the end or wrong."""
        code = parse_qs(query).get("lang", [""])[0]
        offset = query_int(query, start)
        if code not in LANGS or offset is None or offset >= len(self.site.listing(code)):
            return None
        return code, offset

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
