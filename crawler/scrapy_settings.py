"""Scrapy's own settings, checked as the project's are (``crawler.declarations``): the ones
the crawl relies on by kind (``SCRAPY_KINDS``), and any name one typo away from a known one.

``crawler.runs.start.validate_settings`` runs ``check_scrapy_settings`` before the first
request; a refusal is the same one line: ``NAME: given X; expected Y``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from crawler.declarations import BY_NAME, PREFIX, RETIRED, refusal
from crawler.setting_kinds import (
    COMPONENTS,
    FLAG,
    SECONDS,
    Kind,
    integer,
    read_log_level,
    read_positive_seconds,
    read_status_codes,
    text,
)

#: Scrapy's own settings the crawl relies on, checked as the project's are: a value Scrapy
#: would crash on later (``DOWNLOAD_DELAY=abc``) or run wrongly with (``DOWNLOAD_TIMEOUT=-5``)
#: is refused before the first request.
SCRAPY_KINDS: Mapping[str, Kind] = {
    **{name: SECONDS for name in ("DOWNLOAD_DELAY", "DOWNLOAD_DELAY_JITTER",
                                   "AUTOTHROTTLE_START_DELAY", "AUTOTHROTTLE_MAX_DELAY",
                                   "CLOSESPIDER_TIMEOUT")},
    "DOWNLOAD_TIMEOUT": Kind("a number of seconds above 0", read_positive_seconds),
    "AUTOTHROTTLE_TARGET_CONCURRENCY": Kind("a number above 0", read_positive_seconds),
    **{name: integer(1) for name in ("CONCURRENT_REQUESTS", "CONCURRENT_REQUESTS_PER_DOMAIN",
                                      "CONCURRENT_ITEMS")},
    **{name: integer(0) for name in ("RETRY_TIMES", "REDIRECT_MAX_TIMES", "DOWNLOAD_MAXSIZE",
                                      "DOWNLOAD_WARNSIZE", "CLOSESPIDER_ITEMCOUNT",
                                      "CLOSESPIDER_PAGECOUNT", "CLOSESPIDER_ERRORCOUNT",
                                      "DEPTH_LIMIT")},
    **{name: FLAG for name in ("ROBOTSTXT_OBEY", "AUTOTHROTTLE_ENABLED", "RETRY_ENABLED",
                                "COOKIES_ENABLED", "HTTPCACHE_ENABLED", "TELNETCONSOLE_ENABLED",
                                "REDIRECT_ENABLED", "RANDOMIZE_DOWNLOAD_DELAY")},
    "LOG_LEVEL": Kind("one of DEBUG, INFO, WARNING, ERROR, CRITICAL", read_log_level),
    "USER_AGENT": text(),
    "RETRY_HTTP_CODES": Kind("a list of HTTP status codes (100-599)", read_status_codes),
    **{name: COMPONENTS for name in ("ITEM_PIPELINES", "DOWNLOADER_MIDDLEWARES",
                                       "SPIDER_MIDDLEWARES", "EXTENSIONS")},
}


def one_edit_apart(given: str, known: str) -> bool:
    """True when one letter inserted, removed, replaced or two swapped turn ``given`` into
    ``known``: a typo, not another name."""
    if given == known or abs(len(given) - len(known)) > 1:
        return False
    if len(given) == len(known):
        differ = [i for i, (a, b) in enumerate(zip(given, known, strict=True)) if a != b]
        return len(differ) == 1 or (len(differ) == 2 and differ[1] == differ[0] + 1
                                    and given[differ[0]] == known[differ[1]]
                                    and given[differ[1]] == known[differ[0]])
    short, long = sorted((given, known), key=len)
    return any(long[:i] + long[i + 1:] == short for i in range(len(long)))


def scrapy_setting_names() -> frozenset[str]:
    """Every setting name Scrapy itself knows (its defaults module)."""
    from scrapy.settings import default_settings
    return frozenset(name for name in dir(default_settings) if name.isupper())


def check_scrapy_settings(settings: Any) -> None:
    """Refuse a Scrapy setting of the wrong type or range (``SCRAPY_KINDS``), and a name that
    is one typo away from a known one (``CONCURENT_REQUESTS``), with the name it meant."""
    known = scrapy_setting_names() | set(BY_NAME) | set(RETIRED)
    for name in sorted(settings):
        if name in known or name.startswith(PREFIX):
            continue
        near = sorted(other for other in known if one_edit_apart(name, other))
        if near:
            raise refusal(name, settings[name], f"a known setting ({near[0]}?)",
                          "an unknown name one letter away from a setting is a typo")
    for name, kind in SCRAPY_KINDS.items():
        given = settings.get(name)
        if given is None:
            continue
        try:
            kind.read(given)
        except ValueError as error:
            raise refusal(name, given, kind.expected, str(error)) from None
