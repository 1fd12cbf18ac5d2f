"""The framework's floor: Scrapy fetching the crawl's article pages and doing nothing else.

``scrapy runspider bench/floor_spider.py -a urls=FILE`` from a directory outside the
project (Scrapy's defaults, no pipelines): the CPU per page of this run is what Scrapy and
Twisted themselves cost per page on this machine, the part of ``cpu_ms_per_item`` the
crawler's own code cannot remove.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from scrapy import Request, Spider
from scrapy.http import Response


class FloorSpider(Spider):
    name = "floor"
    # As the unthrottled crawl: 16 in flight, no delay, no throttle.
    custom_settings: dict[str, Any] | None = {  # noqa: RUF012
        "CONCURRENT_REQUESTS": 16, "CONCURRENT_REQUESTS_PER_DOMAIN": 16, "DOWNLOAD_DELAY": 0,
        "ROBOTSTXT_OBEY": False, "COOKIES_ENABLED": False, "TELNETCONSOLE_ENABLED": False,
        "LOG_LEVEL": "INFO",
    }

    def __init__(self, urls: str = "", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.urls = Path(urls).read_text("utf-8").split()

    async def start(self) -> AsyncIterator[Request]:
        for url in self.urls:
            yield Request(url, callback=self.parse)

    def parse(self, response: Response) -> None:
        return None
