"""Article page: every field as the page shows it (``RawArticle``)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from scrapy.http import TextResponse

from crawler.items import RawArticle
from crawler.pages.body import body_paragraphs
from crawler.pages.text import first_text
from crawler.site import SiteProfile

_STYLE_URL = re.compile(r"""url\(\s*['"]?([^'")]+?)['"]?\s*\)""")


@dataclass(frozen=True)
class ArticlePage:
    """Reads one article response with the selectors of a site profile."""

    response: TextResponse
    site: SiteProfile

    def _text(self, key: str) -> str | None:
        return first_text(self.response.css(self.site.selectors[key]))

    def _attribute(self, key: str) -> str | None:
        value = self.response.css(self.site.selectors[key]).get()
        return value.strip() if value else None

    def title(self) -> str | None:
        """The title block's text, else the page's first h1."""
        return self._text("title") or self._text("title_fallback")

    def image_href(self) -> str | None:
        """The URL of the cover's ``background-image``, as written."""
        style = self._attribute("cover")
        match = _STYLE_URL.search(style) if style else None
        return match.group(1).strip() if match else None

    def paragraphs(self) -> list[str]:
        """The body's paragraphs, raw; none where the page has no body block."""
        body = self.response.css(self.site.selectors["body"])
        return body_paragraphs(body[0].root) if body else []

    def to_raw(self, base_url: str, scraped_at: str) -> RawArticle:
        """All fields of the page, unnormalised."""
        return RawArticle(
            fetched_url=self.response.url,
            base_url=base_url,
            scraped_at=scraped_at,
            canonical_href=self._attribute("canonical"),
            og_url=self._attribute("og_url"),
            title=self.title(),
            subtitle=self._text("subtitle"),
            category=self._text("category"),
            date_text=self._text("date"),
            views_text=self._text("views"),
            author=self._text("author"),
            image_href=self.image_href(),
            body_paragraphs=self.paragraphs(),
        )
