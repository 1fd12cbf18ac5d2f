"""The site health check: does the site still look the way the crawler assumes?

``scrapy sitecheck`` fetches, per language, the section's first listing page, its second
page and one article (a few more only while an optional field has not shown up), and
checks every assumption of ``docs/site.md`` with the crawler's own code: the paths and
selectors of the run's ``SiteProfile`` (``crawler/site.py`` plus ``ANALYTICS_*`` settings),
the page objects of ``crawler/pages`` and the rules of ``crawler/normalize.py``. Nothing
here knows a selector of its own, so a pass means the crawler itself would read the page.

Each check passes or fails with what it saw instead (a status, the text found, class names
on the page that look like the one expected), so that a user at the live site sees at once
what to correct, and in which setting. Fetching is plain, sequential and polite: the
crawler's User-Agent, robots.txt obeyed, ``DOWNLOAD_DELAY`` between requests.
"""

from __future__ import annotations

import difflib
import re
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from protego import Protego
from scrapy.http import HtmlResponse, TextResponse

from crawler.normalize import FieldError, clean_text, parse_site_date, parse_views
from crawler.pages import ArticlePage, Card, ListingPage, UnreadableBatch, read_batch
from crawler.pages.text import first_text
from crawler.site import SiteProfile, is_article_path, language_of_path
from crawler.urls import fetch_url, listing_url, page_url

PASS, FAIL, UNSEEN = "pass", "fail", "unseen"

#: Article fields checked on article pages: selector key -> (what it is, must be seen).
#: ``author`` is only on the older template (docs/site.md), so the newest articles may
#: rightly lack it: never seen is reported (``unseen``) but does not fail the check.
ARTICLE_FIELDS: dict[str, tuple[str, bool]] = {
    "title": ("the title", True),
    "date": ("the publication date", True),
    "body": ("the article text", True),
    "category": ("the section label", True),
    "subtitle": ("the subtitle (class assumed)", True),
    "views": ("the views counter", True),
    "cover": ("the cover image", True),
    "canonical": ("the canonical link (or og:url)", True),
    "author": ("the author (older template only; class assumed)", False),
}
_CLASS = re.compile(r"\.([A-Za-z_][\w-]*)")


@dataclass(frozen=True)
class Check:
    """One assumption checked: where, what was expected, what was seen, and the verdict."""

    lang: str
    name: str
    status: str
    expected: str
    seen: str

    @property
    def failed(self) -> bool:
        return self.status == FAIL


@dataclass
class Fetcher:
    """Sequential GETs with the crawler's User-Agent, robots.txt obeyed, a delay between."""

    base_url: str
    user_agent: str
    delay: float = 1.0
    timeout: float = 30.0
    _last: float = 0.0
    _robots: Protego | None = None
    requests: list[str] = field(default_factory=list)

    def _wait(self) -> None:
        pause = self._last + self.delay - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        self._last = time.monotonic()

    def _get(self, url: str) -> tuple[int, bytes, dict[str, str]]:
        self._wait()
        self.requests.append(url)
        request = urllib.request.Request(url, headers={"User-Agent": self.user_agent})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:
                return answer.status, answer.read(), dict(answer.headers)
        except urllib.error.HTTPError as error:
            return error.code, error.read(), dict(error.headers or {})

    def allowed(self, url: str) -> bool:
        """robots.txt of the base URL allows ``url`` (a missing robots.txt allows all)."""
        if self._robots is None:
            try:
                status, body, _ = self._get(self.base_url + "/robots.txt")
            except OSError:
                status, body = 0, b""
            self._robots = Protego.parse(body.decode("utf-8", "replace") if status == 200 else "")
        return bool(self._robots.can_fetch(url, self.user_agent))

    def fetch(self, url: str) -> TextResponse | str:
        """The page as a response the page objects read, or why there is none."""
        if not self.allowed(url):
            return "robots.txt forbids it"
        try:
            status, body, headers = self._get(url)
        except OSError as error:
            return f"no answer ({error})"
        if status != 200:
            return f"HTTP {status}"
        content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
        encoding = content_type.partition("charset=")[2].strip() or "utf-8"
        return HtmlResponse(url, status=status, body=body, encoding=encoding)


