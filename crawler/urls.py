"""URL rules: where to fetch a link, the canonical form of an article URL, its stable id."""

from __future__ import annotations

import hashlib
import sys
from functools import lru_cache
from string import Formatter
from urllib.parse import SplitResult, quote, urljoin, urlsplit, urlunsplit

from w3lib.url import canonicalize_url, safe_url_string

from crawler.site import (
    CANONICAL_ORIGIN,
    PAGE_URL_FIELDS,
    SITE_HOSTS,
    is_article_path,
    language_of_path,
)

#: Placeholders whose value changes from one batch to the next.
BATCH_VARYING = ("n", "offset", "cursor")


@lru_cache(maxsize=64)  # a run has one or two base URLs; asked once per link
def origin_of(base_url: str) -> tuple[str, str]:
    """(scheme, netloc) of a base URL such as ``http://127.0.0.1:8000``."""
    parts = urlsplit(base_url)
    return parts.scheme, parts.netloc


def listing_url(base_url: str, section_path: str) -> str:
    """URL of a language's first listing page: its section path on ``base_url``."""
    scheme, netloc = origin_of(base_url)
    return urlunsplit((scheme, netloc, section_path, "", ""))


def listing_key(url: str) -> str:
    """One listing batch's identity: its URL canonicalised as Scrapy's request fingerprint
    does (w3lib's ``canonicalize_url``: query sorted, fragment dropped), so the walk sees a
    batch again exactly where the duplicate filter would."""
    return canonicalize_url(url)


def page_url_values(section_path: str, lang: str, number: int, limit: int,
                    cursor: str = "") -> dict[str, object]:
    """What the placeholders of ``ANALYTICS_PAGE_URL`` stand for at batch ``number``;
    ``cursor``: what the batch before said leads on (empty after page 1)."""
    return {"path": section_path, "n": number, "offset": (number - 1) * limit, "limit": limit,
            "lang": lang, "slug": section_path.rstrip("/").rsplit("/", 1)[-1], "cursor": cursor}


def page_url(template: str, base_url: str, section_path: str, lang: str, number: int,
             limit: int, cursor: str = "", extra_hosts: tuple[str, ...] = ()) -> str | None:
    """URL of listing batch ``number`` built from ``template``, on ``base_url``'s host, or
    on one of ``extra_hosts`` (``ANALYTICS_EXTRA_HOSTS``) when the template names it.

    None when the template leads to any other host (``page_url_problem`` refuses those).
    """
    values = page_url_values(section_path, lang, number, limit, quote(cursor, safe=""))
    built = template.format(**values)
    parts = urlsplit(built)
    if parts.scheme in ("http", "https") and parts.netloc in extra_hosts:
        return safe_url_string(built)
    return fetch_url(built, listing_url(base_url, section_path), base_url)


def page_url_problem(template: str, extra_hosts: tuple[str, ...] | None = (),
                     body: str = "") -> str | None:
    """What is wrong with an ``ANALYTICS_PAGE_URL`` template, or None when it can be used.

    ``extra_hosts``: the hosts it may name besides the site's (None: the hosts and whether
    the batches differ are not judged, the value alone being checked); ``body``: the
    ``ANALYTICS_BATCH_BODY`` template, which may be what differs from batch to batch.
    """
    try:
        fields = [(name, conversion) for _text, name, _spec, conversion
                  in Formatter().parse(template) if name is not None]
    except ValueError as error:
        return f"is not a template ({error})"
    unknown = sorted({name for name, _conversion in fields if name not in PAGE_URL_FIELDS})
    if unknown or any(conversion for _name, conversion in fields):
        return (f"names unknown placeholders {unknown or 'with a !conversion'}; "
                f"known: {', '.join('{' + name + '}' for name in PAGE_URL_FIELDS)}")
    try:
        urls = [template.format(**page_url_values("/category/analitika", "ru", number, 18))
                for number in (2, 3)]
    except (ValueError, TypeError) as error:
        return f"cannot be filled in ({error})"
    parts = urlsplit(urls[0])
    is_path = not parts.scheme and not parts.netloc and urls[0].startswith("/")
    is_url = parts.scheme in ("http", "https") and bool(parts.hostname)
    if not (is_path or is_url):
        return "must give a path (such as {path}?page={n}) or a URL on caliber.az"
    if extra_hosts is None:
        return None
    if is_url and parts.hostname not in SITE_HOSTS and parts.netloc not in extra_hosts:
        return (f"names {parts.netloc}, neither caliber.az nor a host of "
                f"ANALYTICS_EXTRA_HOSTS ({list(extra_hosts)})")
    varies = any(f"{{{name}}}" in body for name in BATCH_VARYING) or "{cursor" in template
    if urls[0] == urls[1] and not varies:
        return ("gives the same URL for every page: it needs {n} or {offset} (or {cursor}; "
                "or ANALYTICS_BATCH_BODY does)")
    return None


def allowed_domains(base_url: str, extra_hosts: tuple[str, ...] = ()) -> list[str]:
    """The spider's ``allowed_domains``: the base URL's host and ``ANALYTICS_EXTRA_HOSTS``
    only, so Scrapy's offsite middleware drops a redirect to any other host (the site's
    links are mapped onto the base URL)."""
    extra = [urlsplit(f"//{host}").hostname or "" for host in extra_hosts]
    return list(dict.fromkeys([_hostname(base_url), *extra]))


