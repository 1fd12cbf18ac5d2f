"""How the ``analytics`` spider ends its walks: each ending recorded for the run summary
and the check it fails told (``crawler.walk.ENDINGS``); a listing batch Scrapy's duplicate
filter dropped, or redirected to another host, is never a silent end of a walk."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from scrapy import Request

from crawler import statkeys
from crawler.doors import OffsiteRequest, http_status
from crawler.walk import Ending, ListingWalk

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from twisted.python.failure import Failure

#: The spider's own logger (Scrapy names it after the spider).
logger = logging.getLogger("analytics")
#: Meta of every listing request: Scrapy's offsite check drops a redirect to another host
#: unseen when it is scheduled; past it, ``SiteHostsOnly`` refuses it at download time with
#: an errback (``listing_failed``), so the walk says where the listing went.
LISTING_META = {"allow_offsite": True}


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
        # Where nothing answers at all, the run's one error has named the host already.
        level = logging.WARNING if stats.get_value(statkeys.UNREACHABLE_HOST) else ending.level
        logger.log(level, "Listing %s ends (%s): %s", lang, ending.name, ending.why)

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

    def listing_failed(self, failure: Failure) -> None:
        """A listing batch that failed: a 404 past page 1 may be the end; a redirect to
        another host is named with where it led; anything else is loud."""
        request = failure.request  # type: ignore[attr-defined]
        lang = request.cb_kwargs["lang"]
        walk = self.walks[lang]
        if isinstance(away := failure.value, OffsiteRequest):
            self.walk_ended(lang, walk.redirected_offsite(away.url, away.hosts))
            return
        detail = f"failed: {failure.getErrorMessage()}"
        self.walk_ended(lang, walk.after_status(http_status(failure), detail))