def _short(text: str | None, limit: int = 60) -> str:
    text = clean_text(text) or ""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def page_classes(response: TextResponse) -> set[str]:
    """Every class name used on the page."""
    return {name for value in response.css("[class]::attr(class)").getall()
            for name in value.split()}


def similar_classes(response: TextResponse, selector: str, known: Iterable[str] = ()) -> str:
    """Class names on the page that look like those of ``selector`` (a renamed class).

    A candidate ends in the same word (``entry_title`` for ``post_title``) or is spelt
    alike; classes of the crawler's other selectors (``known``) are not candidates. The
    three closest are named.
    """
    wanted = _CLASS.findall(selector)
    classes = page_classes(response)
    if any(name in classes for name in wanted):
        return ""
    taken = {name for other in known for name in _CLASS.findall(other)}
    scored: dict[str, float] = {}
    for name in wanted:
        last = re.split(r"[_-]", name)[-1]
        for candidate in classes - taken:
            ratio = difflib.SequenceMatcher(None, name, candidate).ratio()
            if ratio >= 0.75 or re.split(r"[_-]", candidate)[-1] == last:
                scored[candidate] = max(ratio, scored.get(candidate, 0.0))
    found = sorted(scored, key=lambda candidate: (-scored[candidate], candidate))[:3]
    return f"; similar classes on the page: {', '.join(found)}" if found else ""


def _describe(element: object) -> str:
    tag = getattr(element, "tag", "?")
    classes = (getattr(element, "get", lambda _: None)("class") or "").split()
    return tag + "".join(f".{name}" for name in classes)


def article_link_containers(response: TextResponse, base_url: str) -> str:
    """Where the page's article links sit: the nearest classed ancestor of each, counted once."""
    nodes: dict[str, set[int]] = {}
    for link in response.css("a[href]"):
        url = fetch_url(link.attrib["href"], response.url, base_url)
        if url is None or not is_article_path(urlsplit(url).path):
            continue
        node = link.root.getparent()
        while node is not None and not node.get("class"):
            node = node.getparent()
        where = _describe(node) if node is not None else "(no classed ancestor)"
        nodes.setdefault(where, set()).add(id(node))
    counts = Counter({where: len(found) for where, found in nodes.items()})
    return ", ".join(f"{where} x{n}" for where, n in counts.most_common(3)) or "none"


def texts_like(response: TextResponse, accept: Callable[[str], bool]) -> str:
    """The first element whose own text ``accept``s, as ``tag.class: 'text'``."""
    for element in response.xpath("//body//*[text()]"):
        text = clean_text("".join(element.xpath("text()").getall())) or ""
        if text and len(text) < 120 and accept(text):
            return f"{_describe(element.root)}: {text!r}"
    return ""


def _is_date(text: str) -> bool:
    try:
        parse_site_date(text)
    except FieldError:
        return False
    return True


