"""HTML of the replica: article pages (current and older template), listings, robots.txt.

Markup follows the samples in tests/samples verbatim (header, sidebar, footer, card, post);
pages depend only on the Site's data, never on the server (port, time), so they are
byte-identical for the same seed.
"""

from __future__ import annotations

from datetime import datetime

from . import redesign
from .assets import FOOT_SCRIPT, HEAD_STYLE
from .generator import PREVIEW_POSITIONS, Article, Site
from .lang import LANG, SITE, Lang
from .markup import attr

ROBOTS_TXT = """User-agent: *
Disallow: /search
Disallow: /en/post/preview-
Disallow: /admin/
Disallow: /__replica__/
"""
SOCIALS = "".join(
    f'<a class="social_link" href="https://{site}.com/caliberaz" rel="nofollow">{site}</a>'
    for site in ("twitter", "youtube", "instagram", "facebook", "telegram")
)
APPS = (
    '<a href="https://apps.apple.com/app/caliber">apple store</a>'
    '<a href="https://play.google.com/store/apps/caliber">play market</a>'
)
SHARE = (
    '<div class="post_share"><span>Liked the story? Share it on social media!</span>'
    '<a class="print_link" href="javascript:window.print()">print</a>'
    '<button class="copy_link">copy link</button><span class="copied">Ссылка скопирована</span>'
    "</div>\n"
    '<div class="ads_block"><ins class="adsbygoogle" data-ad-slot="8821"></ins>'
    "<script>(adsbygoogle=window.adsbygoogle||[]).push({});</script></div>\n"
)
FOOTER_SCRIPTS = (
    '<script src="https://caliber.az/templates/Default/js/app.js?v=3.41"></script>\n'
    "<script>document.querySelectorAll('.copy_link').forEach(function(b){b.onclick=function()"
    "{navigator.clipboard.writeText(location.href);}});</script>\n"
)
CATEGORY_SUB = "Analytical materials of the authors of Caliber.az"


def format_date(when: datetime, lang: str, legacy: bool = False, case: str = "title") -> str:
    """A date as the page shows it: `14 May 2025 15:04`, older `25 November 2022 - 16:39`."""
    month = LANG[lang].months[when.month - 1]
    month = month.lower() if case == "lower" else month.upper() if case == "upper" else month
    sep = " - " if legacy else " "
    return f"{when.day:02d} {month} {when.year}{sep}{when.hour:02d}:{when.minute:02d}"


def format_views(views: int, style: str) -> str:
    """The counter's number with the article's thousands separator."""
    digits = str(views)
    groups: list[str] = []
    while digits:
        groups.insert(0, digits[-3:])
        digits = digits[:-3]
    sep = {"space": " ", "nbsp": "\u00a0", "nbsp_entity": "&nbsp;", "comma": ",", "dot": "."}
    return sep.get(style, "").join(groups)


def head(lang: Lang, title: str, canonical: str | None, describe: bool = True,
         links: str = "") -> str:  # fmt: skip
    """`<head>`: title, description, og tags, canonical/og:url, `links`, theme CSS, scripts."""
    meta = ""
    if describe:
        t = attr(title)
        meta = (
            f"<title>{t} | Caliber.Az</title>\n"
            f'<meta name="description" content="{t}">\n'
            f'<meta property="og:title" content="{t}">\n'
        )
    link = ""
    if canonical:
        link = (
            f'<link rel="canonical" href="{canonical}">\n'
            f'<meta property="og:url" content="{canonical}">\n'
        )
    return (
        f'<!DOCTYPE html>\n<html lang="{lang.html_lang}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'{meta}<meta property="og:site_name" content="Caliber.Az">\n{link}{links}'
        '<link rel="stylesheet" href="https://caliber.az/templates/Default/css/style.css?v=3.41">\n'
        f'<script>window.__APP__={{"lang":"{lang.code}","theme":"light","ads":true}};</script>\n'
        '<script async src="https://www.googletagmanager.com/gtag/js?id=G-CALIBER"></script>\n'
        f"{HEAD_STYLE}\n</head>\n"
    )


