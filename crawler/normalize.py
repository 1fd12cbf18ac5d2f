"""Pure rules that turn strings as the site shows them into the record's typed values.

No Scrapy here: every function is a plain function of its input, tested on its own
(including property-based tests).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any
from urllib.parse import urljoin, urlsplit
from zoneinfo import ZoneInfo

from crawler.items import Article, RawArticle
from crawler.site import MONTHS_BY_NAME, TIMEZONE, language_of_path
from crawler.urls import article_id
from crawler.urls import canonical_problem as href_problem


class FieldError(ValueError):
    """A field's text that the rules cannot read; ``reason`` names it for stats and rejects."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def collapse_whitespace(text: str) -> str:
    """Collapse every run of whitespace (any Unicode space, newlines) to one space; trim."""
    return " ".join(text.split())


def clean_text(text: str | None) -> str | None:
    """Collapsed text, or ``None`` for a missing or blank value."""
    if text is None:
        return None
    return collapse_whitespace(text) or None


def join_paragraphs(paragraphs: Iterable[str]) -> str:
    """The body: each paragraph collapsed, empty ones dropped, joined by a blank line."""
    return "\n\n".join(p for p in map(collapse_whitespace, paragraphs) if p)


# "25 Июня 2026 17:24", "25 November 2022 - 16:39", with anything around it.
_DATE = re.compile(
    r"(?<!\d)(\d{1,2})\s+([^\W\d_]+)\s+(\d{4})(?:\s*[-\u2013\u2014,|]\s*|\s+)(\d{1,2}):(\d{2})(?!\d)"
)


def find_dates(text: str) -> Iterator[re.Match[str]]:
    """Every date in ``text`` in the site's format (any language's month name), in order."""
    return _DATE.finditer(text)


@lru_cache(maxsize=1)
def _site_zone() -> ZoneInfo:
    return ZoneInfo(TIMEZONE)


def parse_site_date(text: str) -> datetime:
    """Read a date as the site shows it into an aware datetime in ``Asia/Baku``.

    The offset comes from the zone at that instant (Baku kept summer time until 2016).
    A time that never existed locally (the spring-forward hour) is an error, never a guess.
    """
    match = _DATE.search(text)
    if match is None:
        raise FieldError("date_unreadable", f"no date in {text!r}")
    day, month_name, year, hour, minute = match.groups()
    month = MONTHS_BY_NAME.get(month_name.casefold())
    if month is None:
        raise FieldError("date_unreadable", f"unknown month {month_name!r} in {text!r}")
    try:
        naive = datetime(int(year), month, int(day), int(hour), int(minute))
    except ValueError as exc:
        raise FieldError("date_unreadable", f"impossible date {text!r}: {exc}") from None
    return _baku_moment(naive, text)


def _baku_moment(naive: datetime, text: str) -> datetime:
    """A Baku wall-clock time as an aware datetime; one that never happened is an error."""
    local = naive.replace(tzinfo=_site_zone())
    try:
        round_trip = local.astimezone(UTC).astimezone(_site_zone())
    except OverflowError:  # 1 January 0001 00:01 (a CMS's empty date) is before any instant
        raise _no_instant(text) from None
    if round_trip.replace(tzinfo=None) != naive:
        raise FieldError("date_nonexistent", f"{text!r} never happened in {TIMEZONE}")
    return local


# A structured date with its time of day: 2025-05-17T10:29[:00][.000][+04:00|Z].
_ISO_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


def parse_iso_date(text: str) -> datetime:
    """Read a structured date (JSON-LD, ``article:published_time``, ``<time datetime>``) into
    an aware datetime in ``Asia/Baku``; one without an offset is Baku's wall-clock time.

    A date without its time of day is an error: the time is never guessed.
    """
    shown = text.strip()
    if not _ISO_MOMENT.match(shown):
        raise FieldError("date_unreadable", f"no ISO 8601 date and time in {text!r}")
    try:
        moment = datetime.fromisoformat(shown)
    except ValueError:
        raise FieldError("date_unreadable", f"no ISO 8601 date and time in {text!r}") from None
    if moment.tzinfo is None:
        return _baku_moment(moment, text)
    try:
        return moment.astimezone(_site_zone())
    except OverflowError:  # 0001-01-01T00:00+05:00 is before any instant in Baku
        raise _no_instant(text) from None


