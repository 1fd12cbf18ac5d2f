"""Tests of the replica site: determinism, truth vs. an independent parser, server, faults.

The reference parser below follows the samples and docs/record.md on its own (parsel + zoneinfo);
it shares no code with the generator nor with the crawler, so it guards the generator.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import urllib.robotparser
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urljoin, urlsplit
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import html as lxml_html
from parsel import Selector

from tests.replica import ReplicaHandle, Site, build_site
from tests.replica.faults import parse_faults
from tests.replica.render import ROBOTS_TXT, render_article, render_listing

SITE = "https://caliber.az"
BAKU = ZoneInfo("Asia/Baku")
SAMPLES = Path(__file__).parent / "samples"
UA = "replica-tests/1.0"
LISTINGS = {"en": "/en/category/analytics", "ru": "/category/analitika",
            "hy": "/arm/category/analytics"}  # fmt: skip

# --- an independent reference parser (docs/site.md, docs/record.md) ------------------------------

MONTHS = {
    name.lower(): n
    for table in (
        "January February March April May June July August September October November December",
        "Января Февраля Марта Апреля Мая Июня Июля Августа Сентября Октября Ноября Декабря",
        "Հունվարի Փետրվարի Մարտի Ապրիլի Մայիսի Հունիսի Հուլիսի Օգոստոսի Սեպտեմբերի Հոկտեմբերի "
        "Նոյեմբերի Դեկտեմբերի",
    )
    for n, name in enumerate(table.split(), start=1)
}
DATE_RE = re.compile(r"^(\d{1,2})\s+(\S+)\s+(\d{4})\s*(?:-\s*)?(\d{1,2}):(\d{2})$")
NOISE_TAGS = {"script", "style", "iframe", "ins", "img", "noscript"}
NOISE_CLASS = re.compile(r"banner|advert|reklam")
BLOCK_TAGS = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "blockquote"}


def collapse(text: str | None) -> str:
    """Whitespace collapsed, trimmed."""
    return " ".join((text or "").split())


def field_text(sel: Selector, css: str) -> str | None:
    """Collapsed text of the first match, None if absent or empty."""
    node = sel.css(css)
    return collapse("".join(node[0].css("::text").getall())) or None if node else None


def parse_date(text: str) -> str:
    """`14 May 2025 15:04` / `25 November 2022 - 16:39` → ISO 8601 with the Baku offset."""
    m = DATE_RE.match(collapse(text))
    assert m, text
    day, month, year, hour, minute = m.groups()
    local = datetime(int(year), MONTHS[month.lower()], int(day), int(hour), int(minute))
    return local.replace(tzinfo=BAKU).isoformat()


def parse_views(text: str | None) -> int | None:
    """`Views: 12,345` → 12345 (any separator between digit groups)."""
    if text is None:
        return None
    m = re.search(r"\d[\d\s.,\u00a0]*", text)
    return int(re.sub(r"\D", "", m.group())) if m else None


def body_paragraphs(root: Any) -> list[str]:
    """docs/record.md `body`: one paragraph per block or `<br>` run, noise removed (separating)."""
    out: list[str] = []
    run: list[str] = []

    def flush() -> None:
        text = collapse("".join(run))
        if text:
            out.append(text)
        run.clear()

    def walk(el: Any) -> None:
        run.append(el.text or "")
        for child in el:
            tag = child.tag if isinstance(child.tag, str) else ""
            if tag == "br" or tag in NOISE_TAGS or NOISE_CLASS.search(child.get("class") or ""):
                flush()  # a line break, or a removed block, ends the run of text
            elif tag in BLOCK_TAGS:
                flush()
                walk(child)
                flush()
            elif tag:
                walk(child)
            run.append(child.tail or "")

    walk(root)
    flush()
    return out


def parse_article(page: str | bytes, fetched_url: str) -> dict[str, Any]:
    """The record of an article page (docs/record.md, minus id and scraped_at)."""
    text = page.decode() if isinstance(page, bytes) else page
    sel = Selector(text=text)
    url = sel.css('link[rel="canonical"]::attr(href)').get() or fetched_url
    path = urlsplit(url).path
    lang = "en" if path.startswith("/en/") else "hy" if path.startswith("/arm/") else "ru"
    cover = sel.css(".post_cover::attr(style)").re_first(r"url\(([^)]+)\)")
    body_root = lxml_html.fromstring(text).cssselect(".post_body")[0]
    return {
        "url": url,
        "lang": lang,
        "title": field_text(sel, ".post_title") or field_text(sel, "h1"),
        "subtitle": field_text(sel, ".post_subtitle"),
        "date": parse_date(field_text(sel, ".post_time") or ""),
        "category": field_text(sel, ".post_categoty"),
        "views": parse_views(field_text(sel, ".post_hits")),
        "body": "\n\n".join(body_paragraphs(body_root)),
        "author": field_text(sel, ".post_author"),
        "image": cover,
    }


def canonical_form(url: str) -> str:
    """A site URL on `https://caliber.az`, path percent-encoded (uppercase hex)."""
    parts = urlsplit(url)
    path = quote(unquote(parts.path), safe="/-")
    return f"{SITE}{path}" + (f"?{parts.query}" if parts.query else "")


def card_urls(page: str | bytes, page_url: str) -> list[str]:
    """Article links of the listing's cards, absolute, mapped onto caliber.az."""
    sel = Selector(text=page.decode() if isinstance(page, bytes) else page)
    hrefs = sel.css(".float_blocks .float_block > a:first-child::attr(href)").getall()
    return [canonical_form(urljoin(page_url, h)) for h in hrefs]


