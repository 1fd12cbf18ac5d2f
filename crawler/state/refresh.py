"""When an incremental run fetches a known article again (for its views, its edits, its removal).

Two rules make an article due: it is inside the run's ``refresh_days`` window (fetched every
run, as before), or it has reached an age of ``ANALYTICS_REFRESH_AGES`` (days after its
publication: 1, 3, 7, 30, 90, 365, then every 365 days) since it was last fetched. An
article that answered 404/410 to a refresh is due by the rejects' retry schedule instead
(``RetrySchedule``: next run, then doubling). ``ANALYTICS_REFRESH_DAILY_MAX`` bounds the
refreshes of a UTC day over all runs: the due articles beyond it wait for the next run with
room, the window's first (newest first), then the most overdue.

Daily cost, steady state (a section of N articles older than the last age, growing by r a
day, runs at least daily): ``r * len(ages) + N / ages[-1]`` refreshes a day (each new
article is fetched once at each age; each older one once a year).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from crawler.state.retries import RetrySchedule


@dataclass(frozen=True)
class RefreshCandidate:
    """A known article as the schedule weighs it."""

    url: str
    lang: str
    published: datetime
    last_seen: datetime
    #: Refreshes in a row that answered 404/410 (0: it answered the last one), and when.
    gone_attempts: int = 0
    gone_last: datetime | None = None


@dataclass(frozen=True)
class RefreshSchedule:
    """The ages of refresh, the daily bound and the retry schedule of removed articles."""

    ages_days: tuple[float, ...]
    daily_max: int
    removed_retry: RetrySchedule

    @classmethod
    def from_settings(cls, settings: Any) -> RefreshSchedule:
        from crawler.declarations import read_setting  # checked before the crawl
        return cls(tuple(read_setting(settings, "ANALYTICS_REFRESH_AGES")),
                   settings.getint("ANALYTICS_REFRESH_DAILY_MAX"),
                   RetrySchedule.from_settings(settings))

    def age_due(self, published: datetime, last_seen: datetime) -> datetime:
        """The first age of refresh after the article's last fetch (after the last age,
        every multiple of it)."""
        age = (last_seen - published) / timedelta(days=1)
        for days in self.ages_days:
            if days > age:
                return published + timedelta(days=days)
        last = self.ages_days[-1]
        return published + timedelta(days=last * (math.floor(age / last) + 1))

    def due_at(self, candidate: RefreshCandidate) -> datetime:
        """When ``candidate`` is due: by its age, or by the retry schedule once it was gone."""
        if candidate.gone_attempts and candidate.gone_last is not None:
            return self.removed_retry.next_retry(candidate.gone_last, candidate.gone_attempts)
        return self.age_due(candidate.published, candidate.last_seen)

    def plan(self, candidates: list[RefreshCandidate], now: datetime, window_start: datetime,
             done_today: int) -> RefreshPlan:
        """The due refreshes, and the ones this run makes within the day's bound."""
        window = [c for c in candidates if c.published >= window_start]
        window.sort(key=lambda c: c.published, reverse=True)
        inside = {c.url for c in window}
        aged = [(self.due_at(c), c) for c in candidates if c.url not in inside]
        overdue = [c for due, c in sorted(aged, key=lambda pair: (pair[0], pair[1].url))
                   if due <= now]
        due = overdue + window  # the aged ones first: the window comes back every run
        room = max(0, self.daily_max - done_today)
        return RefreshPlan(due=due, chosen=due[:room], done_today=done_today,
                           daily_max=self.daily_max)


@dataclass
class RefreshPlan:
    """What a run found due and what it asks for (the run summary's ``refresh``)."""

    due: list[RefreshCandidate] = field(default_factory=list)
    chosen: list[RefreshCandidate] = field(default_factory=list)
    done_today: int = 0
    daily_max: int = 0

    def summary(self) -> dict[str, int]:
        return {"due": len(self.due), "requested": len(self.chosen),
                "deferred": len(self.due) - len(self.chosen),
                "done_earlier_today": self.done_today, "daily_max": self.daily_max}


def utc_day_start(moment: datetime) -> datetime:
    """Midnight UTC of ``moment``'s day: the daily bound counts from there."""
    return moment.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)

