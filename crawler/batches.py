"""How a listing batch built from settings is asked for: URL, method, body and headers.

Pure (no Scrapy): where page 1 links no next batch, batch N is ``ANALYTICS_PAGE_URL``
filled in for N (``{n}``, ``{offset}``) or with the way on the batch before gave
(``{cursor}``), asked with ``ANALYTICS_BATCH_METHOD``, ``ANALYTICS_BATCH_BODY`` (filled in
the same way) and ``ANALYTICS_BATCH_HEADERS``, on the crawled host or one of
``ANALYTICS_EXTRA_HOSTS``. When the walk ends is not decided here (``crawler.walk``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote_plus

from crawler.site import SiteProfile
from crawler.urls import listing_key, page_url, page_url_values


@dataclass(frozen=True)
class BatchAsk:
    """One batch as it is asked for."""

    url: str
    method: str = "GET"
    body: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)

    def request_options(self) -> dict[str, Any]:
        """The keyword arguments of a Scrapy ``Request`` for ``url`` (no Scrapy here)."""
        return {"method": self.method, "body": self.body or None, "headers": dict(self.headers)}

    @property
    def key(self) -> str:
        """What makes two asks the same (a POST endpoint has one URL for every batch); the
        URL canonicalised as the duplicate filter does (``listing_key``)."""
        return f"{self.method} {listing_key(self.url)} {self.body}"


def fill_body(template: str, values: Mapping[str, object], headers: Mapping[str, str]) -> str:
    """``ANALYTICS_BATCH_BODY`` with its ``{name}`` placeholders filled in, each value escaped
    for the body's type: inside a JSON string when the ``Content-Type`` header says JSON,
    else form-encoded. Other braces (a JSON body's own) stay as they are."""
    content_type = next((value for name, value in headers.items()
                         if name.lower() == "content-type"), "")
    is_json = "json" in content_type.lower()
    body = template
    for name, value in values.items():
        text = str(value)
        body = body.replace("{" + name + "}",
                            json.dumps(text)[1:-1] if is_json else quote_plus(text))
    return body


def batch_ask(site: SiteProfile, base_url: str, section_path: str, lang: str, number: int,
              cursor: str = "") -> BatchAsk | None:
    """Batch ``number`` of ``lang``'s listing; None when its URL would leave the site."""
    url = page_url(site.page_url, base_url, section_path, lang, number, site.page_size,
                   cursor, site.extra_hosts)
    if url is None:
        return None
    values = page_url_values(section_path, lang, number, site.page_size, cursor)
    body = fill_body(site.batch_body, values, site.batch_headers) if site.batch_body else ""
    return BatchAsk(url, site.batch_method, body, dict(site.batch_headers))