def page_classes(page: str | bytes) -> set[str]:
    """Every CSS class used in a page."""
    sel = Selector(text=page.decode() if isinstance(page, bytes) else page)
    return {c for attr in sel.css("[class]::attr(class)").getall() for c in attr.split()}


def all_pages(site: Site) -> dict[str, bytes]:
    """Every page of a built site, by path (articles, listings two pages deep, robots)."""
    pages = {a.path: render_article(site, a) for a in [*site.articles, *site.previews]}
    for lang, path in LISTINGS.items():
        for n in (1, 2):
            pages[f"{path}?page={n}"] = render_listing(site, lang, n) or b"404"
    pages["/robots.txt"] = ROBOTS_TXT.encode()
    return pages


# --- HTTP helpers ---------------------------------------------------------------------------


def fetch(base: str, path: str) -> tuple[int, dict[str, str], bytes]:
    """GET one path on its own connection."""
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    try:
        conn.request("GET", path, headers={"User-Agent": UA})
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read()
    finally:
        conn.close()


def raw(base: str, path: str, timeout: float = 5.0) -> bytes:
    """Send a request on a raw socket and read until the server closes (or it times out)."""
    parts = urlsplit(base)
    with socket.create_connection((parts.hostname, parts.port), timeout=timeout) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


# --- the reference parser is right: it reads the samples into their records ----------------


@pytest.mark.parametrize("name", ["en-article", "en-legacy-article", "ru-article", "hy-article"])
def test_reference_parser_reads_the_samples(name: str) -> None:
    expected = json.loads((SAMPLES / f"{name}.json").read_text(encoding="utf-8"))
    page = (SAMPLES / f"{name}.html").read_text(encoding="utf-8")
    assert parse_article(page, expected["url"]) == expected


def test_reference_listing_parser_reads_the_sample() -> None:
    expected = json.loads((SAMPLES / "en-listing.json").read_text(encoding="utf-8"))
    page = (SAMPLES / "en-listing.html").read_text(encoding="utf-8")
    assert card_urls(page, SITE + LISTINGS["en"]) == expected["article_urls"]


# --- the generator --------------------------------------------------------------------------


def test_same_seed_gives_byte_identical_pages() -> None:
    first, again, other = all_pages(build_site(7, 30)), all_pages(build_site(7, 30)), None
    assert first == again
    other = all_pages(build_site(8, 30))
    assert first["/en/category/analytics?page=1"] != other["/en/category/analytics?page=1"]
    assert set(first) != set(other)


@pytest.mark.parametrize("seed", [7, 8, 9])
def test_every_article_page_yields_its_truth(seed: int) -> None:
    site = build_site(seed, 60)
    site.publish(4)
    truth = {r["url"]: r for r in site.truth()}
    assert len(truth) == 64
    for article in site.articles:
        page = render_article(site, article)
        assert parse_article(page, article.url) == truth[article.url], article.url


@settings(max_examples=12)
@given(seed=st.integers(min_value=0, max_value=10**6), articles=st.integers(1, 24))
def test_any_seed_yields_its_truth(seed: int, articles: int) -> None:
    site = build_site(seed, articles)
    for article in site.articles:
        assert parse_article(render_article(site, article), article.url) == article.record()


