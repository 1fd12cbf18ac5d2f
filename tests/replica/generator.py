"""Deterministic generator of the replica site: `build_site(seed, articles) -> Site`.

The Site holds the articles as data (the ground truth) plus the mutable state a test drives
(publishing, views, broken pages); rendering lives in render.py, serving in server.py.
"""

from __future__ import annotations

import hashlib
import random
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from html import escape
from typing import Any
from urllib.parse import quote, unquote
from zoneinfo import ZoneInfo

from .body import Block, BodyWriter, body_html, body_text
from .lang import AUTHORS, LANG, LANGS, RU_TRANSLIT, SITE, SUBTITLES, TITLE_HEADS, TITLE_TAILS
from .markup import messy

BAKU = ZoneInfo("Asia/Baku")
PAGE_SIZE = 18
#: How an article page can be served wrong until fixed: `broken` (no title, no date, body
#: cut), `nodate` (whole but for its date: an editor's slip), `gone` (listed, answers 404),
#: `removed` (taken down: no longer listed, answers 410).
DEFECTS = ("broken", "nodate", "gone", "removed")
#: How `Site.edit` changes an article: its text (title and body), or only the spacing of
#: its markup (the record stays the same).
EDITS = ("content", "whitespace")
FIRST_DATE = datetime(2014, 1, 1)
LAST_DATE = datetime(2026, 11, 20)
LEGACY_BEFORE = datetime(2023, 1, 1)  # the older template (`.post_author`, "date - time")
VIEWS_STYLES = ("plain", "space", "nbsp", "nbsp_entity", "comma", "dot")
PREVIEW_POSITIONS = (2, 9)  # where the robots-disallowed preview cards sit on en page 1
#: Optional fields `rare_fields` can make rare: record field -> Article attributes emptied.
RARE_FIELDS: dict[str, tuple[str, ...]] = {
    "subtitle": ("subtitle", "subtitle_html"), "image": ("image",), "author": ("author",),
}  # fmt: skip
RARE_EVERY = 10  # a rare field stays on one article in RARE_EVERY (by key)


def baku_iso(local: datetime) -> str:
    """ISO 8601 of a Baku wall-clock time, with the zone's offset at that instant."""
    return local.replace(tzinfo=BAKU).isoformat()


def unambiguous(local: datetime) -> bool:
    """True when the Baku offset is the same two hours either side (no DST transition near)."""
    offsets = {
        (local + timedelta(hours=h)).replace(tzinfo=BAKU, fold=fold).utcoffset()
        for h in (-2, 0, 2)
        for fold in (0, 1)
    }
    return len(offsets) == 1


def slugify(title: str, lang: str) -> str:
    """URL slug of a title: transliterated Latin for ru, lowercase Latin for en, Armenian for hy."""
    text = title.lower()
    if lang == "en":
        text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    if lang == "ru":
        text = "".join(RU_TRANSLIT.get(ch, ch) for ch in text)
    pattern = r"[^\w]+" if lang == "hy" else r"[^a-z0-9]+"
    return re.sub(pattern, "-", text).strip("-")


@dataclass
class Article:
    """One article as data; every random choice of its markup is fixed here, at generation."""

    key: int
    lang: str
    slug: str
    title: str
    subtitle: str | None
    author: str | None
    category: str
    published: datetime  # naive Baku wall-clock time
    views: int | None
    views_style: str
    image: str | None
    thumb: str
    blocks: tuple[Block, ...]
    legacy: bool
    canonical: bool
    card_link: str
    month_case: str
    title_html: str
    subtitle_html: str | None
    card_title_html: str
    kind: str = "analytics"  # "analytics", "preview" (robots-disallowed) or "offsection"
    numeric_id: int | None = None

    @property
    def path(self) -> str:
        """Slug path as served on the wire (percent-encoded)."""
        return f"/{LANG[self.lang].prefix}post/{quote(self.slug, safe='-')}"

    @property
    def url(self) -> str:
        """Canonical slug URL, `https://caliber.az/...`."""
        return SITE + self.path

    @property
    def numeric_path(self) -> str | None:
        """`/<prefix>post/<number>/` for older articles that have a number."""
        if self.numeric_id is None:
            return None
        return f"/{LANG[self.lang].prefix}post/{self.numeric_id}/"

    @property
    def body_html(self) -> str:
        """Inside of `.post_body`."""
        return body_html(self.blocks)

    def record(self) -> dict[str, Any]:
        """The record the crawler must produce (docs/record.md), without id and scraped_at."""
        return {
            "url": self.url,
            "lang": self.lang,
            "title": self.title,
            "subtitle": self.subtitle,
            "date": baku_iso(self.published),
            "category": self.category,
            "views": self.views,
            "body": body_text(self.blocks),
            "author": self.author,
            "image": self.image,
        }


