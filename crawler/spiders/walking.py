"""How the ``analytics`` spider ends its walks: each ending recorded for the run summary
and the check it fails told (``crawler.walk.ENDINGS``); a listing batch Scrapy's duplicate
filter dropped is never the end of a walk."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from scrapy import Request

from crawler import statkeys
from crawler.walk import Ending, ListingWalk

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

#: The spider's own logger (Scrapy names it after the spider).
logger = logging.getLogger("analytics")


class WalkSpider:
    """The spider's side of its walks (``AnalyticsSpider`` has these attributes)."""

    crawler: Crawler
    walks: dict[str, ListingWalk]
    endings: dict[str, Ending]

    def walk_ended(self, lang: str, ending: Ending) -> None:
        """The walk of ``lang`` is over: its ending recorded, and the check it fails told."""
        self.endings[lang] = ending
        stats = self.crawler.stats
        stats.set_value(statkeys.walk_ending(lang), ending.name)
        check = ending.kind.check
        if check == "pagination":
            stats.set_value(statkeys.pagination_failed(lang), ending.why)
        elif check == "layout":
            stats.set_value(statkeys.layout_failed(lang), ending.why)
        elif check == "listings":
            stats.inc_value(statkeys.LISTING_FAILED)
        if ending.name in ("repeat", "loop"):
            stats.inc_value(statkeys.LISTING_LOOPS)
        logger.log(ending.level, "Listing %s ends (%s): %s", lang, ending.name, ending.why)

    def request_dropped(self, request: Request) -> None:
        """A listing batch Scrapy's duplicate filter dropped never decides the walk: it is a
        batch already read (reached again, by a redirect: a loop, and the walk says so), or
        it is asked for again past the filter. The walk asks no batch twice by itself
        (``listing_key`` is the filter's own canonical form)."""
        if getattr(request.callback, "__name__", "") != "parse_listing" or request.dont_filter:
            return
        lang = request.cb_kwargs["lang"]
        ending = self.walks[lang].dropped(request.url)
        if ending is not None:
            self.walk_ended(lang, ending)
        elif self.crawler.engine is not None:
            self.crawler.engine.crawl(request.replace(dont_filter=True))