def is_site_host(host: str, base_url: str) -> bool:
    """True for the site's own hosts and for the host the crawl runs against."""
    return host in SITE_HOSTS or host == _hostname(base_url)


@lru_cache(maxsize=64)
def _hostname(base_url: str) -> str:
    return urlsplit(base_url).hostname or ""


def fetch_url(href: str, page_url: str, base_url: str) -> str | None:
    """The URL to request for a link found on ``page_url``: on ``base_url``'s host.

    Links to the site under any of its names are moved onto ``base_url`` (a mirror or the
    replica serves the same paths); links to other hosts, and links that are no URL at all
    (``http://[::1/...``, ``link_problem`` says which), give ``None``: never followed.
    """
    if link_problem(href, page_url, base_url) is not None:
        return None
    parts = urlsplit(urljoin(page_url, href.strip()))
    scheme, netloc = origin_of(base_url)
    return safe_url_string(urlunsplit((scheme, netloc, parts.path, parts.query, "")))


def parsed_link(href: str, page_url: str) -> SplitResult | None:
    """The parts of a link found on ``page_url``; None when it cannot be parsed (a bad
    IPv6 host, a port that is no number): one broken link costs that link only."""
    try:
        parts = urlsplit(urljoin(page_url, href.strip()))
        parts.port  # noqa: B018 (raises ValueError for a port out of range or not a number)
    except ValueError:
        return None
    return parts


def link_problem(href: str, page_url: str, base_url: str) -> str | None:
    """Why ``fetch_url`` gives no URL for a link: ``bad_url`` (unparsable), ``not_http``,
    ``another_host``; None when it gives one."""
    parts = parsed_link(href, page_url)
    if parts is None:
        return "bad_url"
    if parts.scheme not in ("http", "https"):
        return "not_http"
    if not is_site_host(parts.hostname or "", base_url):
        return "another_host"
    return None


def canonical_problem(href: str | None, fetched_url: str, base_url: str) -> str | None:
    """Why a page's canonical link may not name its record, or None (also for no link).

    The page does not decide what it is: a link that cannot be parsed (``bad_url``), leads
    off the site's hosts (``another_host``, ``not_http``), to no article (``not_an_article``:
    the home page) or to another language (``other_language``) is not the article's URL.
    """
    if not href:
        return None
    problem = link_problem(href, fetched_url, base_url)
    if problem is not None:
        return problem
    path = urlsplit(urljoin(fetched_url, href.strip())).path
    if not is_article_path(path):
        return "not_an_article"
    if language_of_path(path) != language_of_path(urlsplit(fetched_url).path):
        return "other_language"
    return None


def _public_parts(href: str, page_url: str, base_url: str) -> tuple[str, str, str]:
    """(scheme, netloc, path) of a link's public URL, before it is canonicalised."""
    parts = urlsplit(href.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:  # else urljoin keeps it
        parts = urlsplit(urljoin(page_url, href.strip()))
    if is_site_host(parts.hostname or "", base_url):
        return (*origin_of(CANONICAL_ORIGIN), parts.path)
    return parts.scheme, parts.netloc, parts.path


def _canonicalized(parts: tuple[str, str, str]) -> str:
    """Interned: the run's bookkeeping (ledger, claims, the spider's sets) names an article
    by this URL in several places, one string for them all (docs/benchmarks.md)."""
    return sys.intern(canonicalize_url(urlunsplit((*parts, "", ""))))


@lru_cache(maxsize=1024)  # pure; a listing's card and its reject line ask for the same URL
def canonical_url(href: str, page_url: str, base_url: str) -> str:
    """The article's public URL: on ``https://caliber.az``, no query, no fragment.

    A canonical link to a foreign host is kept as the page gives it (without query).
    """
    return _canonicalized(_public_parts(href, page_url, base_url))


def canonical_pair(href: str, fetched_url: str, base_url: str) -> tuple[str, str]:
    """(``canonical_url`` of ``href`` found on the page at ``fetched_url``, that of
    ``fetched_url`` itself), canonicalised once where the two lead to the same path (a page
    fetched at its canonical URL: most pages)."""
    canonical = _public_parts(href, fetched_url, base_url)
    fetched = _public_parts(fetched_url, fetched_url, base_url)
    first = _canonicalized(canonical)
    return first, first if fetched == canonical else _canonicalized(fetched)


class UrlSet:
    """A set of URLs, kept as the keys of a dict: a run keeps several with one URL an article,
    and at 20,000 URLs a set's table takes 2 MB (it grows fourfold, to stay two fifths
    empty), a dict's 0.4 MB (docs/benchmarks.md). The strings are shared, not copied."""

    __slots__ = ("_urls",)

    def __init__(self) -> None:
        self._urls: dict[str, None] = {}

    def add(self, url: str) -> None:
        self._urls[url] = None

    def __contains__(self, url: object) -> bool:
        return url in self._urls

    def __len__(self) -> int:
        return len(self._urls)


def article_id(canonical: str) -> str:
    """Stable id of an article: a digest of its canonical URL (which includes the language)."""
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:20]
