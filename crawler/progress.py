"""The progress line of a crawl: pages, records, rejects and the page rate, at intervals."""

from __future__ import annotations

import logging
import time
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.utils.asyncio import create_looping_call

from crawler import statkeys

logger = logging.getLogger(__name__)


class ProgressLog:
    """Logs pages, records, rejects and the page rate every ``ANALYTICS_PROGRESS_INTERVAL`` s."""

    def __init__(self, crawler: Crawler) -> None:
        assert crawler.stats is not None
        self.stats = crawler.stats
        self.interval = crawler.settings.getfloat("ANALYTICS_PROGRESS_INTERVAL")
        self.started = time.monotonic()
        self.task: Any = None
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ProgressLog:
        return cls(crawler)

    def spider_opened(self) -> None:
        if self.interval > 0:
            self.started = time.monotonic()
            self.task = create_looping_call(self.log_progress)
            self.task.start(self.interval, now=False)

    def log_progress(self) -> None:
        pages = self.stats.get_value("response_received_count", 0)
        minutes = max(time.monotonic() - self.started, 1e-9) / 60
        logger.info(
            "Progress: %d pages (%.1f/min), %d records, %d rejects, %d retries",
            pages, pages / minutes, self.stats.get_value(statkeys.RECORDS, 0),
            self.stats.get_value(statkeys.REJECTED, 0),
            self.stats.get_value("retry/count", 0),
        )

    def spider_closed(self) -> None:
        if self.task is not None and self.task.running:
            self.task.stop()