class SiteCheck:
    """All checks of one site, language by language."""

    def __init__(self, fetcher: Fetcher, site: SiteProfile, articles: int = 5) -> None:
        self.fetcher = fetcher
        self.site = site
        self.articles = max(1, articles)
        self.checks: list[Check] = []

    @property
    def base_url(self) -> str:
        return self.fetcher.base_url

    def add(self, lang: str, name: str, ok: bool | None, expected: str, seen: str) -> None:
        """Record a check: ``ok`` True pass, False fail, None not seen (does not fail)."""
        status = PASS if ok else (UNSEEN if ok is None else FAIL)
        self.checks.append(Check(lang, name, status, expected, seen))

    def run(self, languages: Iterable[str]) -> list[Check]:
        for lang in languages:
            self.check_language(lang)
        return self.checks

    # --- listing ------------------------------------------------------------------------
    def check_language(self, lang: str) -> None:
        path = self.site.section_paths[lang]
        first = self.fetcher.fetch(listing_url(self.base_url, path))
        expected = f"{path} answers 200 (ANALYTICS_SECTION_PATHS)"
        if isinstance(first, str):
            self.add(lang, "listing_path", False, expected, first)
            return
        self.add(lang, "listing_path", True, expected, "200")
        cards = self.check_cards(lang, first)
        self.check_pagination(lang, first, cards)
        urls = [url for card in cards
                if (url := fetch_url(card.href, first.url, self.base_url)) is not None
                and is_article_path(urlsplit(url).path)]
        self.check_articles(lang, urls)

    def check_cards(self, lang: str, page: TextResponse) -> list[Card]:
        selectors = self.site.selectors
        cards = ListingPage(page, self.site).cards()
        articles = [card for card in cards
                    if (url := fetch_url(card.href, page.url, self.base_url)) is not None
                    and is_article_path(urlsplit(url).path)]
        expected = (f"cards {selectors['card']!r} with article links {selectors['card_link']!r} "
                    "(ANALYTICS_SELECTORS card, card_link)")
        if not articles:
            seen = (f"{len(cards)} elements match, none links to an article; article links "
                    f"sit in: {article_link_containers(page, self.base_url)}")
            self.add(lang, "card", False, expected, seen)
            return []
        other = [card.href for card in articles
                 if language_of_path(urlsplit(card.href).path) != lang]
        self.add(lang, "card", not other, expected,
                 f"{len(articles)} cards" + (f"; links to another language: {other[:2]}"
                                             if other else ""))
        untitled = sum(1 for card in articles if not clean_text(card.title))
        self.add(lang, "card_title", untitled == 0,
                 f"a title in every card at {selectors['card_title']!r}",
                 f"{len(articles) - untitled} of {len(articles)} cards have one"
                 + (similar_classes(page, selectors["card_title"], selectors.values())
                    if untitled else ""))
        times = [card.date_text for card in articles if clean_text(card.date_text)]
        self.add(lang, "card_time", len(times) == len(articles),
                 f"a date in every card at {selectors['card_time']!r}",
                 f"{len(times)} of {len(articles)} cards have one"
                 + (similar_classes(page, selectors["card_time"], selectors.values())
                    if len(times) < len(articles) else ""))
        unreadable = [text for text in times if text and not _is_date(text)]
        if times:
            self.add(lang, "card_date_format", not unreadable,
                     "card dates like '17 May 2025 10:29' in the language's month names",
                     f"unreadable: {_short(unreadable[0])!r}" if unreadable
                     else f"{len(times)} read, e.g. {_short(times[0])!r}")
        return articles

    def check_pagination(self, lang: str, first: TextResponse, cards: list[Card]) -> None:
        """Page 2, where the crawl would find it: page 1's own next link, else the template."""
        link = ListingPage(first, self.site).next_link(self.base_url)
        path = self.site.section_paths[lang]
        url = link.url if link else page_url(self.site.page_url, self.base_url, path, lang, 2,
                                             self.site.page_size)
        source = (f"page 1's {link.mechanism} link" if link
                  else f"ANALYTICS_PAGE_URL={self.site.page_url!r}")
        expected = f"page 2 at {url} ({source}) answers with further cards"
        if not cards or url is None:
            self.add(lang, "pagination", False, expected,
                     "ANALYTICS_PAGE_URL leads off the site" if cards
                     else "page 1 has no cards to compare")
            return
        second = self.fetcher.fetch(url)
        if isinstance(second, str):
            self.add(lang, "pagination", False, expected, f"page 2: {second}")
            return
        first_links = {card.href for card in cards}
        try:
            links = [card.href for card in read_batch(second, self.site).cards()]
        except UnreadableBatch as error:
            self.add(lang, "pagination", False, expected, f"page 2 {error}")
            return
        new = [href for href in links if href not in first_links]
        if not links:
            seen = "page 2 has no cards (a section of one page, or the parameter is wrong)"
        elif not new:
            seen = f"page 2 repeats page 1's {len(links)} cards: the site ignores that URL"
        else:
            seen = f"page 2 has {len(new)} further cards"
        self.add(lang, "pagination", bool(new), expected, seen)

    # --- articles -----------------------------------------------------------------------
    def check_articles(self, lang: str, urls: list[str]) -> None:
        """Fields on the first article; more articles only for fields not yet seen."""
        seen: dict[str, str] = {}
        missing_on: dict[str, str] = {}
        label = self.site.views_labels.get(lang, "")
        views_texts: list[str] = []
        fetched = 0
        for url in urls:
            if fetched >= self.articles:
                break
            if not self.fetcher.allowed(url):
                continue  # the crawler skips these cards too (robots-refused, not rejects)
            page = self.fetcher.fetch(url)
            fetched += 1
            if isinstance(page, str):
                self.add(lang, "article", False, "the card's article answers 200",
                         f"{url}: {page}")
                continue
            for key, value in self.read_fields(page).items():
                if value and key not in seen:
                    seen[key] = value
                elif not value and key not in missing_on:
                    missing_on[key] = self.instead(page, key, label)
                if key == "views" and value:
                    views_texts.append(value)
            if fetched >= 1 and all(key in seen for key in ARTICLE_FIELDS):
                break
        if not fetched:
            self.add(lang, "article", False, "an article linked from page 1", "no card to follow")
            return
        for key, (what, must) in ARTICLE_FIELDS.items():
            selector = self.site.selectors.get(key, "")
            expected = f"{what} at {selector!r}" + (
                " or " + repr(self.site.selectors["og_url"]) if key == "canonical" else "")
            if key in seen:
                self.add(lang, key, True, expected, _short(seen[key]))
            else:
                self.add(lang, key, False if must else None, expected,
                         f"not on {fetched} article(s)" + missing_on.get(key, ""))
        self.check_formats(lang, seen.get("date"), views_texts, label)

    def read_fields(self, page: TextResponse) -> dict[str, str | None]:
        """Each field as the crawler's page object reads it from this page."""
        raw = ArticlePage(page, self.site).to_raw(self.base_url, "")
        return {  # the title without its h1 fallback: the fallback hides a renamed class
            "title": clean_text(first_text(page.css(self.site.selectors["title"]))),
            "date": clean_text(raw.date_text),
            "body": "\n".join(raw.body_paragraphs).strip() or None,
            "category": clean_text(raw.category),
            "subtitle": clean_text(raw.subtitle),
            "views": clean_text(raw.views_text),
            "cover": raw.image_href,
            "canonical": raw.canonical_href or raw.og_url,
            "author": clean_text(raw.author),
        }

    def instead(self, page: TextResponse, key: str, label: str) -> str:
        """What the page shows where ``key`` was expected: a hint for the report."""
        hints = [similar_classes(page, self.site.selectors.get(key, ""),
                                 self.site.selectors.values())]
        if key == "title":
            h1 = clean_text(first_text(page.css(self.site.selectors["title_fallback"])))
            if h1:
                hints.append(f"; the page's h1 reads {_short(h1)!r} (used as fallback)")
        elif key == "date":
            found = texts_like(page, _is_date)
            if found:
                hints.append(f"; a date stands in {found}")
        elif key == "views" and label:
            found = texts_like(page, lambda text: text.startswith(label))
            if found:
                hints.append(f"; the counter stands in {found}")
        return "".join(hints)

    def check_formats(self, lang: str, date_text: str | None, views: list[str],
                      label: str) -> None:
        """The date format and the views label of the article pages."""
        if date_text:
            ok = _is_date(date_text)
            self.add(lang, "date_format", ok,
                     "the article date like '17 May 2025 10:29' (Asia/Baku)",
                     (f"{_short(date_text)!r} reads as {parse_site_date(date_text).isoformat()}"
                      if ok else f"unreadable: {_short(date_text)!r}"))
        expected = f"the counter reads '{label}: N' (ANALYTICS_VIEWS_LABELS)"
        if not views:
            self.add(lang, "views_label", False, expected, "no views counter seen")
            return
        text = clean_text(views[0]) or ""
        try:
            number = parse_views(text)
        except FieldError as error:
            self.add(lang, "views_label", False, expected, str(error))
            return
        self.add(lang, "views_label", text.startswith(label), expected,
                 f"{text!r} ({number} views)")


def format_report(base_url: str, checks: list[Check]) -> str:
    """The report a person reads: one line per check, failures first in the header."""
    failed = [check for check in checks if check.failed]
    verdict = f"{len(failed)} FAILED" if failed else "all passed"
    lines = [f"Site check of {base_url}: {verdict} ({len(checks)} checks)"]
    for check in checks:
        lines.append(f"{check.lang:3} {check.status.upper():6} {check.name:16} "
                     f"expected {check.expected}; saw {check.seen}")
    if failed:
        lines.append("Failed: " + ", ".join(f"{c.lang}/{c.name}" for c in failed))
    return "\n".join(lines)