def test_languages_are_spread_evenly_and_urls_encoded() -> None:
    truth = build_site(7, 30).truth()
    assert {lang: sum(r["lang"] == lang for r in truth) for lang in LISTINGS} == {
        "en": 10, "ru": 10, "hy": 10,
    }  # fmt: skip
    for record in truth:
        path = urlsplit(record["url"]).path
        assert path.isascii() and path == quote(unquote(path), safe="/-")
        slug = unquote(path).rsplit("/", 1)[1]
        assert re.fullmatch(r"[a-z0-9-]+", slug) if record["lang"] != "hy" else not slug.isascii()


@pytest.mark.parametrize("seed", [7, 8])
def test_variants_are_all_generated(seed: int) -> None:
    site = build_site(seed, 30)
    arts = site.articles
    truth = site.truth()
    pages = [render_article(site, a).decode() for a in arts]
    joined = "\n".join(pages)
    assert any(a.legacy for a in arts) and any(not a.legacy for a in arts)
    assert any(r["author"] for r in truth) and any(r["subtitle"] is None for r in truth)
    assert any(r["views"] is None for r in truth) and any(r["image"] is None for r in truth)
    assert any("cdn.caliber.az" in (r["image"] or "") for r in truth)
    assert {a.views_style for a in arts if a.views is not None and a.views >= 1000} >= {
        "space", "nbsp", "nbsp_entity", "comma", "dot",
    }  # fmt: skip
    assert any(not a.canonical for a in arts) and any(a.numeric_id for a in arts)
    assert {a.card_link for a in arts} == {"abs", "www", "rel", "raw", "numeric"}
    assert any(r["date"].endswith("+05:00") for r in truth)
    assert min(r["date"] for r in truth) < "2016" and max(r["date"] for r in truth) > "2025"
    assert {a.month_case for a in arts} == {"title", "lower", "upper"}
    titles = "".join(a.title_html for a in arts)
    assert "&quot;" in titles and "&amp;" in titles and "&#39;" in titles and "\n" in titles
    for marker in ("<script>window.__ads", "<style>.post_body", "<iframe", 'class="adsbygoogle"',
                   'class="banner"', "advert-inline", "reklam_block", "/api/zoom.png", "<h2>",
                   "<h3>", "<ul>", "<ol>", "<blockquote><p>", "<p></p>", "<p>&nbsp;</p>",
                   "<strong>", "<em>", "<a href=\"https://"):  # fmt: skip
        assert marker in joined, marker
    assert any("Caliber.Az," in r["body"] for r in truth)
    assert re.search(r"\.\s*</strong>|</(strong|em|a)>[.,]", joined)


def test_pages_weigh_60_to_120_kb() -> None:
    site = build_site(7, 90)
    for path, page in all_pages(site).items():
        if path != "/robots.txt" and page != b"404":
            assert 60_000 <= len(page) <= 120_000, (path, len(page))


def test_generated_pages_use_every_class_of_the_samples() -> None:
    site = build_site(7, 60)
    generated = set().union(*(page_classes(p) for p in all_pages(site).values()))
    for sample in SAMPLES.glob("*.html"):
        assert page_classes(sample.read_bytes()) <= generated, sample.name


@pytest.mark.parametrize("lang", ["en", "ru", "hy"])
def test_chrome_matches_the_samples(lang: str) -> None:
    site = build_site(7, 30)
    article = next(a for a in site.articles if a.lang == lang)
    mine = Selector(text=render_article(site, article).decode())
    sample = Selector(text=(SAMPLES / f"{lang}-article.html").read_text(encoding="utf-8"))
    for css in (
        ".header_socials a::attr(href)", ".lang_switch a::attr(href)", ".lang_switch a::text",
        ".menu a::attr(href)", ".menu a::text", ".footer ::text", ".post_share ::text",
        ".search_popup input::attr(placeholder)",
    ):  # fmt: skip
        assert mine.css(css).getall() == sample.css(css).getall(), css
    assert len(mine.css(".sidebar .most_read li a[href*='/post/']")) == 5


