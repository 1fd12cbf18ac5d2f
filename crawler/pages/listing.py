"""Listing page of the section: its cards (the only links the crawl follows) and the next page."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from scrapy.http import TextResponse

from crawler.pages.select import compiled_css, element_text
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
        # Compiled XPaths on the lxml elements, as ``block.css(...)`` would evaluate them,
        # without a parsel Selector around every node (the cost of a listing page was
        # mostly those wrappers: 8 ms for 18 cards).
        card_link = compiled_css(selectors["card_link"])
        card_title = compiled_css(selectors["card_title"])
        card_time = compiled_css(selectors["card_time"])
        cards = []
        for block in compiled_css(selectors["card"])(self.response.selector.root):
            links = card_link(block)
            href = links[0].get("href") if links and not isinstance(links[0], str) else None
            if href and href.strip():
                titles, times = card_title(block), card_time(block)
                cards.append(
                    Card(
                        href=self.response.urljoin(href.strip()),
                        title=element_text(titles[0]) if titles else None,
                        date_text=element_text(times[0]) if times else None,
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
