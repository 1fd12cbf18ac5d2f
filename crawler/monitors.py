"""End-of-run checks, declared as small classes (in the manner of spidermon's monitors).

Each monitor names what it checks, reads the run's stats and, where a threshold
applies, one ``ANALYTICS_MONITOR_*`` setting. The run is ``ok`` when all pass; the
summary lists the failures and ``scrapy crawl`` then exits non-zero.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar


@dataclass(frozen=True)
class RunFacts:
    """What a monitor may look at: the stats, the settings and the finish reason."""

    stats: Mapping[str, Any]
    settings: Any
    finish_reason: str

    def count(self, key: str) -> int:
        return int(self.stats.get(key, 0) or 0)

    def count_prefix(self, prefix: str) -> int:
        """Sum of every counter whose key starts with ``prefix``."""
        return sum(int(v) for k, v in self.stats.items() if k.startswith(prefix))


class Monitor:
    """One check of a finished run; ``failure`` says what is wrong, or None."""

    name: ClassVar[str]

    def failure(self, facts: RunFacts) -> str | None:
        raise NotImplementedError


class FinishedNormally(Monitor):
    name = "finish_reason"

    def failure(self, facts: RunFacts) -> str | None:
        if facts.finish_reason != "finished":
            return f"the run ended with {facts.finish_reason!r}, not 'finished'"
        return None


class NoErrors(Monitor):
    """Errors in the log: failed fetches after their retries, exceptions in callbacks."""

    name = "errors"

    def failure(self, facts: RunFacts) -> str | None:
        limit = facts.settings.getint("ANALYTICS_MONITOR_MAX_ERRORS")
        errors = facts.count("log_count/ERROR") + facts.count("log_count/CRITICAL")
        if errors > limit:
            return f"{errors} errors in the log (allowed: {limit})"
        return None


class ListingsReached(Monitor):
    """Every language's first listing page answered with cards."""

    name = "listings"

    def failure(self, facts: RunFacts) -> str | None:
        failed = facts.count("analytics/listing_failed")
        if failed:
            return f"{failed} listing pages could not be fetched"
        return None


class RejectsRatio(Monitor):
    name = "rejects_ratio"

    def failure(self, facts: RunFacts) -> str | None:
        rejects = facts.count("analytics/rejected")
        total = rejects + facts.count("analytics/records")
        limit = facts.settings.getfloat("ANALYTICS_MONITOR_MAX_REJECTS_RATIO")
        if total and rejects / total > limit:
            return f"{rejects} of {total} articles rejected (allowed ratio {limit})"
        return None


#: The monitors run at the end of every run, in this order.
MONITORS: tuple[Monitor, ...] = (FinishedNormally(), NoErrors(), ListingsReached(),
                                 RejectsRatio())


def failed_checks(facts: RunFacts) -> dict[str, str]:
    """Monitor name -> what failed, for every failing monitor."""
    failures = {monitor.name: monitor.failure(facts) for monitor in MONITORS}
    return {name: message for name, message in failures.items() if message}
