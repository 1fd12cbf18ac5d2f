"""``scrapy parse``, which with ``--pipelines`` shows what the pipelines made of each item.

Scrapy's own command runs the pipelines but prints the items as the callback returned them;
here ``scrapy parse --spider analytics -c parse_article --pipelines URL`` prints the
normalised, validated record, or why it was rejected. Outside ``scrapy crawl`` the run
components are off (``ANALYTICS_WRITE_RUN``), so nothing is written either way.
"""

from __future__ import annotations

import argparse
from typing import Any
from urllib.parse import urlsplit

from scrapy.commands.parse import Command as ScrapyParseCommand
from scrapy.exceptions import DropItem
from scrapy.utils.defer import deferred_from_coro

from crawler.spiders.analytics import AnalyticsSpider


class Command(ScrapyParseCommand):
    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        """Without ``--spider`` the project's crawl spider, and without ``-a base_url`` the
        URL's own origin: ``scrapy parse URL`` of a page of the replica or a mirror works."""
        super().process_options(args, opts)
        opts.spider = opts.spider or AnalyticsSpider.name
        url = urlsplit(args[0]) if len(args) == 1 else None
        if url is not None and url.scheme in ("http", "https") and url.netloc:
            opts.spargs.setdefault("base_url", f"{url.scheme}://{url.netloc}")

    def scraped_data(self, args: tuple[Any, ...]) -> Any:
        opts = args[2]
        if not opts.pipelines:
            return super().scraped_data(args)
        return deferred_from_coro(self.through_pipelines(args))

    async def through_pipelines(self, args: tuple[Any, ...]) -> Any:
        """Each item as the pipelines return it; a dropped one as ``{"dropped": why}``."""
        items, requests, opts, depth, spider, callback = args
        assert self.pcrawler.engine is not None
        itemproc = self.pcrawler.engine.scraper.itemproc
        processed = []
        for item in items:
            try:
                processed.append(await itemproc.process_item_async(item))
            except DropItem as error:
                processed.append({"dropped": str(error)})
        shown = argparse.Namespace(**{**vars(opts), "pipelines": False})
        return super().scraped_data((processed, requests, shown, depth, spider, callback))
