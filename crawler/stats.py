"""The crawl's stats collector: Scrapy's in-memory one, without its per-access shim.

Scrapy's ``StatsCollector.__getattribute__`` runs on every attribute read of the collector
(a formatted name and a caught ``AttributeError`` for each ``self._stats``), to warn of a
``spider`` argument that nothing in this project passes; a crawl counts some forty stats an
article, so the shim cost about 2% of its CPU (docs/benchmarks.md). The stats, their keys
and their dump at the close are Scrapy's own.
"""

from __future__ import annotations

from scrapy.statscollectors import MemoryStatsCollector


class CrawlStats(MemoryStatsCollector):
    """``MemoryStatsCollector`` read through plain attribute lookup."""

    __getattribute__ = object.__getattribute__
