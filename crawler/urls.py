"""URL rules: where to fetch a link, the canonical form of an article URL, its stable id."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from urllib.parse import urlencode, urljoin, urlsplit, urlunsplit

from w3lib.url import canonicalize_url, safe_url_string

from crawler.site import CANONICAL_ORIGIN, SITE_HOSTS


@lru_cache(maxsize=64)  # a run has one or two base URLs; asked once per link
def origin_of(base_url: str) -> tuple[str, str]:
    """(scheme, netloc) of a base URL such as ``http://127.0.0.1:8000``."""
    parts = urlsplit(base_url)
    return parts.scheme, parts.netloc


def listing_url(base_url: str, section_path: str, page: int, page_param: str) -> str:
    """URL of listing page ``page`` (1-based); page 1 carries no parameter."""
    query = urlencode({page_param: page}) if page > 1 else ""
    scheme, netloc = origin_of(base_url)
    return urlunsplit((scheme, netloc, section_path, query, ""))


def is_site_host(host: str, base_url: str) -> bool:
    """True for the site's own hosts and for the host the crawl runs against."""
    return host in SITE_HOSTS or host == _hostname(base_url)


@lru_cache(maxsize=64)
def _hostname(base_url: str) -> str:
    return urlsplit(base_url).hostname or ""


def fetch_url(href: str, page_url: str, base_url: str) -> str | None:
    """The URL to request for a link found on ``page_url``: on ``base_url``'s host.

    Links to the site under any of its names are moved onto ``base_url`` (a mirror or the
    replica serves the same paths); links to other hosts give ``None``: never followed.
    """
    parts = urlsplit(urljoin(page_url, href.strip()))
    if parts.scheme not in ("http", "https") or not is_site_host(parts.hostname or "", base_url):
        return None
    scheme, netloc = origin_of(base_url)
    return safe_url_string(urlunsplit((scheme, netloc, parts.path, parts.query, "")))


@lru_cache(maxsize=1024)  # pure; the spider and the pipeline ask for the same URL in turn
def canonical_url(href: str, page_url: str, base_url: str) -> str:
    """The article's public URL: on ``https://caliber.az``, no query, no fragment.

    A canonical link to a foreign host is kept as the page gives it (without query).
    """
    parts = urlsplit(urljoin(page_url, href.strip()))
    scheme, netloc = parts.scheme, parts.netloc
    if is_site_host(parts.hostname or "", base_url):
        scheme, netloc = origin_of(CANONICAL_ORIGIN)
    return canonicalize_url(urlunsplit((scheme, netloc, parts.path, "", "")))


def article_id(canonical: str) -> str:
    """Stable id of an article: a digest of its canonical URL (which includes the language)."""
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:20]