def header(lang: Lang) -> str:
    """Site header: socials, logo, language switcher, search, menu."""
    switch = "".join(
        f'<a class="lang_link" href="{SITE}/{prefix}">{label}</a>'
        for label, prefix in lang.lang_switch
    )
    cat = f"{SITE}/{lang.prefix}category/"
    return (
        '<body class="light_theme">\n<header class="header">\n  <div class="header_top">\n'
        f'    <div class="header_socials">{SOCIALS}{APPS}</div>\n'
        f'    <div class="header_logo"><a href="{lang.home}">'
        f'<img src="{SITE}/templates/Default/img/logo.svg" alt="Caliber.Az"></a></div>\n'
        '    <div class="header_actions">\n'
        '      <button class="header_button theme_button">night_theme</button>\n'
        f'      <div class="lang_switch">{switch}</div>\n'
        '      <button class="header_button search_button">search</button>\n'
        "    </div>\n  </div>\n"
        '  <div class="search_popup"><div class="input_block"><input type="text" placeholder='
        f'"{lang.search_placeholder}"></div><a class="search_all" href="{SITE}/search?q=">'
        "&#128269;</a></div>\n"
        '  <nav class="menu"><ul>\n'
        f'    <li><a href="{cat}politics">POLITICS</a></li>\n'
        f'    <li><a href="{cat}economy">ECONOMICS</a></li>\n'
        f'    <li><a href="{cat}{lang.analytics_slug}">{lang.analytics_label}</a></li>\n'
        f'    <li><a href="{cat}interview">INTERVIEWS</a></li>\n'
        "  </ul></nav>\n</header>\n"
    )


def sidebar(site: Site, lang: Lang) -> str:
    """The 'most read' sidebar: `/post/` links that are not Analytics cards."""
    items = "".join(
        f'<li><a href="{a.url}">{a.card_title_html}</a></li>' for a in site.offsection[lang.code]
    )
    return (
        '<aside class="sidebar"><div class="sidebar_title">TOP NEWS</div>'
        f'<ul class="most_read">{items}</ul></aside>\n'
    )


def footer(lang: Lang) -> str:
    """Footer text, copyright and the page's scripts (the bulky bundle included)."""
    return (
        '</main>\n<footer class="footer">\n'
        f'  <div class="footer_text">{lang.footer_text}</div>\n'
        '  <div class="footer_copy">Caliber.az &copy; 2025. .</div>\n</footer>\n'
        f"{FOOTER_SCRIPTS}{FOOT_SCRIPT}\n</body>\n</html>\n"
    )


def page(site: Site, lang: Lang, main: str, title: str, canonical: str | None,
         describe: bool = True, links: str = "") -> bytes:  # fmt: skip
    """A whole page around the `<main>` content (`links`: more `<link>`s in the head)."""
    html = head(lang, title, canonical, describe, links) + header(lang) + '<main class="main">\n'
    return (html + main + sidebar(site, lang) + footer(lang)).encode()


def post_block(site: Site, a: Article, dated: bool = True) -> str:
    """The `.post` block of an article, current or older template (`dated`: with its date)."""
    lang = LANG[a.lang]
    font = '<div class="post_font"><button class="font_plus">A+</button>'
    font += '<button class="font_minus">A-</button></div>\n'
    cover = ""
    if a.image:
        cover = f'<div class="post_cover" style="background-image:url({a.image})"></div>\n'
    category = f'<div class="post_categoty">{a.category}</div>\n'
    title = f'<h1 class="post_title">{a.title_html}</h1>\n'
    subtitle = f'<div class="post_subtitle">{a.subtitle_html}</div>\n' if a.subtitle_html else ""
    author = f'<div class="post_author">{a.author}</div>\n' if a.author else ""
    date = format_date(a.published, a.lang, a.legacy, a.month_case)
    when = f'<div class="post_time">{date}</div>\n' if dated else ""
    body = f'<div class="post_body">{a.body_html}</div>\n'
    hits, counter = "", None
    if a.views is not None:
        counter = f"{lang.views_label} {format_views(a.views, a.views_style)}"
        hits = f'<div class="post_hits">{counter}</div>\n'
    if a.legacy:
        top = font + title + subtitle + category + author + when
    else:
        top = cover + category + font + title + subtitle + when
    related = (
        f'<div class="related"><div class="related_title">{lang.analytics_label}</div>'
        f'<div class="related_sub">{CATEGORY_SUB}</div>'
        '<div class="related_list" data-load="more">loading</div></div>\n'
    )
    if site.markup == "redesign":
        return redesign.story(a, date if dated else "", counter, SHARE, related)
    signature = '<div class="post_signature">Caliber.Az</div>\n'
    return f'<div class="post">\n{top}{body}{signature}{hits}{SHARE}{related}</div>\n'


