"""The run's rejects file: every rejected article, one line each, in ``rejects/<run>.jsonl``."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.http import Response

from crawler import statkeys
from crawler.exceptions import Rejected
from crawler.runs.files import LineFile
from crawler.runs.instants import format_utc
from crawler.runs.paths import RunPaths
from crawler.runs.start import require_run
from crawler.site import language_of_path
from crawler.state.keeper import CrawlState
from crawler.state.retries import RetrySchedule, found_hash, is_permanent


class RejectsLog:
    """Writes every rejected article to ``rejects/<run>.jsonl`` and notes the permanent ones
    in the state.

    A line holds the URL, reason, detail and fields found, plus when it was seen, the hash
    of what the page showed, ``known`` (an earlier run left the same reject open: no new
    alarm) and ``since`` (its first sighting; null for a transient reject). The run summary
    asks it for the rejects of the run (``new_rejects``, ``known_rejects``).
    """

    def __init__(self, crawler: Crawler) -> None:
        require_run(crawler.settings, "RejectsLog")
        assert crawler.stats is not None
        self.crawler = crawler
        self.stats = crawler.stats
        self.run_id = crawler.settings["ANALYTICS_RUN_ID"]
        self.schedule = RetrySchedule.from_settings(crawler.settings)
        self.use_state = crawler.settings.getbool("ANALYTICS_USE_STATE")
        self.file = LineFile(RunPaths.of(crawler.settings).rejects)
        #: (url, reason, since, known) of every line written, for the run summary.
        self.written: list[tuple[str, str, str | None, bool]] = []
        crawler.signals.connect(self.item_dropped, signal=signals.item_dropped)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RejectsLog:
        return cls(crawler)

    def item_dropped(self, item: Any, response: Response | None, exception: Exception) -> None:
        if not isinstance(exception, Rejected):
            return
        seen_at = format_utc()
        digest = found_hash(exception.found)
        known, since = self.note_in_state(exception, digest, seen_at)
        self.file.write(
            {"url": exception.url, "reason": exception.reason, "detail": exception.detail,
             "found": exception.found, "seen_at": seen_at, "hash": digest, "known": known,
             "since": since}
        )
        self.written.append((exception.url, exception.reason, since, known))
        self.stats.inc_value(statkeys.REJECTED)
        self.stats.inc_value(statkeys.rejected(exception.reason))
        if known:
            self.stats.inc_value(statkeys.REJECTS_KNOWN)

    def note_in_state(self, exception: Rejected, digest: str,
                      seen_at: str) -> tuple[bool, str | None]:
        """(known, since) of a permanent reject, recorded in the crawl's state (none for a
        run that leaves the state as it is: ``scrapy reextract``)."""
        if (not self.use_state or exception.canonical is None
                or not is_permanent(exception.reason)):
            return False, None
        lang = language_of_path(urlsplit(exception.canonical).path)
        return CrawlState.of(self.crawler).store.note_reject(
            exception.canonical, lang, exception.reason, digest, seen_at, self.run_id,
            self.schedule)

    def rejects(self, known: bool) -> list[dict[str, Any]]:
        """The run's rejects an earlier run had left open (``known``), or the new ones."""
        return [{"url": url, "reason": reason, "since": since}
                for url, reason, since, was_known in self.written if was_known == known]

    def spider_closed(self) -> None:
        self.file.close()
