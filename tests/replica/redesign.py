"""The replica's `--markup redesign`: the same articles after a redesign of the site's markup.

Every class of the listing, the card and the article is renamed (`.feed-card`, `.story__*`),
the date and the views counter move into a new `.story__meta` line, the cover becomes an
`<img>` in a `<figure>`. The site's own rules stay: article paths, dates in the language's
month names, the views label, the section label, the signature, the chrome (`header`, `nav`,
`aside`, `footer`). Structured data differ by article (`structured_kind`): a third carry
JSON-LD and OpenGraph (and `<time datetime>`), a third OpenGraph and `article:*` meta only,
a third nothing at all (no `<title>` or meta either), as the live site's current pages.

The selectors that read this markup (for `scrapy reextract -s ANALYTICS_SELECTORS=...`) are
`SELECTORS`; the truth is the generator's, as for the current markup.
"""

from __future__ import annotations

import json

from .generator import Article, baku_iso
from .lang import LANG, SITE
from .markup import attr

#: The markups the replica serves (`--markup`).
MARKUPS: tuple[str, ...] = ("current", "redesign")
#: The structured data an article of the redesign carries, by `key // 3 % 3` (each language
#: has all three: its articles' keys go round-robin).
STRUCTURED_KINDS: tuple[str, ...] = ("json-ld", "opengraph", "none")
#: `ANALYTICS_SELECTORS` that read the redesign (the keys the redesign broke).
SELECTORS: dict[str, str] = {
    "card": "article.feed-card", "card_link": "a.feed-card__link[href]",
    "card_title": ".feed-card__title", "card_time": ".feed-card__date",
    "title": ".story__headline", "subtitle": ".story__lead", "category": ".story__rubric",
    "date": ".story__date", "author": ".story__byline", "cover": ".story__image::attr(src)",
    "views": ".story__views", "body": ".story__text",
}


def structured_kind(a: Article) -> str:
    """Which structured data the article's page carries."""
    return STRUCTURED_KINDS[a.key // 3 % len(STRUCTURED_KINDS)]


def head_data(a: Article) -> str:
    """The structured data of the article's `<head>` (JSON-LD, `article:*` and og:image)."""
    kind = structured_kind(a)
    if kind == "none":
        return ""
    meta = (f'<meta property="og:type" content="article">\n'
            f'<meta property="article:published_time" content="{baku_iso(a.published)}">\n'
            f'<meta property="article:section" content="{attr(a.category)}">\n')
    if a.image:
        meta += f'<meta property="og:image" content="{a.image}">\n'
    if kind == "opengraph":
        return meta
    data: dict[str, object] = {
        "@context": "https://schema.org", "@type": "NewsArticle", "headline": a.title,
        "datePublished": baku_iso(a.published), "articleSection": a.category,
        "mainEntityOfPage": a.url, "inLanguage": LANG[a.lang].html_lang,
    }
    if a.subtitle:
        data["alternativeHeadline"] = a.subtitle
    if a.author:
        data["author"] = {"@type": "Person", "name": a.author}
    if a.image:
        data["image"] = [a.image]
    if a.views is not None:
        data["interactionStatistic"] = {"@type": "InteractionCounter",
                                        "interactionType": "https://schema.org/ReadAction",
                                        "userInteractionCount": a.views}
    script = json.dumps(data, ensure_ascii=False).replace("</", "<\\/")
    return meta + f'<script type="application/ld+json">{script}</script>\n'


def story(a: Article, date: str, views: str | None, share: str, related: str) -> str:
    """The redesigned article block; `date` as shown (empty: the page lost it), `views`
    the counter's text or None."""
    cover = ""
    if a.image:
        cover = (f'<figure class="story__media"><img class="story__image" src="{a.image}" '
                 'alt=""></figure>\n')
    rubric = (f'<a class="story__rubric" href="{SITE}/{LANG[a.lang].listing_path.lstrip("/")}">'
              f"{a.category}</a>\n")
    headline = f'<h1 class="story__headline">{a.title_html}</h1>\n'
    lead = f'<p class="story__lead">{a.subtitle_html}</p>\n' if a.subtitle_html else ""
    byline = f'<div class="story__byline">{a.author}</div>\n' if a.author else ""
    when = ""
    if date and structured_kind(a) == "json-ld":
        when = f'<time class="story__date" datetime="{baku_iso(a.published)}">{date}</time>'
    elif date:
        when = f'<span class="story__date">{date}</span>'
    counter = (f'<span class="story__views"><i class="icon-eye"></i>{views}</span>'
               if views else "")
    meta = f'<div class="story__meta">{when}{counter}</div>\n'
    top = headline + lead + rubric + byline if a.legacy else cover + rubric + headline + lead
    return (f'<article class="story">\n{top}{meta}<div class="story__text">{a.body_html}</div>\n'
            f'<div class="story__signature">Caliber.Az</div>\n{share}{related}</article>\n')


def card(a: Article, href: str, date: str) -> str:
    """A redesigned listing card."""
    lang = LANG[a.lang]
    return (
        '<article class="feed-card">\n'
        f'  <a class="feed-card__media" href="{href}"><img src="{a.thumb}" alt=""></a>\n'
        '  <div class="feed-card__body">\n'
        f'    <a class="feed-card__rubric" href="{SITE}/{lang.listing_path.lstrip("/")}">'
        f"{lang.analytics_label}</a>\n"
        f'    <a class="feed-card__link" href="{href}"><h3 class="feed-card__title">'
        f"{a.card_title_html}</h3></a>\n"
        f'    <span class="feed-card__date">{date}</span>\n  </div>\n</article>\n'
    )


def listing(label: str, sub: str, cards: str, tail: str) -> str:
    """The redesigned listing's content around its cards."""
    return (f'<section class="rubric-feed"><h1 class="rubric-feed__title">{label}</h1>'
            f'<div class="rubric-feed__sub">{sub}</div><div class="feed">\n{cards}</div>'
            f"{tail}</section>\n")
