"""Listing page of the section: its cards (the only links the crawl follows) and the next page."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from scrapy.http import TextResponse

from crawler.pages.text import first_text
from crawler.site import SiteProfile


@dataclass(frozen=True)
class Card:
    """One card of a listing, as shown: the article's link, title and date."""

    href: str
    title: str | None
    date_text: str | None


@dataclass(frozen=True)
class ListingPage:
    """Reads one listing response with the selectors of a site profile."""

    response: TextResponse
    site: SiteProfile

    def cards(self) -> list[Card]:
        """The listing's cards in page order (menus, sidebars and switchers are not cards)."""
        selectors = self.site.selectors
        cards = []
        for block in self.response.css(selectors["card"]):
            href = block.css(selectors["card_link"]).attrib.get("href")
            if href and href.strip():
                cards.append(
                    Card(
                        href=self.response.urljoin(href.strip()),
                        title=first_text(block.css(selectors["card_title"])),
                        date_text=first_text(block.css(selectors["card_time"])),
                    )
                )
        return cards

    def page_number(self) -> int:
        """This page's number from the page parameter (1 where absent or unreadable)."""
        query = dict(parse_qsl(urlsplit(self.response.url).query))
        value = query.get(self.site.page_param, "1")
        return int(value) if value.isdigit() and int(value) > 0 else 1

    def next_page_url(self) -> str | None:
        """URL of the next listing page; none after a page without cards (the end)."""
        if not self.cards():
            return None
        parts = urlsplit(self.response.url)
        query = [(k, v) for k, v in parse_qsl(parts.query) if k != self.site.page_param]
        query.append((self.site.page_param, str(self.page_number() + 1)))
        return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))