def _md5(*parts: object) -> str:
    return hashlib.md5(":".join(map(str, parts)).encode()).hexdigest()


def _draw_date(rng: random.Random, summer_time: bool) -> datetime:
    """A Baku wall-clock minute away from DST transitions; in a pre-2016 summer if asked."""
    while True:
        if summer_time:
            day = datetime(rng.choice((2014, 2015)), rng.randint(4, 9), rng.randint(1, 28))
            local = day + timedelta(minutes=rng.randrange(24 * 60))
        else:
            span = int((LAST_DATE - FIRST_DATE).total_seconds() // 60)
            local = FIRST_DATE + timedelta(minutes=rng.randrange(span))
        if unambiguous(local):
            return local


class ArticleFactory:
    """Makes articles with unique slugs per language; shared by the build and by publishing."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.slugs: set[tuple[str, str]] = set()

    def unique_slug(self, lang: str, base: str) -> str:
        """`base`, or `base-2`, `base-3`... if the language already has it."""
        slug, n = base, 1
        while (lang, slug) in self.slugs:
            n += 1
            slug = f"{base}-{n}"
        self.slugs.add((lang, slug))
        return slug

    def make(
        self, key: int, lang: str, published: datetime, rng: random.Random, kind: str = "analytics"
    ) -> Article:
        """One article of `lang` published at `published`, its variants drawn from `rng`."""
        title = rng.choice(TITLE_HEADS[lang])
        if rng.random() < 0.45:
            title = f"{title}: {rng.choice(TITLE_TAILS[lang])}"
        base = slugify(title, lang)
        slug = self.unique_slug(lang, f"preview-{base}" if kind == "preview" else base)
        legacy = published < LEGACY_BEFORE and rng.random() < 0.55
        subtitle = rng.choice(SUBTITLES[lang]) if rng.random() < 0.6 else None
        author = rng.choice(AUTHORS[lang]) if legacy and rng.random() < 0.8 else None
        style = VIEWS_STYLES[key % len(VIEWS_STYLES)]
        views: int | None = rng.randint(1000, 250_000) if style != "plain" else rng.randint(0, 9999)
        if key % 7 == 1 or rng.random() < (0.5 if legacy else 0.08):
            views = None
        md5 = _md5(self.seed, kind, key)
        image = None
        if not legacy and rng.random() > 0.1:
            host = "https://cdn.caliber.az" if rng.random() < 0.2 else SITE
            image = f"{host}/media/photos/original/{md5}.webp"
        canonical = key % 11 != 7
        # rare variants by index, so that even a small site has each of them
        card_link = {2: "www", 5: "rel"}.get(key % 10, "raw" if key % 9 == 8 else "abs")
        month_case = {3: "lower", 8: "upper"}.get(key % 15, "title")
        labels = LANG[lang]
        return Article(
            key=key,
            lang=lang,
            slug=slug,
            title=title,
            subtitle=subtitle,
            author=author,
            category=labels.offsection_label if kind == "offsection" else labels.analytics_label,
            published=published,
            views=views,
            views_style=style,
            image=image,
            thumb=f"{SITE}/media/photos/normal/{md5}.webp",
            blocks=BodyWriter(lang, rng).write(),
            legacy=legacy,
            canonical=canonical,
            card_link=card_link,
            month_case=month_case,
            title_html=messy(title, rng, 0.2),
            subtitle_html=messy(subtitle, rng, 0.1) if subtitle else None,
            card_title_html=messy(title, rng, 0.1),
            kind=kind,
        )


@dataclass
class Site:
    """The replica's content and state: articles, listings, publishing, views, broken pages."""

    seed: int
    articles: list[Article]
    previews: list[Article]
    offsection: dict[str, list[Article]]
    factory: ArticleFactory
    #: The site's markup: "current" (docs/site.md) or "redesign" (`redesign.py`).
    markup: str = "current"
    broken_rate: float = 0.0
    #: Article key -> its defect (a DEFECTS kind), or None where it was fixed.
    defects: dict[int, str | None] = field(default_factory=dict)
    version: int = 0  # bumped by every change, so cached pages can be dropped
    _published: int = 0
    _round_robin: int = 0  # publications without a language: en, ru, hy, en...
    _by_path: dict[str, Article] = field(default_factory=dict)
    #: Language -> (version, its listing): built again only after a change.
    _listings: dict[str, tuple[int, list[Article]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for article in [*self.articles, *self.previews, *self.all_offsection()]:
            self._index(article)

    def _index(self, article: Article) -> None:
        self._by_path[unquote(article.path)] = article
        if article.numeric_path:
            self._by_path[article.numeric_path] = article
            self._by_path[article.numeric_path.rstrip("/")] = article

    def all_offsection(self) -> list[Article]:
        """Articles of other sections (linked from the 'most read' sidebar)."""
        return [a for lang in LANGS for a in self.offsection[lang]]

    # --- lookups --------------------------------------------------------------------------
    def article_at(self, path: str) -> Article | None:
        """The article served at a path (slug or numeric form, encoded or not)."""
        return self._by_path.get(unquote(path))

    def listing(self, lang: str) -> list[Article]:
        """The Analytics listing of a language, newest first (kept until the site changes:
        built for every listing page asked, it cost 0.14 s a page at 20,000 articles)."""
        cached = self._listings.get(lang)
        if cached is None or cached[0] != self.version:
            items = [a for a in self.articles if a.lang == lang and self.defect(a) != "removed"]
            cached = (self.version, sorted(items, key=lambda a: (a.published, a.key),
                                           reverse=True))
            self._listings[lang] = cached
        return list(cached[1])

    def listing_page(self, lang: str, page: int) -> list[Article]:
        """The cards of page `page` (1-based): empty past the end."""
        return self.listing(lang)[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]

    def defect(self, article: Article) -> str | None:
        """How the page of this article is served wrong (a fault until `fix`), or None."""
        if article.kind != "analytics":
            return None
        if article.key in self.defects:
            return self.defects[article.key]
        draw = random.Random(f"{self.seed}:broken:{unquote(article.path)}").random()
        return "broken" if draw < self.broken_rate else None

    # --- ground truth ---------------------------------------------------------------------
    def truth(self) -> list[dict[str, Any]]:
        """Records the crawler must produce: every healthy Analytics article, current views."""
        return [
            a.record()
            for lang in LANGS
            for a in self.listing(lang)
            if self.defect(a) is None
        ]

    def broken_urls(self) -> list[str]:
        """Canonical URLs of articles served with a defect: rejects, not records."""
        return [a.url for a in self.articles if self.defect(a) is not None]

    def disallowed_urls(self) -> list[str]:
        """URLs linked from the site that robots.txt forbids: the crawler must never ask them."""
        return [*(a.url for a in self.previews), f"{SITE}/search?q="]

    def offsection_urls(self) -> list[str]:
        """Article URLs outside the Analytics section (sidebar links): not records."""
        return [a.url for a in self.all_offsection()]

    # --- changes --------------------------------------------------------------------------
    def publish(self, count: int = 1, lang: str | None = None) -> list[Article]:
        """Publish `count` new articles on top of the listings (languages round-robin)."""
        if lang is not None and lang not in LANGS:
            raise ValueError(f"unknown language {lang!r}")
        newest = max((a.published for a in self.articles), default=LAST_DATE)
        new: list[Article] = []
        for _ in range(count):
            rng = random.Random(f"{self.seed}:publish:{self._published}")
            this_lang = lang or LANGS[self._round_robin % len(LANGS)]
            self._round_robin += lang is None
            newest += timedelta(minutes=rng.randint(3, 90))
            key = len(self.articles) + len(self.previews) + len(self.all_offsection())
            article = self.factory.make(key, this_lang, newest, rng)
            self.articles.append(article)
            self._index(article)
            new.append(article)
            self._published += 1
        self.version += 1
        return new

    def raise_views(self, delta: int) -> int:
        """Add `delta` to the views of every article showing a counter; returns how many."""
        changed = [a for a in self.articles if a.views is not None]
        for article in changed:
            article.views = (article.views or 0) + delta
        self.version += 1
        return len(changed)

    def edit(self, path: str, kind: str) -> None:
        """The site edits the article at `path`: `content` adds to its title and appends a
        paragraph to its body; `whitespace` serves its title and body with other spacing
        only (more spaces and line breaks between words: the same record)."""
        article = self.article_at(path.split("?", 1)[0])
        if article is None or article.kind != "analytics" or kind not in EDITS:
            raise ValueError(f"edit {kind!r}@{path}: no such edit or Analytics article")
        if kind == "content":
            article.title = f"{article.title} (updated)"
            article.title_html = article.card_title_html = escape(article.title)
            note = f"Update: this analysis was revised on day {self.version}."
            article.blocks = (*article.blocks, Block(f"<p>{escape(note)}</p>", (note,)))
        else:
            article.title_html = f"\n   {_spaced(article.title_html)}  \n"
            article.blocks = tuple(Block(_spaced(block.html), block.paragraphs, block.bare)
                                   for block in article.blocks)
        self.version += 1

    def set_broken(self, rate: float, defects: dict[str, str]) -> None:
        """Serve a fraction of article pages broken, and each article at a path of
        `defects` with its defect (`broken`, `nodate` or `gone`)."""
        self.broken_rate = rate
        for path, kind in defects.items():
            self.set_defect(path, kind)
        self.version += 1

    def set_defect(self, path: str, kind: str | None) -> None:
        """Serve the Analytics article at `path` with defect `kind`; None: fix it (the
        article is served whole again, even where the broken rate picked it)."""
        article = self.article_at(path.split("?", 1)[0])
        if article is None or article.kind != "analytics":
            raise ValueError(f"{kind or 'fix'}@{path}: no Analytics article at that path")
        if kind is not None and kind not in DEFECTS:
            raise ValueError(f"unknown defect {kind!r}; known: {', '.join(DEFECTS)}")
        self.defects[article.key] = kind
        self.version += 1


def _spaced(markup: str) -> str:
    """``markup`` with every space between words of its text widened to spaces and a line
    break (tags and attributes untouched)."""
    return re.sub(r"(^|>)([^<]+)", lambda m: m.group(1) + m.group(2).replace(" ", "  \n  "),
                  markup)


def language_order(articles: int, per_lang: dict[str, int] | None = None) -> list[str]:
    """The language of each article: round-robin en, ru, hy, or round-robin over the
    languages that still have articles left of `per_lang` (then `articles` is ignored)."""
    if not per_lang:
        return [LANGS[i % len(LANGS)] for i in range(articles)]
    unknown = set(per_lang) - set(LANGS)
    if unknown:
        raise ValueError(f"unknown languages {sorted(unknown)}; known: {', '.join(LANGS)}")
    left = {lang: per_lang.get(lang, 0) for lang in LANGS}
    order: list[str] = []
    while any(left.values()):
        for lang in LANGS:
            if left[lang]:
                order.append(lang)
                left[lang] -= 1
    return order


def make_rare(articles: list[Article], fields: tuple[str, ...]) -> None:
    """Keep each of `fields` (record names, RARE_FIELDS) on one article in RARE_EVERY only."""
    for name in fields:
        if name not in RARE_FIELDS:
            raise ValueError(f"unknown rare field {name!r}; known: {', '.join(RARE_FIELDS)}")
        for article in articles:
            if article.key % RARE_EVERY != RARE_EVERY - 1:
                for attribute in RARE_FIELDS[name]:
                    setattr(article, attribute, None)


def build_site(seed: int, articles: int, per_lang: dict[str, int] | None = None,
               rare_fields: tuple[str, ...] = (), markup: str = "current") -> Site:  # fmt: skip
    """Generate `articles` Analytics articles (languages round-robin; or `per_lang` of each),
    plus previews/off-section; `rare_fields` are kept on one article in RARE_EVERY; `markup`
    the site's markup (the same articles either way)."""
    langs = language_order(articles, per_lang)
    articles = len(langs)
    date_rng = random.Random(f"{seed}:dates")
    dates: list[datetime] = []
    seen: set[datetime] = set()
    while len(dates) < articles:
        local = _draw_date(date_rng, summer_time=len(dates) % 9 == 4)
        if local not in seen:
            seen.add(local)
            dates.append(local)
    factory = ArticleFactory(seed)
    made = [
        factory.make(i, langs[i], dates[i], random.Random(f"{seed}:article:{i}"))
        for i in range(articles)
    ]
    make_rare(made, rare_fields)
    _number_older(made, random.Random(f"{seed}:numbers"))
    extra = articles

    def extras(lang: str, kind: str, n: int) -> list[Article]:
        nonlocal extra
        out = []
        for _ in range(n):
            rng = random.Random(f"{seed}:{kind}:{extra}")
            out.append(factory.make(extra, lang, _draw_date(rng, False), rng, kind))
            extra += 1
        return out

    previews = extras("en", "preview", len(PREVIEW_POSITIONS))
    offsection = {lang: extras(lang, "offsection", 5) for lang in LANGS}
    return Site(seed, made, previews, offsection, factory, markup)


def _number_older(articles: list[Article], rng: random.Random) -> None:
    """Give about half of the older-template articles a numeric URL; link a few cards to it."""
    for rank, article in enumerate(sorted(articles, key=lambda a: (a.published, a.key))):
        if article.legacy and article.canonical and rng.random() < 0.5:
            article.numeric_id = 100_000 + rank * 17 + rng.randint(0, 16)
            if rng.random() < 0.5:
                article.card_link = "numeric"
