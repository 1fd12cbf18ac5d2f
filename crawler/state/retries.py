"""Rejects that outlive a run: which are permanent, what a page showed, when to try again.

A *permanent* reject is a page that was fetched and is not a record (no date, no title, an
unreadable date...) or a listed article that answers 404 or 410: the page was seen, so the
walk of its language may still be complete. The state keeps it open and retries it by a
direct request when due (next run, then ``ANALYTICS_REJECT_RETRY_DAYS`` doubling, capped
at ``ANALYTICS_REJECT_RETRY_MAX_DAYS``) until it becomes a record. Every other reject (a
timeout, a 5xx or 429 after its retries, a truncated body) is *transient*: the walk stays
incomplete and the next run walks the listing again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from crawler.digest import fields_digest

#: Fetch failures that say the page is not there (rather than "not now").
PERMANENT_FETCH_REASONS = frozenset({"fetch_http_404", "fetch_http_410"})
#: Fields of a reject's ``found`` that change on every fetch (or with the crawl's host).
VOLATILE_FIELDS = frozenset({"views_text", "views", "scraped_at", "fetched_url", "base_url"})


def is_permanent(reason: str) -> bool:
    """True when the page was seen and is not a record (it will not change by itself)."""
    return not reason.startswith("fetch_") or reason in PERMANENT_FETCH_REASONS


def found_hash(found: dict[str, Any]) -> str:
    """Digest of what the page showed, without its views counter and fetch time."""
    return fields_digest({name: value for name, value in found.items()
                          if name not in VOLATILE_FIELDS})


@dataclass(frozen=True)
class RetrySchedule:
    """When an open reject is asked for again: the next run, then base, 2x, 4x... capped."""

    base_days: float
    max_days: float

    @classmethod
    def from_settings(cls, settings: Any) -> RetrySchedule:
        return cls(settings.getfloat("ANALYTICS_REJECT_RETRY_DAYS"),
                   settings.getfloat("ANALYTICS_REJECT_RETRY_MAX_DAYS"))

    def next_retry(self, last_seen: datetime, attempts: int) -> datetime:
        """Due time after ``attempts`` fetches that all gave the reject (the last at
        ``last_seen``): at once after the first, then the doubling interval."""
        if attempts <= 1:
            return last_seen
        days = min(self.base_days * 2 ** min(attempts - 2, 60), self.max_days)
        return last_seen + timedelta(days=days)
