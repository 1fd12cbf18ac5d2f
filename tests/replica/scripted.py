"""Listings only a script can read (`--pagination script`, `script-api`).

Page 1 ends in the sample's `<div class="load_more" data-page="next">` and no URL anywhere
in the markup: an inline script, when that element scrolls into view, asks an endpoint it
assembles in code for the next cards, inserts them in the site's card markup and moves on
with the opaque cursor the answer gave, until the answer says nothing is left.

- `script`: `POST /feed/v2/batches` on the site's own host, a JSON body
  `{"section", "lang", "after": cursor}` (`""` for the batch after page 1), answered only
  with `X-Requested-With: XMLHttpRequest` (else 403); the answer is
  `{"data": {"items": [{"node": {"permalink", "headline", "published"}}],
  "paging": {"next": cursor or null, "has_more": bool}}}`.
- `script-api`: `GET /v1/stream/<code>?cursor=…` on another loopback port (another host of
  the site, the same server), answered only with `X-Feed-Client: caliber-web` (a header
  that makes the browser send a CORS preflight, answered); the answer is
  `{"entries": [{"link": {"href"}, "title": {"text"}, "time"}], "meta": {"cursor": …}}`,
  whose `cursor` is absent on the last batch.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from urllib.parse import parse_qs

from .generator import PAGE_SIZE, Article, Site
from .lang import LANG, LANGS
from .render import SCRIPTED_LOAD_MORE, card_href, format_date

SCRIPTED: tuple[str, ...] = ("script", "script-api")
JSON = "application/json; charset=utf-8"
FEED_PATH = "/feed/v2/batches"
STREAM_PREFIX = "/v1/stream/"
#: The header each endpoint needs, as its script sends it.
NEEDED_HEADER: dict[str, tuple[str, str]] = {
    "script": ("x-requested-with", "XMLHttpRequest"),
    "script-api": ("x-feed-client", "caliber-web"),
}
CORS = ("Access-Control-Allow-Origin: *\r\nAccess-Control-Allow-Methods: GET, POST\r\n"
        "Access-Control-Allow-Headers: X-Feed-Client, X-Requested-With, Content-Type\r\n")

#: (status, body, content type, extra header lines) of an endpoint's answer.
EndpointAnswer = tuple[int, bytes, str, str]


def encode_cursor(lang: str, offset: int) -> str:
    """An opaque cursor: the language and the cards before the next batch, base64."""
    return base64.urlsafe_b64encode(f"{lang}|{offset}|caliber".encode()).decode().rstrip("=")


def decode_cursor(cursor: str, lang: str) -> int | None:
    """The offset a cursor stands for (`""`: the cards after page 1); None: not one of ours."""
    if not cursor:
        return PAGE_SIZE
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        code, offset, mark = text.split("|")
    except (ValueError, UnicodeDecodeError):
        return None
    return int(offset) if code == lang and mark == "caliber" and offset.isdigit() else None


def _script(lang: str, mode: str, api_origin: str) -> str:
    """The inline script of page 1 (the endpoint assembled from parts, no URL in a string)."""
    slug = LANG[lang].analytics_slug
    if mode == "script":
        origin = "location.origin"
        ask = ("function ask(cursor){return fetch(origin+'/'+['feed','v2','batches'].join('/'),"
               "{method:'POST',headers:{'Content-Type':'application/json',"
               "'X-Requested-With':'XMLHttpRequest'},body:JSON.stringify({section:"
               f"'{slug}',lang:'{lang}',after:cursor}})}}).then(function(r){{return r.json()}})"
               ".then(function(d){return {items:d.data.items.map(function(i){return "
               "{href:i.node.permalink,title:i.node.headline,time:i.node.published}}),"
               "next:d.data.paging.has_more?d.data.paging.next:null}})}")
    else:
        port = api_origin.rsplit(":", 1)[1]
        origin = f"location.protocol+'//'+location.hostname+':'+{int(port)}"
        ask = ("function ask(cursor){return fetch(origin+'/'+['v1','stream',"
               f"'{lang}'].join('/')+'?cursor='+encodeURIComponent(cursor),{{headers:"
               "{'X-Feed-Client':'caliber-web'}}).then(function(r){return r.json()})"
               ".then(function(d){return {items:d.entries.map(function(e){return "
               "{href:e.link.href,title:e.title.text,time:e.time}}),"
               "next:d.meta.cursor===undefined?null:d.meta.cursor}})}")
    label = LANG[lang].analytics_label
    return (
        "<script>(function(){var more=document.querySelector('.load_more');"
        "var list=document.querySelector('.float_blocks');if(!more||!list)return;"
        f"var origin={origin};var cursor='';var busy=false;{ask}"
        "function add(c){var b=document.createElement('div');b.className='float_block';"
        "var a=document.createElement('a');a.href=c.href;var h=document.createElement('h2');"
        "h.className='float_block_title';h.textContent=c.title;a.appendChild(h);"
        "b.appendChild(a);var f=document.createElement('div');f.className='float_block_bottom';"
        f"var g=document.createElement('div');g.className='float_block_category';"
        f"g.textContent={json.dumps(label)};f.appendChild(g);"
        "var t=document.createElement('div');"
        "t.className='float_block_time';t.textContent=c.time;f.appendChild(t);"
        "b.appendChild(f);list.appendChild(b)}"
        "var seen=new IntersectionObserver(function(es){if(!es[0].isIntersecting||busy)return;"
        "busy=true;ask(cursor).then(function(d){d.items.forEach(add);"
        "if(d.next===null){seen.disconnect();more.remove();return}cursor=d.next;busy=false;"
        "seen.unobserve(more);seen.observe(more)})});seen.observe(more)})();</script>"
    )


@dataclass
class Scripted:
    """Page 1's ending and the endpoint of one scripted variant."""

    site: Site
    mode: str
    api_origin: str = ""  # `script-api`: http://127.0.0.1:PORT of the second listener

    def tail(self, lang: str) -> str:
        """What ends page 1: the load-more element and the script."""
        return SCRIPTED_LOAD_MORE + _script(lang, self.mode, self.api_origin)

    def route(self, method: str, path: str, query: str, headers: dict[str, str],
              body: bytes) -> EndpointAnswer | None:
        """The endpoint's answer; None: not the endpoint of this variant."""
        if self.mode == "script" and path == FEED_PATH:
            return self.feed(method, headers, body)
        if self.mode == "script-api" and path.startswith(STREAM_PREFIX):
            return self.stream(method, path[len(STREAM_PREFIX):], query, headers)
        return None

    def refused(self, headers: dict[str, str]) -> EndpointAnswer | None:
        name, value = NEEDED_HEADER[self.mode]
        if headers.get(name) != value:
            return 403, b'{"error": "forbidden"}', JSON, CORS
        return None

    def batch(self, lang: str, cursor: str) -> tuple[list[Article], str | None] | None:
        offset = decode_cursor(cursor, lang)
        if offset is None:
            return None
        cards = self.site.listing(lang)[offset : offset + PAGE_SIZE]
        after = offset + PAGE_SIZE
        return cards, encode_cursor(lang, after) if after < len(self.site.listing(lang)) else None

    def feed(self, method: str, headers: dict[str, str], body: bytes) -> EndpointAnswer:
        if method != "POST":
            return 405, b'{"error": "POST only"}', JSON, ""
        refused = self.refused(headers)
        if refused:
            return refused
        try:
            asked = json.loads(body)
            lang, cursor = asked["lang"], asked["after"]
        except (ValueError, KeyError, TypeError):
            return 400, b'{"error": "section, lang, after required"}', JSON, ""
        found = self.batch(lang, cursor) if lang in LANGS and isinstance(cursor, str) else None
        if found is None:
            return 400, b'{"error": "bad cursor"}', JSON, ""
        cards, following = found
        data = {"data": {"items": [{"node": {"permalink": absolute_href(a), "headline": a.title,
                                             "published": date_text(a)}} for a in cards],
                         "paging": {"next": following, "has_more": following is not None}}}
        return 200, json.dumps(data, ensure_ascii=False).encode(), JSON, ""

    def stream(self, method: str, lang: str, query: str,
               headers: dict[str, str]) -> EndpointAnswer:
        if method == "OPTIONS":  # the browser's CORS preflight
            return 204, b"", JSON, CORS
        if method != "GET":
            return 405, b'{"error": "GET only"}', JSON, CORS
        refused = self.refused(headers)
        if refused:
            return refused
        cursor = parse_qs(query).get("cursor", [""])[0]
        found = self.batch(lang, cursor) if lang in LANGS else None
        if found is None:
            return 400, b'{"error": "bad cursor"}', JSON, CORS
        cards, following = found
        meta: dict[str, str] = {} if following is None else {"cursor": following}
        data = {"entries": [{"link": {"href": absolute_href(a)}, "title": {"text": a.title},
                             "time": date_text(a)} for a in cards], "meta": meta}
        return 200, json.dumps(data, ensure_ascii=False).encode(), JSON, CORS


def absolute_href(a: Article) -> str:
    """The card's link as the HTML card has it, made absolute on the site (an API answers
    whole URLs)."""
    href = card_href(a)
    return href if href.startswith("http") else f"https://caliber.az{href}"


def date_text(a: Article) -> str:
    return format_date(a.published, a.lang, case=a.month_case)