def test_previews_and_search_are_disallowed_by_robots() -> None:
    site = build_site(7, 30)
    robots = urllib.robotparser.RobotFileParser()
    robots.parse(ROBOTS_TXT.splitlines())
    assert site.disallowed_urls()
    for url in site.disallowed_urls():
        assert not robots.can_fetch("*", url), url
    for record in site.truth():
        assert robots.can_fetch("*", record["url"])
    cards = card_urls(render_listing(site, "en", 1) or b"", SITE + LISTINGS["en"])
    assert [u for u in cards if "/preview-" in u] == [a.url for a in site.previews]


def test_fault_spec_grammar() -> None:
    plan = parse_faults("503:0.5,429ra@/robots.txt#2,broken@/en/post/x,timeout@/a?page=2,"
                        "gone@/post/y", 7)
    assert plan.decide("/robots.txt", 1) == "429ra" and plan.decide("/robots.txt", 3) is None
    assert plan.decide("/a?page=2", 9) == "timeout"
    assert plan.defect_paths == {"/en/post/x": "broken", "/post/y": "gone"}
    draws = [plan.decide(f"/p{n}", a) for n in range(400) for a in (1, 2)]
    assert 300 < draws.count("503") < 500  # about half
    assert draws == [plan.decide(f"/p{n}", a) for n in range(400) for a in (1, 2)]
    assert any(draws[i] == "503" and draws[i + 1] is None for i in range(0, 800, 2))
    for bad in ("nope:0.1", "503:2", "broken@/x#1", "503@relative", "nodate:0.1", "gone@/x#2"):
        with pytest.raises(ValueError):
            parse_faults(bad)


# --- the server -----------------------------------------------------------------------------


def test_server_serves_the_site(replica: Callable[..., ReplicaHandle]) -> None:
    r = replica(articles=30, seed=7)
    site = build_site(7, 30)
    status, headers, body = fetch(r.base_url, "/robots.txt")
    assert status == 200 and b"Disallow: /search" in body and b"Disallow: /en/post/preview-" in body
    truth = r.truth()
    assert truth == site.truth()
    for lang, path in LISTINGS.items():
        status, headers, body = fetch(r.base_url, path)
        assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
        # One page of 10 cards: no load-more element, no more cards follow.
        assert int(headers["Content-Length"]) == len(body)
        assert body == render_listing(site, lang, 1, tail="")
        found = {site.article_at(urlsplit(u).path).url for u in card_urls(body, SITE + path)}  # type: ignore[union-attr]
        assert found - set(site.disallowed_urls()) == {t["url"] for t in truth if t["lang"] == lang}
        status, _, body = fetch(r.base_url, f"{path}?page=2")
        assert (status, card_urls(body, SITE + path)) == ((404, []) if lang == "en" else (200, []))
    for article in site.articles:
        status, _, body = fetch(r.base_url, article.path)
        assert status == 200 and body == render_article(site, article)
        if article.numeric_path:
            assert fetch(r.base_url, article.numeric_path)[2] == body
            assert parse_article(body, "unused")["url"] == article.url
    assert fetch(r.base_url, "/en/post/no-such-article")[0] == 404
    assert fetch(r.base_url, "/en/category/analytics?page=x")[0] == 404
    log = r.requests()
    assert all(set(e) == {"t", "t_end", "method", "path", "status", "ua", "in_flight", "fault",
                          "bytes"} for e in log)  # fmt: skip
    assert log[0]["path"] == "/robots.txt" and all(e["ua"] == UA for e in log)
    assert not any(e["path"].startswith("/__replica__/") for e in log)
    assert all(e["t"] <= e["t_end"] and e["in_flight"] >= 1 and e["bytes"] > 0 for e in log)


