"""The consolidation store (SQLite): one row per article, fed line by line from the run files."""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crawler.dataset.schema import BATCH_ROWS, parse_timestamp
from crawler.disk import connect_sqlite
from crawler.runs.instants import format_utc
from crawler.runs.paths import run_files
from crawler.runs.reading import whole_lines_from
from crawler.validation import RecordCheck

logger = logging.getLogger(__name__)


class DatasetError(Exception):
    """The dataset cannot be built as asked (a consolidated run file changed, ...)."""


STORE_SQL = """
CREATE TABLE IF NOT EXISTS articles (
    id TEXT PRIMARY KEY,
    date_key TEXT NOT NULL,    -- the publication instant in UTC: the sort order
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    latest_key TEXT NOT NULL,  -- scraped_at|run|line of the kept record: the latest wins
    record TEXT NOT NULL       -- that record, as JSON
);
CREATE INDEX IF NOT EXISTS articles_by_date ON articles (date_key, id);
CREATE TABLE IF NOT EXISTS sources (
    run_id TEXT PRIMARY KEY,
    bytes INTEGER NOT NULL,    -- bytes of whole lines consumed
    lines INTEGER NOT NULL,    -- lines consumed
    invalid INTEGER NOT NULL,  -- of which not a valid record (skipped, logged)
    head TEXT NOT NULL         -- sha256 of the first consumed bytes: notices a replaced file
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

UPSERT_SQL = """
INSERT INTO articles (id, date_key, first_seen, last_seen, latest_key, record)
VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (id) DO UPDATE SET
    first_seen = min(articles.first_seen, excluded.first_seen),
    last_seen = max(articles.last_seen, excluded.last_seen),
    date_key = CASE WHEN excluded.latest_key >= articles.latest_key
                    THEN excluded.date_key ELSE articles.date_key END,
    record = CASE WHEN excluded.latest_key >= articles.latest_key
                  THEN excluded.record ELSE articles.record END,
    latest_key = max(articles.latest_key, excluded.latest_key)
"""
HEAD_BYTES = 4096


def open_store(path: Path) -> sqlite3.Connection:
    """The consolidation store (created if missing); transactions are explicit."""
    connection = connect_sqlite(path)
    connection.executescript(STORE_SQL)
    return connection


def meta(connection: sqlite3.Connection, key: str, default: str) -> str:
    """A value of the store's ``meta`` table (``dataset_version``...)."""
    row = connection.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return str(row[0]) if row else default


def set_meta(connection: sqlite3.Connection, key: str, value: str) -> None:
    connection.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))


def _head_digest(path: Path, size: int) -> str:
    with path.open("rb") as handle:
        return hashlib.sha256(handle.read(min(size, HEAD_BYTES))).hexdigest()


@dataclass
class SourceState:
    """What the store consumed of one run file."""

    run_id: str
    bytes: int = 0
    lines: int = 0
    invalid: int = 0
    head: str = ""


@dataclass
class IngestCounts:
    """What one call read."""

    files: int = 0
    lines: int = 0
    invalid: int = 0


def _utc_key(date: str) -> str:
    return format_utc(parse_timestamp(date))


def ingest(connection: sqlite3.Connection, output_dir: Path,
           validator: RecordCheck) -> IngestCounts:
    """Fold every new line of every run file into the store (inside the caller's transaction).

    Raises DatasetError when a run file is shorter than what was consumed of it or its first
    bytes changed: it was replaced, and only ``--rebuild`` can say what it means now.
    """
    counts = IngestCounts()
    known = {row[0]: SourceState(*row) for row in
             connection.execute("SELECT run_id, bytes, lines, invalid, head FROM sources")}
    for run_id, path in run_files(output_dir, "articles").items():
        state = known.get(run_id, SourceState(run_id))
        size = path.stat().st_size
        if size == state.bytes:
            continue
        if size < state.bytes or (
            state.bytes and _head_digest(path, state.bytes) != state.head
        ):
            raise DatasetError(
                f"{path} changed after it was consolidated (it was {state.bytes} bytes); "
                "run `scrapy dataset --rebuild` to consolidate every run file again"
            )
        before = state.lines
        batch: list[tuple[str, str, str, str, str, str]] = []
        for offset, line in whole_lines_from(path, state.bytes):
            state.lines += 1
            state.bytes = offset
            row = _parse(line, validator, path, state.lines)
            if row is None:
                state.invalid += 1
                continue
            record, text = row
            scraped = record["scraped_at"]
            # Same fetch (same id and scraped_at) in two runs: the later run wins, and a
            # re-extraction's run is always later than its archive's (scrapy reextract).
            batch.append((record["id"], _utc_key(record["date"]), scraped, scraped,
                          f"{scraped}|{run_id}|{state.lines:010d}", text))
            if len(batch) >= BATCH_ROWS:
                connection.executemany(UPSERT_SQL, batch)
                batch.clear()
        if batch:
            connection.executemany(UPSERT_SQL, batch)
        if state.lines == before:
            continue  # only a partial line so far
        if not state.head:
            state.head = _head_digest(path, state.bytes)
        connection.execute(
            "INSERT OR REPLACE INTO sources (run_id, bytes, lines, invalid, head) "
            "VALUES (?, ?, ?, ?, ?)",
            (run_id, state.bytes, state.lines, state.invalid, state.head),
        )
        counts.files += 1
        counts.lines += state.lines - before
    counts.invalid = sum(row[0] for row in connection.execute("SELECT invalid FROM sources"))
    return counts


def _parse(line: bytes, validator: RecordCheck, path: Path,
           number: int) -> tuple[dict[str, Any], str] | None:
    """A line as a valid record (and its JSON text), or None (logged) if it is not one."""
    try:
        record = json.loads(line)
    except ValueError as failure:
        logger.warning("%s line %d is not JSON (%s): skipped", path, number, failure)
        return None
    problem = validator.first_error(record)
    if problem is not None:
        logger.warning("%s line %d is not a valid record (%s): skipped", path, number,
                       problem.message)
        return None
    return record, line.decode("utf-8").rstrip("\n")


def dataset_rows(connection: sqlite3.Connection) -> Iterator[dict[str, Any]]:
    """Every article once, sorted by publication instant then id, streamed from the store."""
    cursor = connection.execute(
        "SELECT record, first_seen, last_seen FROM articles ORDER BY date_key, id")
    for text, first_seen, last_seen in cursor:
        row: dict[str, Any] = json.loads(text)
        row["first_seen"], row["last_seen"] = first_seen, last_seen
        yield row
