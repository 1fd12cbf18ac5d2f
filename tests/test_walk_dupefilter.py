"""Scrapy's duplicate filter never decides a walk: the spider's answer to a dropped batch."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.settings import Settings
from scrapy.statscollectors import MemoryStatsCollector

from crawler import statkeys
from crawler.spiders.analytics import AnalyticsSpider
from crawler.walk import BatchSeen, ListingWalk

BASE = "http://127.0.0.1:8000"
PAGE_1 = f"{BASE}/en/category/analytics"


class Engine:
    """Records the requests the spider asks the engine to crawl."""

    def __init__(self) -> None:
        self.asked: list[Request] = []

    def crawl(self, request: Request) -> None:
        self.asked.append(request)


def spider_outside_a_run(tmp_path: Path, **arguments: str
                         ) -> tuple[AnalyticsSpider, Engine, MemoryStatsCollector]:
    """The spider (English, ``arguments``) outside a run, with a recording engine."""
    settings = Settings()
    settings.setmodule("crawler.settings")
    settings.update({"ANALYTICS_OUTPUT_DIR": str(tmp_path),
                     "ANALYTICS_STATE_PATH": str(tmp_path / "state.sqlite3")})
    crawler = Crawler(AnalyticsSpider, settings)
    spider: AnalyticsSpider = AnalyticsSpider.from_crawler(crawler, base_url=BASE, lang="en",
                                                           **arguments)
    engine, stats = Engine(), MemoryStatsCollector(crawler)
    stats.open_spider()
    crawler.spider, crawler.stats = spider, stats
    crawler.engine = engine  # type: ignore[assignment]
    return spider, engine, stats


@pytest.fixture
def crawled(tmp_path: Path) -> tuple[AnalyticsSpider, Engine, MemoryStatsCollector]:
    """The spider outside a run, its English walk past page 1, with a recording engine."""
    spider, engine, stats = spider_outside_a_run(tmp_path)
    walk = spider.walks["en"] = ListingWalk("en", spider.site, BASE, 100)
    walk.first()
    return spider, engine, stats


def listing_request(spider: AnalyticsSpider, url: str) -> Request:
    """A request of the English walk, as the spider asks for a batch."""
    return Request(url, callback=spider.parse_listing, cb_kwargs={"lang": "en"})


def test_a_dropped_batch_is_fetched_or_a_loop(crawled: Any) -> None:
    spider, engine, stats = crawled
    spider.request_dropped(listing_request(spider, PAGE_1))  # never read: fetched after all
    assert [(r.url, r.dont_filter) for r in engine.asked] == [(PAGE_1, True)]
    spider.walks["en"].after(BatchSeen(18, 18, None))
    spider.request_dropped(listing_request(spider, f"{PAGE_1}#top"))  # page 2 led back there
    assert spider.endings["en"].name == "loop"
    assert stats.get_value(statkeys.walk_ending("en")) == "loop"
    assert "leads to" in stats.get_value(statkeys.pagination_failed("en"))
    assert len(engine.asked) == 1


def test_other_dropped_requests_are_not_the_walks(crawled: Any) -> None:
    spider, engine, _ = crawled
    spider.request_dropped(Request(f"{BASE}/en/post/x"))
    spider.request_dropped(listing_request(spider, PAGE_1).replace(dont_filter=True))
    assert engine.asked == []
    assert spider.endings == {}
