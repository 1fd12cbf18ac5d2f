"""The refresh schedule's daily cost, computed with the crawler's own ``RefreshSchedule``:
``python -m bench.refresh_cost [ARTICLES] [PER_DAY] [REFRESH_DAYS]``.

A section of ARTICLES (5,000) published at PER_DAY (20) a day before day 0, growing by as
many a day after; a full crawl at day 0, then one incremental run a day at 06:00 UTC, no
daily bound. Prints the refreshes a day (mean, max) for the first days, the first year and
the second and the third year, against the formula: ``PER_DAY`` times the number of ages
(the yearly repeats of the last included) not older than the section's oldest article.
"""

from __future__ import annotations

import statistics
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from crawler.declarations import BY_NAME
from crawler.state.refresh import RefreshCandidate, RefreshSchedule
from crawler.state.retries import RetrySchedule

DAY0 = datetime(2026, 1, 1, 6, tzinfo=UTC)


def simulate(articles: int, per_day: int, refresh_days: int, days: int) -> list[int]:
    """Refreshes of each daily run over ``days`` days."""
    ages = tuple(float(age) for age in BY_NAME["ANALYTICS_REFRESH_AGES"].default)
    schedule = RefreshSchedule(ages, 10**9, RetrySchedule(1, 7))
    step = timedelta(days=1) / per_day
    known = [RefreshCandidate(str(n), "en", DAY0 - step * (n + 1), DAY0)
             for n in range(articles)]
    costs = []
    for day in range(1, days + 1):
        now = DAY0 + timedelta(days=day)
        window = (now - timedelta(days=refresh_days)).replace(hour=0) if refresh_days \
            else now + timedelta(days=1)
        plan = schedule.plan(known, now, window, 0)
        chosen = {candidate.url for candidate in plan.chosen}
        costs.append(len(chosen))
        known = [replace(c, last_seen=now) if c.url in chosen else c for c in known]
        known += [RefreshCandidate(f"new-{day}-{n}", "en", now - step * (n + 1), now)
                  for n in range(per_day)]  # today's new articles, delivered by this run
    return costs


def formula(ages: list[float], per_day: int, oldest_age: float) -> int:
    """Refreshes a day of a section published at ``per_day`` for ``oldest_age`` days: one
    cohort of ``per_day`` articles reaches each age a day, the yearly repeats included."""
    repeats = [ages[-1] * k for k in range(2, int(oldest_age // ages[-1]) + 1)]
    return per_day * sum(1 for age in [*ages, *repeats] if age <= oldest_age)


def main(argv: list[str]) -> int:
    defaults = [5000, 20, 0]
    articles, per_day, refresh_days = [int(value) for value in argv] + defaults[len(argv):]
    ages = BY_NAME["ANALYTICS_REFRESH_AGES"].default
    years = 3
    costs = simulate(articles, per_day, refresh_days, years * 365)
    print(f"{articles} articles, {per_day} new a day, ages {ages}, refresh_days "
          f"{refresh_days}, one run a day, no bound: refreshes a day")
    for year in range(years):
        part = costs[year * 365:(year + 1) * 365]
        expected = statistics.mean(formula(ages, per_day, day + articles / per_day)
                                   for day in range(year * 365 + 1, (year + 1) * 365 + 1))
        print(f"  year {year + 1}: simulated mean {statistics.mean(part):.1f} (min {min(part)}, "
              f"max {max(part)}); formula mean {expected:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