def _no_instant(text: str) -> FieldError:
    """A date at the very edge of the calendar that names no instant in Baku: unreadable."""
    return FieldError("date_unreadable", f"{text!r} is outside the range of instants")


def read_date(text: str, layer: str) -> datetime:
    """A date as the layer that gave it writes it: ISO 8601 from the structured data, else
    the site's format."""
    return parse_iso_date(text) if layer == "structured" else parse_site_date(text)


def format_date(moment: datetime) -> str:
    """ISO 8601 with seconds and the moment's own offset: ``2023-03-01T16:15:00+04:00``."""
    return moment.isoformat(timespec="seconds")


# Digits grouped by one kind of thousands separator, or plain digits.
_SEPARATORS = " \u00a0\u202f\u2009,.'\u2019"
_GROUPED = re.compile(r"\d{1,3}(?:([" + _SEPARATORS + r"])\d{3})(?:\1\d{3})*|\d+")


def parse_views(text: str | None) -> int | None:
    """The views counter as a whole number, whatever the thousands separator.

    ``None`` where the page shows no counter; a counter that is not a number raises.
    """
    if text is None:
        return None
    number = text.strip()
    start = next((i for i, char in enumerate(number) if char.isdigit()), None)
    if start is None:
        raise FieldError("views_unreadable", f"no number in views {text!r}")
    number = number[start:]
    if _GROUPED.fullmatch(number) is None:
        raise FieldError("views_unreadable", f"views {text!r} is not a whole number")
    return int("".join(char for char in number if char.isdigit()))


def article_url(raw: RawArticle) -> str:
    """The article's canonical URL: its canonical link, else og:url, where the page may name
    it (``canonical_problem``), else where it was fetched."""
    return raw.canonical_urls[0]


def canonical_problem(raw: RawArticle) -> str | None:
    """Why the page's canonical link (else og:url) does not name its record, or None."""
    return href_problem(raw.canonical_href or raw.og_url, raw.fetched_url, raw.base_url)


def fetched_form(raw: RawArticle) -> str:
    """The URL the page was fetched at, in canonical form (the numeric form of a numeric link)."""
    return raw.canonical_urls[1]


def normalize_article(raw: RawArticle) -> tuple[Article, list[FieldError]]:
    """The typed record of a raw article, and the problems of its optional fields.

    A missing or unreadable required field raises ``FieldError`` (the article is no
    record); an unreadable optional one (views) becomes null and is returned as a problem.
    """
    url = article_url(raw)
    title = clean_text(raw.title)
    if title is None:
        raise FieldError("missing_title", "the page has no title")
    if not raw.date_text or not raw.date_text.strip():
        raise FieldError("missing_date", "the page has no date")
    date = format_date(read_date(raw.date_text, raw.provenance.get("date", "selector")))
    body = join_paragraphs(raw.body_paragraphs)
    if not body:
        raise FieldError("missing_body", "the page has no article text")
    image = clean_text(raw.image_href)
    problems: list[FieldError] = []
    try:
        views = parse_views(raw.views_text)
    except FieldError as problem:
        views = None
        problems.append(problem)
    article = Article(
        url=url,
        id=article_id(url),
        lang=language_of_path(urlsplit(url).path),
        title=title,
        subtitle=clean_text(raw.subtitle),
        date=date,
        category=clean_text(raw.category),
        views=views,
        body=body,
        author=clean_text(raw.author),
        image=urljoin(url, image) if image else None,
        scraped_at=raw.scraped_at,
        fetched_form=fetched if (fetched := fetched_form(raw)) != url else None,
    )
    record = article.record  # cached: the pipelines read the same dict
    article.provenance = {name: layer for name, layer in raw.provenance.items()
                          if record.get(name) is not None}
    article.agreement = {name: _agree(name, record[name], other, url)
                         for name, other in raw.cross_check.items() if record.get(name) is not None}
    return article, problems


def _agree(name: str, value: Any, other: str, url: str) -> bool:
    """Whether the structured data's ``other`` says what the record's ``value`` says, both
    normalised (a date as an instant, views as a number, text collapsed and case-folded)."""
    try:
        if name == "date":
            return parse_iso_date(other) == datetime.fromisoformat(value)
        if name == "views":
            return parse_views(other) == value
    except FieldError:
        return False
    if name == "image":
        return urljoin(url, other.strip()) == value
    return (clean_text(other) or "").casefold() == str(value).casefold()