def broken_post_block(a: Article) -> str:
    """A broken page: no title, no date, the body cut off mid-paragraph, tags left open."""
    cut = a.body_html[: len(a.body_html) // 3]
    return (
        f'<div class="post">\n<div class="post_categoty">{a.category}</div>\n'
        f'<div class="post_body">{cut}\n<div class="post_signature">Caliber.Az</div>\n'
    )


def render_article(site: Site, a: Article) -> bytes:
    """The page of an article (broken, or without its date, if the site says so)."""
    lang = LANG[a.lang]
    defect = site.defect(a)
    if defect == "broken":
        return page(site, lang, broken_post_block(a), a.title, None, describe=False)
    block = post_block(site, a, dated=defect != "nodate")
    if site.markup == "redesign":
        return page(site, lang, block, a.title, a.url if a.canonical else None,
                    describe=redesign.structured_kind(a) != "none", links=redesign.head_data(a))
    return page(site, lang, block, a.title, a.url if a.canonical else None)


def card_href(a: Article) -> str:
    """Where a card links: absolute (also on www), relative, numeric or unencoded Armenian."""
    if a.kind != "analytics":
        return a.url
    if a.card_link == "www":
        return f"https://www.caliber.az{a.path}"
    if a.card_link == "rel":
        return a.path
    if a.card_link == "numeric" and a.numeric_path:
        return SITE + a.numeric_path
    if a.card_link == "raw":
        return f"{SITE}/{LANG[a.lang].prefix}post/{a.slug}"
    return a.url


def card(a: Article, markup: str = "current") -> str:
    """A listing card, verbatim the sample's `.float_block` (or the redesign's)."""
    href = card_href(a)
    lang = LANG[a.lang]
    if markup == "redesign":
        return redesign.card(a, href, format_date(a.published, a.lang, case=a.month_case))
    return (
        '<div class="float_block">\n'
        f'  <a href="{href}">\n    <div class="float_block_image_block">\n'
        f'      <div class="float_block_image" style="background-image:url({a.thumb})"></div>\n'
        "    </div>\n  </a>\n"
        f'  <a href="{href}">\n    <h2 class="float_block_title">{a.card_title_html}</h2>\n  </a>\n'
        '  <div class="float_block_bottom">\n'
        f'    <a href="{SITE}/{lang.listing_path.lstrip("/")}"><div class="float_block_category">'
        f"{lang.analytics_label}</div></a>\n"
        f'    <div class="float_block_time">{format_date(a.published, a.lang, case=a.month_case)}'
        "</div>\n  </div>\n</div>\n"
    )


#: The end of the sample's listing: a script loads more cards; no URL in the markup.
SCRIPTED_LOAD_MORE = '<div class="load_more" data-page="next">loading</div>'


def render_listing(site: Site, lang_code: str, page_no: int, links: str = "",
                   tail: str = SCRIPTED_LOAD_MORE, cards: list[Article] | None = None,
                   ) -> bytes | None:  # fmt: skip
    """Listing page `page_no` of a language; None when en is past the end (a 404).

    `links` go into the head (`rel=next`), `tail` after the cards (pager, load-more element);
    `cards` instead of the page's 18 (a site of shorter pages).
    """
    lang = LANG[lang_code]
    cards = site.listing_page(lang_code, page_no) if cards is None else cards
    if not cards and page_no > 1 and lang_code == "en":
        return None
    html = [card(a, site.markup) for a in cards]
    if lang_code == "en" and page_no == 1:
        for pos, preview in zip(PREVIEW_POSITIONS, site.previews, strict=False):
            html.insert(min(pos, len(html)), card(preview, site.markup))
    if site.markup == "redesign":
        main = redesign.listing(lang.analytics_label, CATEGORY_SUB, "".join(html), tail)
        return page(site, lang, main, lang.analytics_label, None, links=links)
    main = (
        f'<div class="category_page"><h1 class="category_title">{lang.analytics_label}</h1>'
        f'<div class="category_sub">{CATEGORY_SUB}</div><div class="float_blocks">\n'
        f'{"".join(html)}</div>{tail}</div>\n'
    )
    return page(site, lang, main, lang.analytics_label, None, links=links)


def render_simple(site: Site, lang_code: str, heading: str) -> bytes:
    """A small page with the site's chrome (search results, not found)."""
    lang = LANG[lang_code]
    main = f'<div class="category_page"><h1 class="category_title">{heading}</h1></div>\n'
    return page(site, lang, main, heading, None)


def render_home(site: Site, lang_code: str) -> bytes:
    """A language's home page: the site's chrome (its menu links the sections) and the
    newest Analytics cards."""
    lang = LANG[lang_code]
    cards = "".join(card(a, site.markup) for a in site.listing_page(lang_code, 1)[:6])
    main = (f'<div class="home_page"><div class="float_blocks">\n{cards}</div></div>\n')
    return page(site, lang, main, "Caliber.Az", f"{lang.home}")
