"""Everything the crawler knows about caliber.az, in one place.

``docs/site.md`` says where each fact comes from. Those marked *assumed* there are defaults of
``ANALYTICS_*`` settings (see ``SiteProfile.from_settings``) so that a user who can
see the live site can correct them without touching the parser.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

#: Languages of the section, in crawl order (ISO 639-1, as in the record's ``lang``).
LANGUAGES: tuple[str, ...] = ("en", "ru", "hy")

#: Path prefix of each language (seen). Russian lives at the root.
LANGUAGE_PREFIXES: Mapping[str, str] = {"en": "/en/", "ru": "/", "hy": "/arm/"}

#: Origin that every record's ``url`` is written with, whatever host served the page.
CANONICAL_ORIGIN = "https://caliber.az"

#: Hosts that are the site itself (seen); links to them are mapped onto ``base_url``.
SITE_HOSTS: frozenset[str] = frozenset({"caliber.az", "www.caliber.az"})

#: Time zone of every date the site shows (pages carry no offset).
TIMEZONE = "Asia/Baku"

#: Article path segment after the language prefix (seen): ``/en/post/<slug>``.
ARTICLE_PATH_SEGMENT = "post"

# --- assumed facts: defaults of settings --------------------------------------------

#: Analytics section listing path per language (assumed; ``ANALYTICS_SECTION_PATHS``).
SECTION_PATHS: Mapping[str, str] = {
    "en": "/en/category/analytics",
    "ru": "/category/analitika",
    "hy": "/arm/category/analytics",
}

#: Label of the section's link in each language's menu (en seen there; ru, hy seen as the
#: section's label, assumed in the menu; ``ANALYTICS_SECTION_LABELS``): ``scrapy sitecheck``
#: finds the listing path by it on the home pages.
SECTION_LABELS: Mapping[str, str] = {"en": "ANALYTICS", "ru": "АНАЛИТИКА", "hy": "ՎԵՐԼՈՒԾՈՒԹՅՈՒՆ"}

#: URL of listing batch N >= 2 (assumed; ``ANALYTICS_PAGE_URL``), used only where the
#: listing's first page links no next page itself. Placeholders: ``PAGE_URL_FIELDS``.
PAGE_URL = "{path}?page={n}"

#: What the placeholders of ``PAGE_URL`` stand for (``crawler.urls.page_url`` fills them in).
PAGE_URL_FIELDS: Mapping[str, str] = {
    "path": "the language's section path (ANALYTICS_SECTION_PATHS)",
    "n": "the number of the batch (page 1 is the section path itself)",
    "offset": "cards before this batch: (n - 1) * ANALYTICS_PAGE_SIZE",
    "limit": "ANALYTICS_PAGE_SIZE",
    "lang": "the language code (en, ru, hy)",
    "slug": "the section's slug, the last segment of its path (analytics, analitika)",
    "cursor": "what the batch before gave as the way on (ANALYTICS_JSON_PATHS cursor; empty "
              "after page 1)",
}

#: Templates of batch N the site is known to have used (assumed): ``scrapy sitecheck`` tries
#: them, one request each, when page 1 links no next batch and ``ANALYTICS_PAGE_URL`` brings
#: no new cards. The query (the default), path pages, and the older back
#: end's JSON route ``category/{slug}/posts`` (its ``/api/{lang}/`` prefix assumed).
PAGE_URL_CANDIDATES: tuple[str, ...] = (
    PAGE_URL, "{path}/page/{n}", "/api/{lang}/category/{slug}/posts?limit={limit}&page={n}",
)

#: Cards on a full listing page (assumed, as the older back end had; ``ANALYTICS_PAGE_SIZE``).
#: Used in messages only: a walk never ends on a page's size.
PAGE_SIZE = 18

#: Languages whose section has one listing page only (none assumed; the operator's
#: ``ANALYTICS_ONE_PAGE_LANGUAGES``): their walk ends after page 1 unless it links more.
ONE_PAGE_LANGUAGES: tuple[str, ...] = ()

#: Where a JSON batch's card fields are (assumed; ``ANALYTICS_JSON_CARD_FIELDS``): card
#: attribute -> key in each object of ``result`` (dots reach into nested objects). The
#: shape is the older back end's: ``{"result": [{...one object per card...}], "pages_left": N}``.
JSON_CARD_FIELDS: Mapping[str, str] = {"href": "url", "title": "title", "date_text": "date"}
JSON_RESULT_KEY = "result"
JSON_PAGES_LEFT_KEY = "pages_left"

#: Where a JSON batch keeps its cards, its way on and its "nothing left" (assumed, the older
#: back end's shape; ``ANALYTICS_JSON_PATHS``): ``cards`` the path of the list of card
#: objects, ``cursor`` of the text the next batch's ``{cursor}`` is (unset: none), ``last``
#: a rule that is true on the last batch (``PATH=VALUE`` with a JSON value, or ``PATH``: true).
JSON_PATHS: Mapping[str, str] = {"cards": JSON_RESULT_KEY, "cursor": "",
                                 "last": f"{JSON_PAGES_LEFT_KEY}=0"}

#: How a batch built from ``ANALYTICS_PAGE_URL`` is asked for (``ANALYTICS_BATCH_METHOD``).
BATCH_METHODS: tuple[str, ...] = ("GET", "POST")

#: Label before the views counter (en, ru seen; hy assumed; ``ANALYTICS_VIEWS_LABELS``).
#: Only ``scrapy sitecheck`` reads it (the counter must start with it): the views parser takes
#: the counter's number whatever the label, so a wrong label changes no record.
VIEWS_LABELS: Mapping[str, str] = {"en": "Views", "ru": "Просмотров", "hy": "Դիտումներ"}

#: CSS selectors of the listing and article markup (``ANALYTICS_SELECTORS`` overrides
#: any of them). All seen, except ``subtitle`` and ``author`` (assumed class names);
#: ``nav_link`` is the home page's menu, read by ``scrapy sitecheck`` only.
SELECTORS: Mapping[str, str] = {
    "card": "div.float_block",
    "card_link": "a[href]",
    "card_title": ".float_block_title",
    "card_time": ".float_block_time",
    # The listing's own ways to its next batch, in the order they are preferred
    # (``crawler.pages.listing.ListingPage.next_link``); none is seen on the site's page 1
    # today, which ends in a script-driven ``div.load_more`` without a URL.
    "rel_next": "link[rel~=next][href], a[rel~=next][href]",
    "pager": ".pagination, .pager, .pages, .page-numbers, .paging, .page_nav",
    "pager_next": (".pagination a.next, .pager a.next, .pages a.next, .page-numbers.next, "
                   "a.next_page, a.page_next, .pagination li.next > a, .pager li.next > a"),
    # Known "more" markup, the site's own ``div.load_more[data-page=next]`` (seen: script-
    # driven, no URL) among it; any other element is a control by its label or the listing
    # URL it carries (``crawler.pages.listing``), whatever its class.
    "load_more": ".load_more, .load-more, .loadmore, .show_more, .show-more, [data-load-more]",
    "canonical": "link[rel=canonical]::attr(href)",
    "og_url": "meta[property='og:url']::attr(content)",
    "title": ".post_title",
    "title_fallback": "h1",
    "subtitle": ".post_subtitle",
    "category": ".post_categoty, .post_category",
    "date": ".post_time",
    "author": ".post_author",
    "cover": ".post_cover::attr(style)",
    "views": ".post_hits",
    "body": ".post_body",
    "nav_link": "nav a[href]",
}

#: The record's fields each selector key of ``SELECTORS`` gives (the article's and the cards'):
#: a fallback layer's field names the selectors to correct in ``ANALYTICS_SELECTORS``.
FIELD_SELECTORS: Mapping[str, tuple[str, ...]] = {
    "title": ("title", "title_fallback"), "subtitle": ("subtitle",), "date": ("date",),
    "category": ("category",), "views": ("views",), "body": ("body",), "author": ("author",),
    "image": ("cover",), "cards": ("card", "card_link", "card_title", "card_time"),
}

#: The layers a field can come from, in the order they are tried (``crawler.pages.chain``):
#: the selectors above, the page's structured data (JSON-LD, OpenGraph and ``article:*``
#: meta, ``<title>``, ``<time datetime>``), a finder by the site's own rules (below).
LAYERS: tuple[str, ...] = ("selector", "structured", "finder")

# --- the site's own rules, which no redesign of its markup changes (the finder's) ----------
#: What ends the page's ``<title>`` after the article's title (seen on the older front end).
TITLE_SUFFIXES: tuple[str, ...] = (" | Caliber.Az", " - Caliber.Az")
#: The signature line after every body (seen): never body text.
SIGNATURE = "Caliber.Az"
#: The page's chrome: the site's header, menus, "most read" sidebar and footer, never an
#: article's text nor a listing's card (seen as these elements on the current front end).
CHROME_TAGS: tuple[str, ...] = ("header", "nav", "aside", "footer")
#: The covers' image folder (seen); body images live there too, so only an image before the
#: title is the cover.
COVER_PATH = "/media/photos/original/"

#: Texts of a pager's "next" link, case-folded, arrows around them ignored ("Next »"),
#: besides the ``pager_next`` selector.
PAGER_NEXT_LABELS: frozenset[str] = frozenset(
    {"next", "next page", "следующая", "следующая страница", "далее", "вперёд", "вперед",
     "հաջորդ", "հաջորդը", "հաջորդ էջ"}
)
#: Arrows a pager's "next" link may show instead of a word, or around it.
PAGER_NEXT_ARROWS = "»\u203a→>"

#: Texts of a "more" control (a button or link that loads the next cards), case-folded,
#: in the three languages (en, ru seen on news sites of the region; hy assumed). Together
#: with ``PAGER_NEXT_LABELS`` they make an element a control whatever its class.
MORE_LABELS: frozenset[str] = frozenset(
    {"more", "show more", "load more", "more news", "more articles", "see more", "view more",
     "ещё", "еще", "показать ещё", "показать еще", "загрузить ещё", "загрузить еще",
     "больше", "показать больше", "больше новостей", "ещё новости", "еще новости",
     "ավելին", "ավելի շատ", "ցույց տալ ավելին", "բեռնել ավելին", "տեսնել ավելին",
     "ավելի շատ նորություններ"}
)
#: Tags that are never a control, whatever their text or attributes.
NOT_CONTROL_TAGS: frozenset[str] = frozenset(
    {"script", "style", "noscript", "template", "head", "meta", "link", "img", "iframe",
     "svg", "source", "picture", "video", "audio", "html", "body"}
)
#: Path endings of files, never a batch of cards (a ``data-src`` image, a script).
ASSET_SUFFIXES: tuple[str, ...] = (".jpg", ".jpeg", ".png", ".gif", ".webp", ".svg", ".ico",
                                   ".css", ".js", ".woff", ".woff2", ".mp4", ".pdf")

#: Elements inside ``.post_body`` that are not article text (seen).
NON_ARTICLE_TAGS: frozenset[str] = frozenset(
    {"script", "style", "iframe", "ins", "noscript", "img", "svg", "video", "audio", "object",
     "embed", "picture", "source"}
)
#: Class-name fragments of ad blocks inside the body (seen: ``banner``, ``advert``, ``reklam``).
NON_ARTICLE_CLASS_FRAGMENTS: tuple[str, ...] = ("banner", "advert", "reklam")

#: Tags that make a paragraph of the body (docs/record.md); everything else is inline.
BLOCK_TAGS: frozenset[str] = frozenset(
    {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "blockquote",
     "section", "article", "table", "tr", "td", "th", "pre", "dl", "dt", "dd", "hr",
     "header", "footer", "aside", "center"}
)

#: Month names as the site writes them (en nominative, ru/hy genitive), by month number.
MONTH_NAMES: Mapping[str, tuple[str, ...]] = {
    "en": ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"),
    "ru": ("Января", "Февраля", "Марта", "Апреля", "Мая", "Июня", "Июля", "Августа",
           "Сентября", "Октября", "Ноября", "Декабря"),
    "hy": ("Հունվարի", "Փետրվարի", "Մարտի", "Ապրիլի", "Մայիսի", "Հունիսի", "Հուլիսի",
           "Օգոստոսի", "Սեպտեմբերի", "Հոկտեմբերի", "Նոյեմբերի", "Դեկտեմբերի"),
}

#: Every month name of every language, case-folded, to its number (the tables are disjoint).
MONTHS_BY_NAME: Mapping[str, int] = {
    name.casefold(): number
    for names in MONTH_NAMES.values()
    for number, name in enumerate(names, start=1)
}


@dataclass(frozen=True)
class SiteProfile:
    """The site facts a run works with: the defaults above, corrected by settings."""

    section_paths: Mapping[str, str] = field(default_factory=lambda: dict(SECTION_PATHS))
    page_url: str = PAGE_URL
    page_size: int = PAGE_SIZE
    one_page_languages: frozenset[str] = frozenset(ONE_PAGE_LANGUAGES)
    json_card_fields: Mapping[str, str] = field(default_factory=lambda: dict(JSON_CARD_FIELDS))
    section_labels: Mapping[str, str] = field(default_factory=lambda: dict(SECTION_LABELS))
    views_labels: Mapping[str, str] = field(default_factory=lambda: dict(VIEWS_LABELS))
    selectors: Mapping[str, str] = field(default_factory=lambda: dict(SELECTORS))
    json_paths: Mapping[str, str] = field(default_factory=lambda: dict(JSON_PATHS))
    #: How a batch built from ``page_url`` is asked for: method, body template, headers.
    batch_method: str = "GET"
    batch_body: str = ""
    batch_headers: Mapping[str, str] = field(default_factory=dict)
    #: Hosts of the site besides the crawled one (an endpoint's), ``host`` or ``host:port``.
    extra_hosts: tuple[str, ...] = ()

    @property
    def uses_cursor(self) -> bool:
        """Each batch is asked for with what the batch before gave (``{cursor}``)."""
        return "{cursor}" in self.page_url + self.batch_body
    #: The layers a field is read from, in order (``ANALYTICS_FIELD_LAYERS``).
    layers: tuple[str, ...] = LAYERS
    #: Compare the structured data with the selectors where both give a field
    #: (``ANALYTICS_COMPARE_LAYERS``).
    compare_layers: bool = True

    @classmethod
    def from_settings(cls, settings: Any) -> SiteProfile:
        """Build the profile from Scrapy settings (``ANALYTICS_*``), defaults where unset."""
        profile = cls()
        return replace(
            profile,
            section_paths={**profile.section_paths,
                           **settings.getdict("ANALYTICS_SECTION_PATHS")},
            page_url=settings.get("ANALYTICS_PAGE_URL") or profile.page_url,
            page_size=settings.getint("ANALYTICS_PAGE_SIZE", profile.page_size),
            one_page_languages=frozenset(language_codes(
                settings.get("ANALYTICS_ONE_PAGE_LANGUAGES", ONE_PAGE_LANGUAGES))),
            json_card_fields={**profile.json_card_fields,
                              **settings.getdict("ANALYTICS_JSON_CARD_FIELDS")},
            section_labels={**profile.section_labels,
                            **settings.getdict("ANALYTICS_SECTION_LABELS")},
            views_labels={**profile.views_labels, **settings.getdict("ANALYTICS_VIEWS_LABELS")},
            selectors={**profile.selectors, **settings.getdict("ANALYTICS_SELECTORS")},
            json_paths={**profile.json_paths, **settings.getdict("ANALYTICS_JSON_PATHS")},
            batch_method=settings.get("ANALYTICS_BATCH_METHOD") or profile.batch_method,
            batch_body=settings.get("ANALYTICS_BATCH_BODY") or "",
            batch_headers=settings.getdict("ANALYTICS_BATCH_HEADERS"),
            extra_hosts=tuple(settings.getlist("ANALYTICS_EXTRA_HOSTS")),
            layers=tuple(settings.getlist("ANALYTICS_FIELD_LAYERS") or profile.layers),
            compare_layers=settings.getbool("ANALYTICS_COMPARE_LAYERS", profile.compare_layers),
        )


def language_codes(value: object) -> list[str]:
    """Languages as a setting gives them (a list, JSON, or ``en,ru``): their codes;
    ``ValueError`` names a code that is no language of the site."""
    if isinstance(value, str):
        text = value.strip()
        value = json.loads(text) if text.startswith("[") else text.split(",")
    if not isinstance(value, list | tuple | set | frozenset):
        raise ValueError("not a list")
    codes = [str(code).strip() for code in value if str(code).strip()]
    unknown = [code for code in codes if code not in LANGUAGES]
    if unknown:
        raise ValueError(f"unknown language {unknown[0]!r}")
    return codes


def language_of_path(path: str) -> str:
    """The record's ``lang`` for a URL path, from its prefix (``/en/``, ``/arm/``, else ru)."""
    for lang, prefix in LANGUAGE_PREFIXES.items():
        if prefix != "/" and path.startswith(prefix):
            return lang
    return "ru"


def is_article_path(path: str) -> bool:
    """True for ``[/<prefix>]/post/<slug-or-number>[/]``: the only pages that are articles."""
    prefix = LANGUAGE_PREFIXES[language_of_path(path)]
    rest = path[len(prefix):]
    head, _, tail = rest.partition("/")
    return head == ARTICLE_PATH_SEGMENT and bool(tail.strip("/")) and "/" not in tail.strip("/")
