"""Instants as the crawler writes them, formatted in one place.

An instant is ISO 8601 in UTC with a ``Z``, to the millisecond (``2026-11-28T06:00:00.123Z``):
a fetch (the record's ``scraped_at``, its answer's ``WARC-Date``), a run's start and end.
The state's columns and the rejects' ``seen_at`` keep the same form cut to the second
(``format_utc``): the state compares them as text with what earlier runs stored. A run id is
its start in the same form, compact enough to name files (``20261128T071500.123Z``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

#: A run id: its start in UTC, sortable, safe as a file name (``20261128T071500.123Z``).
RUN_ID_PATTERN = re.compile(r"^\d{8}T\d{6}\.\d{3}Z\Z")  # \Z: no newline after it
#: ``request.meta`` key of the instant the answer arrived: set by the archive as it writes
#: the answer (its ``WARC-Date``) and by ``scrapy reextract``; the record's ``scraped_at``.
FETCHED_AT = "analytics_fetched_at"


def format_instant(moment: datetime | None = None) -> str:
    """``moment`` (default: now) in UTC to the millisecond: ``2026-11-28T06:00:00.123Z``."""
    moment = (moment or datetime.now(UTC)).astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def format_utc(moment: datetime | None = None) -> str:
    """The instant cut to the second, as the state stores it: ``2026-11-28T06:00:00Z``."""
    return format_instant(moment)[:19] + "Z"


def parse_instant(text: str) -> datetime:
    """An aware datetime from either form of an instant (``...:00Z`` or ``...:00.123Z``)."""
    return datetime.fromisoformat(text).astimezone(UTC)


def fetch_instant(meta: Mapping[str, Any]) -> str:
    """When the answer with this ``request.meta`` arrived (``FETCHED_AT``), else now (the
    archive is off, or the page was not fetched by a crawl: ``scrapy parse``)."""
    return str(meta.get(FETCHED_AT) or format_instant())


def new_run_id(now: datetime | None = None) -> str:
    """The id of a run starting ``now``: its instant without the ``-`` and ``:``."""
    return format_instant(now).replace("-", "").replace(":", "")


def validate_run_id(run_id: str) -> str:
    """The run id if it has the one allowed form (it names files: nothing else may pass)."""
    if not RUN_ID_PATTERN.match(run_id):
        raise ValueError(f"run id {run_id!r} is not of the form 20261128T071500.123Z")
    return run_id


def run_start(run_id: str) -> datetime:
    """The start of a run, from its id (``20261128T071500.123Z``)."""
    return datetime.strptime(run_id, "%Y%m%dT%H%M%S.%fZ").replace(tzinfo=UTC)
