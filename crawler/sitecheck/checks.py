"""The checks of ``scrapy sitecheck``: pure functions from fetched pages to verdicts.

Each reads pages with the crawler's own code (the run's ``SiteProfile``, the page objects
of ``crawler.pages``, the rules of ``crawler.normalize``) and knows no selector of its own,
so a pass means the crawler itself would read the page. A check that does not pass says
what stands there now and which setting to correct. Fetching is ``crawler.sitecheck.spider``.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from scrapy.http import TextResponse

from crawler.items import RawArticle
from crawler.normalize import (
    FieldError,
    clean_text,
    normalize_article,
    parse_site_date,
    parse_views,
)
from crawler.pages import ArticlePage, ListingPage, read_batch
from crawler.pages.listing import describe_answer
from crawler.pages.select import first_text
from crawler.site import SiteProfile, is_article_path, language_of_path
from crawler.sitecheck.clues import (
    article_link_containers,
    is_date,
    short,
    similar_classes,
    texts_like,
)
from crawler.sitecheck.findings import FAIL, PASS, UNSEEN, WARN, Findings
from crawler.urls import fetch_url

#: A page, or why there is none (``HTTP 404``, ``Forbidden by robots.txt``, ...).
Fetched = TextResponse | str


class RedirectedOffsite(str):
    """Why there is no page: it redirects to ``url``, a host the crawl does not run against
    (``hosts``); the walk names it as a crawl does (``ListingWalk.redirected_offsite``)."""

    url: str
    hosts: str

    def __new__(cls, url: str, hosts: str) -> RedirectedOffsite:
        said = super().__new__(cls, f"not followed: it redirects to {url}, another host than "
                                    f"{hosts}")
        said.url, said.hosts = url, hosts
        return said

#: Fields checked on article pages: selector key -> (what it is, record field if optional).
#: A required field (None) missing from every sampled article fails; an optional one is
#: ``UNSEEN`` unless the page shows it under another element.
ARTICLE_FIELDS: dict[str, tuple[str, str | None]] = {
    "title": ("the title", None),
    "date": ("the publication date", None),
    "body": ("the article text", None),
    "canonical": ("the canonical link (or og:url)", None),
    "category": ("the section label", "category"),
    "subtitle": ("the subtitle (class assumed)", "subtitle"),
    "views": ("the views counter", "views"),
    "cover": ("the cover image", "image"),
    "author": ("the author (older template only; class assumed)", "author"),
}


def article_urls(page: TextResponse, site: SiteProfile, base_url: str) -> list[str]:
    """The article URLs of a listing batch's cards (HTML or JSON), as the crawl would request
    them; ``UnreadableBatch`` for JSON of another shape."""
    urls = []
    for card in read_batch(page, site).cards():
        url = fetch_url(card.href, page.url, base_url)
        if url is not None and is_article_path(urlsplit(url).path):
            urls.append(url)
    return urls


def section_link(home: TextResponse, label: str, site: SiteProfile, base_url: str) -> str | None:
    """Path of the menu link labelled ``label`` on a home page (case-insensitive), if any."""
    for link in home.css(site.selectors["nav_link"]):
        if (clean_text(" ".join(link.css("::text").getall())) or "").casefold() == label.casefold():
            url = fetch_url(link.attrib["href"], home.url, base_url)
            if url is not None:
                return urlsplit(url).path
    return None


#: How a page begins that could not be fetched because nothing answers at its host.
UNREACHABLE = "nothing answers"


def check_section(out: Findings, lang: str, home: Fetched, site: SiteProfile, base_url: str,
                  listing_works: bool) -> str | None:
    """The section's path in the home page's menu, against ``ANALYTICS_SECTION_PATHS``.

    Returns the path found when it differs from the configured one (the setting is then
    suggested); a difference fails only when the configured path itself does not work.
    """
    label, configured = site.section_labels[lang], site.section_paths[lang]
    expected = (f"the menu link {label!r} (ANALYTICS_SECTION_LABELS) leads to {configured} "
                "(ANALYTICS_SECTION_PATHS)")
    if isinstance(home, str):
        out.add(lang, "section", FAIL if home.startswith(UNREACHABLE) else WARN, expected,
                f"home page: {home}")
        return None
    found = section_link(home, label, site, base_url)
    if found is None:
        labels = [short(" ".join(link.css("::text").getall()), 20)
                  for link in home.css(site.selectors["nav_link"])][:8]
        out.add(lang, "section", WARN, expected,
                f"no menu link {label!r} at {site.selectors['nav_link']!r}; menu reads {labels}")
        return None
    if found.rstrip("/") == configured.rstrip("/"):
        out.add(lang, "section", PASS, expected, f"{label!r} -> {found}")
        return None
    out.add(lang, "section", WARN if listing_works else FAIL, expected,
            f"{label!r} -> {found} (set below)")
    return found


def check_listing_path(out: Findings, lang: str, path: str, first: Fetched) -> None:
    expected = f"{path} answers 200 (ANALYTICS_SECTION_PATHS)"
    if isinstance(first, str):
        out.add(lang, "listing_path", FAIL, expected, first)
    else:
        out.add(lang, "listing_path", PASS, expected, "200" + retried(first))


def retried(response: TextResponse) -> str:
    """`` after N retries`` when the page was retried (a 503 or 429 first), else nothing."""
    times = int(response.request.meta.get("retry_times", 0)) if response.request else 0
    return f" after {times} retr{'y' if times == 1 else 'ies'}" if times else ""


def check_cards(out: Findings, lang: str, page: TextResponse, site: SiteProfile,
                base_url: str) -> list[str]:
    """Cards, their titles, times and date format; returns the cards' article URLs.

    No card is a failure (the walk finds nothing); some cards without a title or time are
    a warning (the article page's own title and date go into the record).
    """
    selectors = site.selectors
    listing = ListingPage(page, site)
    cards = listing.cards()
    urls = article_urls(page, site, base_url)
    expected = (f"cards {selectors['card']!r} with article links {selectors['card_link']!r} "
                "(ANALYTICS_SELECTORS card, card_link)")
    if not urls or listing.cards_layer() != "selector":
        # The finder's cards (by the site's rules) are still sampled: a crawl delivers them.
        found = (f"; the finder finds {len(urls)} cards by the site's rules (a crawl delivers "
                 "them, flagged fallback_layers)" if urls else "")
        out.add(lang, "card", FAIL, expected,
                f"{len(cards) if not urls else 0} elements match, none links to an article "
                f"({describe_answer(page)}); article links sit in: "
                f"{article_link_containers(page, base_url)}{found}")
        return urls
    other = [url for url in urls if language_of_path(urlsplit(url).path) != lang]
    out.add(lang, "card", FAIL if other else PASS, expected,
            f"{len(urls)} cards" + (f"; links to another language: {other[:2]}" if other else ""))
    articles = [card for card in cards
                if (url := fetch_url(card.href, page.url, base_url)) is not None
                and is_article_path(urlsplit(url).path)]
    for name, texts in (("card_title", [card.title for card in articles]),
                        ("card_time", [card.date_text for card in articles])):
        have = sum(1 for text in texts if clean_text(text))
        status = PASS if have == len(texts) else FAIL if have == 0 else WARN
        out.add(lang, name, status, f"one in every card at {selectors[name]!r}",
                f"{have} of {len(texts)} cards have one"
                + (similar_classes(page, selectors[name], selectors.values())
                   if status != PASS else ""))
    times = [text for card in articles if (text := clean_text(card.date_text))]
    unreadable = [text for text in times if not is_date(text)]
    if times:  # card dates only steer since/until: the article's own date is the record's
        out.add(lang, "card_date_format", WARN if unreadable else PASS,
                "card dates like '17 May 2025 10:29' in the language's month names",
                f"unreadable: {short(unreadable[0])!r}" if unreadable
                else f"{len(times)} read, e.g. {short(times[0])!r}")
    return urls


@dataclass
class ArticleSample:
    """What the sampled articles of one language showed, field by field."""

    site: SiteProfile
    base_url: str
    label: str
    seen: dict[str, str] = field(default_factory=dict)
    #: Per field not seen: what a page without it shows instead ("" when nothing like it).
    instead: dict[str, str] = field(default_factory=dict)
    views_texts: list[str] = field(default_factory=list)
    #: field -> layer -> sampled pages it came from; compared and disagreeing pages by field.
    layers: defaultdict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    compared: Counter[str] = field(default_factory=Counter)
    disagreed: Counter[str] = field(default_factory=Counter)
    read: int = 0
    retried: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        """Every field has shown up: no need to sample further."""
        return all(key in self.seen for key in ARTICLE_FIELDS)

    def add(self, url: str, page: Fetched) -> None:
        """One sampled article: its fields, or why it could not be read."""
        if isinstance(page, str):
            self.problems.append(f"{url}: {page}")
            return
        self.read += 1
        self.retried += bool(retried(page))
        for key, value in self.read_fields(page).items():
            if value and key not in self.seen:
                self.seen[key] = value
            elif not value and not self.instead.get(key):  # the first page with a clue
                self.instead[key] = self.shown_instead(page, key)
            if key == "views" and value:
                self.views_texts.append(value)

    def read_fields(self, page: TextResponse) -> dict[str, str | None]:
        """Each field as the crawler's selectors read it from this page (a field another
        layer gave counts as not seen: its selector is what is checked); the layers and
        their agreement are noted on the way."""
        raw = ArticlePage(page, self.site).to_raw(self.base_url, "")
        self.note_layers(raw)
        chosen = {name for name, layer in raw.provenance.items() if layer == "selector"}
        fields = {  # the title without its h1 fallback: the fallback hides a renamed class
            "title": clean_text(first_text(page.css(self.site.selectors["title"]))),
            "date": clean_text(raw.date_text) if "date" in chosen else None,
            "body": ("\n".join(raw.body_paragraphs).strip() or None) if "body" in chosen
            else None,
            "canonical": raw.canonical_href or raw.og_url,
            "category": clean_text(raw.category) if "category" in chosen else None,
            "subtitle": clean_text(raw.subtitle) if "subtitle" in chosen else None,
            "views": clean_text(raw.views_text) if "views" in chosen else None,
            "cover": raw.image_href if "image" in chosen else None,
            "author": clean_text(raw.author) if "author" in chosen else None,
        }
        return fields

    def note_layers(self, raw: RawArticle) -> None:
        """Which layer gave each field, and where the selectors and the structured data both
        gave one, whether they agree (``crawler.pages.chain``)."""
        for name, layer in raw.provenance.items():
            self.layers[name][layer] += 1
        try:
            article, _ = normalize_article(raw)
        except FieldError:
            return  # the crawl would reject it: the field checks say why
        for name, agreed in article.agreement.items():
            self.compared[name] += 1
            self.disagreed[name] += not agreed

    def shown_instead(self, page: TextResponse, key: str) -> str:
        """What the page shows where ``key`` was expected ("" when nothing like it)."""
        selectors = self.site.selectors
        hints = [similar_classes(page, selectors.get(key, ""), selectors.values())]
        if key == "title":
            h1 = clean_text(first_text(page.css(selectors["title_fallback"])))
            if h1:
                hints.append(f"; the page's h1 reads {short(h1)!r} (used as fallback)")
        elif key == "date":
            found = texts_like(page, is_date)
            if found:
                hints.append(f"; a date stands in {found}")
        elif key == "views" and self.label:
            found = texts_like(page, lambda text: text.startswith(self.label))
            if found:
                hints.append(f"; the counter stands in {found}")
        return "".join(hints)


def check_articles(out: Findings, lang: str, sample: ArticleSample,
                   coverage: Mapping[str, float], min_records: int) -> None:
    """Verdicts of the sampled articles: fetching, every field, the date and views formats.

    An article that still failed after its retries was replaced by another (a warning);
    none readable at all fails.
    """
    expected = "sampled articles of page 1 answer 200 (after retries)"
    if not sample.read:
        out.add(lang, "article", FAIL, expected,
                "; ".join(sample.problems) or "no card to follow (robots.txt forbids them all?)")
        return
    seen = f"{sample.read} read" + (f", {sample.retried} after retries" if sample.retried else "")
    if sample.problems:
        out.add(lang, "article", WARN, expected,
                f"{seen}; replaced, failed after retries: {'; '.join(sample.problems)}")
    else:
        out.add(lang, "article", PASS, expected, seen)
    for key, (what, record_field) in ARTICLE_FIELDS.items():
        selector = sample.site.selectors[key]
        expected = f"{what} at {selector!r}" + (
            f" or {sample.site.selectors['og_url']!r}" if key == "canonical" else "")
        if key in sample.seen:
            out.add(lang, key, PASS, expected, short(sample.seen[key]))
            continue
        instead = sample.instead.get(key, "")
        missing = f"not on {sample.read} sampled article(s)" + instead
        if record_field is None or instead:
            out.add(lang, key, FAIL, expected, missing)
        else:
            out.add(lang, key, UNSEEN, expected,
                    missing + coverage_hint(record_field, coverage, min_records))
    check_formats(out, lang, sample)
    check_layers(out, lang, sample)


def check_layers(out: Findings, lang: str, sample: ArticleSample) -> None:
    """Where the sampled fields came from (a fallback layer: the crawl keeps delivering them,
    and the selector is to correct), and whether the selectors and the structured data
    agree where both give a field: a disagreement is a partial change of the markup."""
    fallbacks = {name: {layer: n for layer, n in layers.items() if layer != "selector"}
                 for name, layers in sorted(sample.layers.items())}
    replaced = "; ".join(f"{name} from {', '.join(f'{layer} on {n}' for layer, n in by.items())}"
                         for name, by in fallbacks.items() if by)
    out.add(lang, "layers", WARN if replaced else PASS,
            "every field from its selector (ANALYTICS_SELECTORS)",
            f"a fallback layer gives {replaced} of {sample.read} sampled article(s): "
            "correct the selectors named above" if replaced else
            f"{sample.read} sampled article(s) read by their selectors")
    expected = "the selectors agree with the page's structured data (JSON-LD, OpenGraph)"
    if not sample.compared:
        out.add(lang, "layer_agreement", UNSEEN, expected,
                "no field given by both on the sampled articles")
        return
    differ = [f"{name} on {n} of {sample.compared[name]}"
              for name, n in sorted(sample.disagreed.items()) if n]
    out.add(lang, "layer_agreement", WARN if differ else PASS, expected,
            "they disagree: " + "; ".join(differ) if differ else
            "agree on " + ", ".join(f"{name} ({n})" for name, n in sorted(sample.compared.items())))


def coverage_hint(record_field: str, coverage: Mapping[str, float], min_records: int) -> str:
    """What an optional field never seen means for the crawl's ``field_coverage`` monitor."""
    least = coverage.get(record_field, 0.0)
    if least <= 0:
        return "; rare or gone: optional, no monitor minimum"
    return (f"; rare or gone: if the site no longer shows it, every crawl of {min_records}+ "
            f"records fails the field_coverage monitor: lower "
            f"ANALYTICS_MONITOR_MIN_COVERAGE_{record_field.upper()} (now {least})")


def check_formats(out: Findings, lang: str, sample: ArticleSample) -> None:
    """The article date format (unreadable rejects every article) and the views counter
    (unreadable empties the field everywhere)."""
    date_text = sample.seen.get("date")
    if date_text:
        ok = is_date(date_text)
        out.add(lang, "date_format", PASS if ok else FAIL,
                "the article date like '17 May 2025 10:29' (Asia/Baku)",
                (f"{short(date_text)!r} reads as {parse_site_date(date_text).isoformat()}"
                 if ok else f"unreadable: {short(date_text)!r}"))
    expected = f"the counter reads '{sample.label}: N' (ANALYTICS_VIEWS_LABELS)"
    if not sample.views_texts:
        out.add(lang, "views_label", UNSEEN, expected, "no views counter seen")
        return
    text = clean_text(sample.views_texts[0]) or ""
    try:
        number = parse_views(text)
    except FieldError as error:
        out.add(lang, "views_label", FAIL, expected, str(error))
        return
    # The crawl reads the number whatever the label: another label changes no record.
    out.add(lang, "views_label", PASS if text.startswith(sample.label) else WARN, expected,
            f"{text!r} ({number} views)")
