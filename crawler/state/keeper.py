"""The crawl's state store and its life, in the manner of Scrapy's ``SpiderState`` extension:
one component opens it, hands it to whoever asks, and closes it when the engine stops."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from crawler import statkeys
from crawler.runs.instants import format_utc
from crawler.runs.paths import RunPaths
from crawler.runs.start import is_run
from crawler.state.store import StateStore

logger = logging.getLogger(__name__)


class CrawlState:
    """Extension: the state store of one crawl, shared by the spider, the ``StatePipeline``,
    the ``RejectsLog`` and the run summary (``CrawlState.of(crawler).store``).

    It opens the store as the crawler is set up, before the engine (so a state that cannot
    be opened stops the run before its first request): in a run the file at
    ``ANALYTICS_STATE_PATH``, locked, the runs that never closed reconciled and this one
    registered; outside a run (``scrapy parse``, ``shell``) an empty store in memory. It
    closes the store once the engine has stopped, after every ``spider_closed`` handler is
    done with it. Off where the run leaves the state alone (``ANALYTICS_USE_STATE`` off:
    ``scrapy reextract``).
    """

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        if not settings.getbool("ANALYTICS_USE_STATE"):
            raise NotConfigured("ANALYTICS_USE_STATE is off (scrapy reextract): no state")
        self.run_id = settings["ANALYTICS_RUN_ID"]
        if not is_run(settings):
            self.store = StateStore(None)  # scrapy parse, shell: nothing on disk
        else:
            self.store = StateStore(Path(settings["ANALYTICS_STATE_PATH"]))
            recovery = self.store.begin_run(RunPaths.of(settings), format_utc())
            if recovery.records:
                logger.warning("Recovered %d records of a run that did not close",
                               recovery.records)
            damaged = recovery.damaged
            if damaged.invalid:
                assert crawler.stats is not None
                crawler.stats.set_value(statkeys.RECOVERY_DAMAGED_LINES, damaged.invalid)
                logger.warning("Skipped %d damaged lines of a run that did not close (their "
                               "articles are fetched again): %s", damaged.invalid,
                               "; ".join(damaged.invalid_shown))
        crawler.signals.connect(self.close, signal=signals.engine_stopped)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlState:
        return cls(crawler)

    @classmethod
    def of(cls, crawler: Crawler) -> CrawlState:
        """The crawl's own (``RuntimeError`` when the extension is off)."""
        keeper = crawler.get_extension(cls)
        if keeper is None:
            raise RuntimeError("the CrawlState extension is off (EXTENSIONS, "
                               "ANALYTICS_USE_STATE): this crawl has no state")
        return keeper

    def rejects_summary(self) -> dict[str, list[dict[str, Any]]]:
        """The rejects still open as the run closes, and those it closed (for the summary)."""
        return {"open": [reject.summary() for reject in self.store.open_rejects()],
                "closed": self.store.closed_rejects(self.run_id)}

    def close(self) -> None:
        self.store.close()
