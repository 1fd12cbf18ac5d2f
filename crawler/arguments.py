"""The spider's arguments (``-a name=value``), validated before any request is made."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from crawler.normalize import FieldError, parse_site_date
from crawler.site import LANGUAGES

MODES = ("incremental", "full")


#: ``scrapy crawl --help``'s list of the spider's arguments (the README has the table).
ARGUMENT_HELP = "\n".join(f"  {name:<13} {meaning}" for name, meaning in (
    ("lang", f"languages, comma-separated (default {','.join(LANGUAGES)})"),
    ("base_url", "the site's origin (default ANALYTICS_BASE_URL, https://caliber.az)"),
    ("mode", f"{' or '.join(MODES)} (default incremental)"),
    ("since", "first day of articles to deliver, YYYY-MM-DD"),
    ("until", "last day of articles to deliver, YYYY-MM-DD"),
    ("refresh_days", "days of known articles fetched again for their views "
                     "(default ANALYTICS_REFRESH_DAYS, 3)"),
))


class ArgumentError(ValueError):
    """A spider argument that cannot be used; the message says which and why."""


def parse_languages(value: str) -> tuple[str, ...]:
    """``en,ru`` -> ('en', 'ru'), in the site's order; unknown codes are an error."""
    wanted = [code.strip().lower() for code in value.split(",") if code.strip()]
    unknown = sorted(set(wanted) - set(LANGUAGES))
    if unknown or not wanted:
        raise ArgumentError(
            f"lang: unknown language {', '.join(unknown) or repr(value)}; "
            f"use a comma list of {', '.join(LANGUAGES)}"
        )
    return tuple(code for code in LANGUAGES if code in wanted)


def parse_base_url(value: str) -> str:
    """An http(s) origin such as ``https://caliber.az`` (no path, query or credentials)."""
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ArgumentError(f"base_url: {value!r} is not an http(s) URL with a host")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise ArgumentError(f"base_url: {value!r} must not carry credentials, query or fragment")
    if parts.path not in ("", "/"):
        raise ArgumentError(f"base_url: {value!r} must be an origin, without a path")
    try:
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError:
        raise ArgumentError(f"base_url: {value!r} has an invalid port") from None
    return f"{parts.scheme}://{parts.netloc}"


def parse_day(name: str, value: str) -> date:
    """A calendar day ``YYYY-MM-DD``."""
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ArgumentError(f"{name}: {value!r} is not a date of the form YYYY-MM-DD") from None


def parse_days(value: str) -> int:
    """A number of days, 0 to 3650."""
    text = value.strip()
    if not text.isdigit() or int(text) > 3650:
        raise ArgumentError(f"refresh_days: {value!r} is not a number of days from 0 to 3650")
    return int(text)


def is_loopback(base_url: str) -> bool:
    """True when ``base_url`` points at this machine (the replica), never at a real site."""
    host = urlsplit(base_url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class CrawlArguments:
    """What one run of ``scrapy crawl analytics`` was asked to do."""

    languages: tuple[str, ...]
    base_url: str
    mode: str
    since: date | None
    until: date | None
    refresh_days: int = 3

    @classmethod
    def parse(cls, given: Mapping[str, Any], default_base_url: str,
              default_refresh_days: int = 3) -> CrawlArguments:
        """Validate the ``-a`` arguments; unknown names are an error (a typo must not pass).

        Names starting with ``_`` (scrapyd's ``_job``) are the scheduler's and ignored.
        """
        known = {"lang", "base_url", "mode", "since", "until", "refresh_days"}
        unknown = sorted(name for name in given if name not in known and not name.startswith("_"))
        if unknown:
            raise ArgumentError(
                f"unknown argument {', '.join(unknown)}; known: {', '.join(sorted(known))}"
            )
        mode = str(given.get("mode", "incremental")).strip().lower()
        if mode not in MODES:
            raise ArgumentError(f"mode: {mode!r} is not one of {', '.join(MODES)}")
        since = parse_day("since", given["since"]) if given.get("since") else None
        until = parse_day("until", given["until"]) if given.get("until") else None
        if since and until and since > until:
            raise ArgumentError(f"since ({since}) is after until ({until})")
        return cls(
            languages=parse_languages(str(given.get("lang", ",".join(LANGUAGES)))),
            base_url=parse_base_url(str(given.get("base_url") or default_base_url)),
            mode=mode,
            since=since,
            until=until,
            refresh_days=parse_days(str(given.get("refresh_days", default_refresh_days))),
        )

    def in_range(self, day: date) -> bool:
        """True for a Baku calendar day inside ``since``..``until`` (inclusive)."""
        after_since = self.since is None or day >= self.since
        return after_since and (self.until is None or day <= self.until)

    def card_verdict(self, date_text: str | None) -> str:
        """'fetch', 'newer' (after ``until``) or 'older' (before ``since``), by a card's date
        as shown (unreadable or none: 'fetch', the article page's own date decides)."""
        if not (self.since or self.until) or not date_text:
            return "fetch"
        try:
            day = parse_site_date(date_text).date()
        except FieldError:
            return "fetch"
        if self.since and day < self.since:
            return "older"
        return "newer" if self.until and day > self.until else "fetch"

    def summary(self) -> dict[str, Any]:
        """The arguments as the run summary shows them."""
        return {
            "lang": list(self.languages),
            "base_url": self.base_url,
            "mode": self.mode,
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "refresh_days": self.refresh_days,
        }