def test_keep_alive_serves_many_requests_on_one_connection(
    replica: Callable[..., ReplicaHandle],
) -> None:
    r = replica()
    parts = urlsplit(r.base_url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    for path in [t["url"][len(SITE) :] for t in r.truth()][:10]:
        conn.request("GET", path)
        resp = conn.getresponse()
        assert resp.status == 200 and resp.getheader("Connection") == "keep-alive"
        resp.read()
    conn.close()


def test_pagination_covers_the_listing(replica: Callable[..., ReplicaHandle]) -> None:
    r = replica(articles=60)
    truth = r.truth()
    for lang, path in LISTINGS.items():
        seen: list[str] = []
        for n in (1, 2):
            status, _, body = fetch(r.base_url, path if n == 1 else f"{path}?page={n}")
            cards = [u for u in card_urls(body, SITE + path) if "/preview-" not in u]
            assert status == 200 and len(cards) == (18 if n == 1 else 2)
            seen += cards
        assert len(set(seen)) == 20
        status, _, body = fetch(r.base_url, f"{path}?page=3")
        assert (status, card_urls(body, SITE + path)) == (404 if lang == "en" else 200, [])
        assert len([t for t in truth if t["lang"] == lang]) == 20


def on_replica(url: str) -> str:
    """The request target (path and query) of a site URL."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def next_batch(variant: str, body: bytes, number: int, lang: str) -> str | None:
    """The target of batch `number + 1`, found the way each variant offers it (README)."""
    if variant == "json":  # page 1 is HTML; then the endpoint until nothing is left
        slug = LISTINGS[lang].rsplit("/", 1)[-1]
        more = number == 1 or json.loads(body)["pages_left"] > 0
        return f"/api/{lang}/category/{slug}/posts?limit=18&page={number + 1}" if more else None
    sel = Selector(text=body.decode())
    found = (sel.css('head link[rel="next"]::attr(href)').get() if variant == "next-link"
             else sel.css(".load_more::attr(href), .load_more::attr(data-url)").get())
    return on_replica(found) if found else None


def batch_cards(body: bytes) -> list[str]:
    """Card links of a batch: JSON `result` URLs, or the `.float_block` cards of HTML."""
    if body.startswith(b"{"):
        return [item["url"] for item in json.loads(body)["result"]]
    return Selector(text=body.decode()).css(".float_block > a:first-child::attr(href)").getall()


@pytest.mark.parametrize("variant", ["next-link", "load-more", "json"])
def test_each_pagination_variant_leads_to_every_card_once(
    replica: Callable[..., ReplicaHandle], variant: str
) -> None:
    """Followed its own way (rel=next, load-more URLs, JSON pages), each listing gives every
    article of the truth once; `?page=2` only repeats page 1."""
    r = replica(articles=60, seed=7, pagination=variant)
    site, truth = build_site(7, 60), r.truth()
    for lang, path in LISTINGS.items():
        status, _, body = fetch(r.base_url, path)
        assert status == 200 and fetch(r.base_url, f"{path}?page=2")[2] == body
        hrefs, number = batch_cards(body), 1
        while target := next_batch(variant, body, number, lang):
            status, _, body = fetch(r.base_url, target)
            assert status == 200, target
            hrefs, number = hrefs + batch_cards(body), number + 1
        found = [site.article_at(urlsplit(urljoin(SITE, h)).path) for h in hrefs]
        urls = [a.url for a in found if a is not None and a.url not in site.disallowed_urls()]
        assert sorted(urls) == sorted(t["url"] for t in truth if t["lang"] == lang)
        assert number == 2  # 20 articles: 18 + 2


def test_publish_shifts_cards_and_views_raise_changes_truth(
    replica: Callable[..., ReplicaHandle],
) -> None:
    r = replica(articles=60)
    path = LISTINGS["ru"]
    before = card_urls(fetch(r.base_url, path)[2], SITE + path)
    new = r.publish(2, lang="ru")
    after = card_urls(fetch(r.base_url, path)[2], SITE + path)
    page2 = card_urls(fetch(r.base_url, f"{path}?page=2")[2], SITE + path)
    assert after[:2] == new[::-1] and after[2:] == before[:16] and page2[:2] == before[16:]
    assert {t["url"] for t in r.truth()} >= set(new)
    views = {t["url"]: t["views"] for t in r.truth()}
    assert r.raise_views(1000) == sum(v is not None for v in views.values())
    raised = {t["url"]: t["views"] for t in r.truth()}
    assert raised == {u: (v + 1000 if v is not None else None) for u, v in views.items()}
    url = next(u for u, v in raised.items() if v is not None)
    assert parse_article(fetch(r.base_url, url[len(SITE) :])[2], url)["views"] == raised[url]
    published = r.publish(3)
    assert [urlsplit(u).path.split("/")[1] for u in published] == ["en", "post", "arm"]


def test_publish_every_repeats_a_card_on_the_next_page(
    replica: Callable[..., ReplicaHandle],
) -> None:
    r = replica(articles=60, publish_every=1)  # publishes en, ru, hy, en... after each listing
    path = LISTINGS["en"]
    first = card_urls(fetch(r.base_url, path)[2], SITE + path)
    second = card_urls(fetch(r.base_url, f"{path}?page=2")[2], SITE + path)
    assert second[0] == first[-1]
    assert len(r.truth()) == 62


def test_every_fault_kind_is_observable(replica: Callable[..., ReplicaHandle]) -> None:
    site = build_site(7, 30)
    paths = [a.path for a in site.articles]
    kinds = ["503", "503ra", "429", "429ra", "500", "slow", "reset", "timeout", "truncate"]
    spec = [f"{k}@{p}#1" for k, p in zip(kinds, paths, strict=False)]
    spec.append(f"broken@{paths[9]}")
    r = replica(faults=",".join(spec), retry_after=5, slow_seconds=0.3, hang_seconds=1.0)
    at = dict(zip(kinds, paths, strict=False))
    for kind in ("503", "503ra", "429", "429ra", "500"):
        status, headers, _ = fetch(r.base_url, at[kind])
        assert status == int(kind[:3])
        assert headers.get("Retry-After") == ("5" if kind.endswith("ra") else None)
    began = time.monotonic()
    assert fetch(r.base_url, at["slow"])[0] == 200 and time.monotonic() - began >= 0.3
    with contextlib.suppress(ConnectionResetError):  # an RST, or at least no answer
        assert raw(r.base_url, at["reset"]) == b""
    with pytest.raises(TimeoutError):
        raw(r.base_url, at["timeout"], timeout=0.3)
    cut = raw(r.base_url, at["truncate"])
    head, _, body = cut.partition(b"\r\n\r\n")
    declared = int(re.search(rb"Content-Length: (\d+)", head).group(1))  # type: ignore[union-attr]
    assert head.startswith(b"HTTP/1.1 200") and 0 < len(body) < declared
    for kind in kinds:  # a retry succeeds
        assert fetch(r.base_url, at[kind])[0] == 200, kind
    broken = Selector(text=fetch(r.base_url, paths[9])[2].decode())
    assert not broken.css(".post_title, h1, .post_time, title, meta[property='og:title']")
    assert r.broken_urls() == [site.articles[9].url]
    assert site.articles[9].url not in {t["url"] for t in r.truth()} and len(r.truth()) == 29
    deadline = time.monotonic() + 3
    while len(r.requests()) < 2 * len(kinds) + 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    faults = [e["fault"] for e in r.requests()]
    assert sorted(f for f in faults if f) == sorted([*kinds, "broken"])
    statuses = {e["fault"]: e["status"] for e in r.requests() if e["fault"]}
    assert statuses["reset"] is None and statuses["timeout"] is None and statuses["503ra"] == 503


def test_defects_are_set_and_fixed_through_the_control_endpoints(
    replica: Callable[..., ReplicaHandle],
) -> None:
    """`nodate`: the whole page but its date; `gone`: listed, but a 404; `fix` undoes both."""
    site = build_site(7, 12)
    undated, gone = site.articles[3], site.articles[4]
    r = replica(articles=12, faults=f"nodate@{undated.path}")
    r.set_defect(gone.url, "gone")
    page = Selector(text=fetch(r.base_url, undated.path)[2].decode())
    assert page.css(".post_title") and page.css(".post_body p") and not page.css(".post_time")
    assert fetch(r.base_url, gone.path)[0] == 404
    assert sorted(r.broken_urls()) == sorted([undated.url, gone.url])
    assert {undated.url, gone.url}.isdisjoint(t["url"] for t in r.truth())
    assert [e["fault"] for e in r.requests()][:2] == ["nodate", "gone"]
    for article in (undated, gone):
        r.fix(article.url)
        assert fetch(r.base_url, article.path)[0] == 200
    assert r.broken_urls() == [] and len(r.truth()) == 12
    with pytest.raises(urllib.error.HTTPError):
        r.set_defect(undated.url, "melted")


def test_rate_faults_hit_some_requests_and_spare_robots(
    replica: Callable[..., ReplicaHandle],
) -> None:
    r = replica(faults="500:0.5,broken:0.2")
    assert fetch(r.base_url, "/robots.txt")[0] == 200
    paths = [t["url"][len(SITE) :] for t in r.truth()]
    statuses = [fetch(r.base_url, p)[0] for p in paths]
    assert 0 < statuses.count(500) < len(paths)
    assert 0 < len(r.broken_urls()) < 30 and len(r.truth()) + len(r.broken_urls()) == 30
    assert {e["fault"] for e in r.requests()} <= {None, "500", "broken"}


def test_in_flight_counts_concurrent_requests(replica: Callable[..., ReplicaHandle]) -> None:
    r = replica(faults="slow@/robots.txt#1", slow_seconds=0.5)
    slow = threading.Thread(target=fetch, args=(r.base_url, "/robots.txt"))
    slow.start()
    time.sleep(0.15)
    assert fetch(r.base_url, LISTINGS["en"])[0] == 200
    slow.join()
    deadline = time.monotonic() + 5  # the server logs a request just after its last byte
    while len(r.requests()) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    log = {e["path"]: e for e in r.requests()}
    assert log[LISTINGS["en"]]["in_flight"] == 2 and log["/robots.txt"]["fault"] == "slow"
    assert log["/robots.txt"]["t_end"] - log["/robots.txt"]["t"] >= 0.5


def test_load_tool_reports_pages_per_second(replica: Callable[..., ReplicaHandle]) -> None:
    r = replica()
    out = subprocess.run(
        [sys.executable, "-m", "tests.replica.loadtest", "--url", r.base_url, "--seconds", "0.5",
         "--connections", "2"],
        capture_output=True, text=True, timeout=30, check=True, cwd=Path(__file__).parents[1],
    ).stdout  # fmt: skip
    assert re.match(r"[\d,]+ pages/s", out) and "0 non-200" in out


def ask_endpoint(url: str, method: str = "GET", body: bytes | None = None,
                 headers: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, json.loads(answer.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, {}


@pytest.mark.parametrize("variant", ["script", "script-api"])
def test_a_scripted_listing_has_no_url_and_its_endpoint_answers_only_the_script(
    replica: Callable[..., ReplicaHandle], variant: str
) -> None:
    """Page 1 has no URL of the endpoint; the endpoint wants the script's header, leads on by
    an opaque cursor and gives every later card once (`script-api`: on another port)."""
    r = replica(articles=60, seed=7, pagination=variant)
    site, truth = build_site(7, 60), r.truth()
    api = r.api_origin()
    assert (api != "" and api != r.base_url) if variant == "script-api" else api == ""
    for lang, path in LISTINGS.items():
        body = fetch(r.base_url, path)[2].decode()
        assert "/feed/" not in body and "/v1/stream" not in body and "data-url" not in body
        hrefs, cursor, asked = batch_cards(body.encode()), "", 0
        while cursor is not None:
            if variant == "script":
                url, method = f"{r.base_url}/feed/v2/batches", "POST"
                data = json.dumps({"section": path.rsplit("/", 1)[-1], "lang": lang,
                                   "after": cursor}).encode()
                header = {"X-Requested-With": "XMLHttpRequest"}
            else:
                url, method, data = f"{api}/v1/stream/{lang}?cursor={cursor}", "GET", None
                header = {"X-Feed-Client": "caliber-web"}
            assert ask_endpoint(url, method, data)[0] == 403  # without the script's header
            status, answer = ask_endpoint(url, method, data, header)
            assert status == 200
            if variant == "script":
                hrefs += [item["node"]["permalink"] for item in answer["data"]["items"]]
                cursor = answer["data"]["paging"]["next"]
                assert answer["data"]["paging"]["has_more"] is (cursor is not None)
            else:
                hrefs += [entry["link"]["href"] for entry in answer["entries"]]
                cursor = answer["meta"].get("cursor")
            asked += 1
        found = [site.article_at(urlsplit(urljoin(SITE, h)).path) for h in hrefs]
        urls = [a.url for a in found if a is not None and a.url not in site.disallowed_urls()]
        assert sorted(urls) == sorted(t["url"] for t in truth if t["lang"] == lang)
        assert asked == 1  # 20 articles: page 1's 18, then one batch of 2
    bogus = json.dumps({"section": "analytics", "lang": "en", "after": "bogus"}).encode()
    assert (ask_endpoint(f"{api}/v1/stream/en?cursor=bogus", "GET", None,
                         {"X-Feed-Client": "caliber-web"}) if variant == "script-api"
            else ask_endpoint(f"{r.base_url}/feed/v2/batches", "POST", bogus,
                              {"X-Requested-With": "XMLHttpRequest"}))[0] == 400
