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

from crawler.dataset.schema import parse_timestamp
from crawler.digest import changed_fields, content_hash
from crawler.disk import connect_sqlite
from crawler.runs.instants import format_utc
from crawler.runs.paths import run_files
from crawler.runs.reading import whole_lines_from
from crawler.validation import RecordCheck

logger = logging.getLogger(__name__)


class DatasetError(Exception):
    """The dataset cannot be built as asked (a consolidated run file changed, ...)."""



#: Layout of the store's tables; a store of another layout is built again from the run files.
STORE_FORMAT = "2"
STORE_SQL = """
CREATE TABLE IF NOT EXISTS articles (
    id TEXT PRIMARY KEY,
    date_key TEXT NOT NULL,    -- the publication instant in UTC: the sort order
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    latest_key TEXT NOT NULL,  -- scraped_at|run|line of the kept record: the latest wins
    record TEXT NOT NULL,      -- that record, as JSON
    edit_hash TEXT NOT NULL,   -- digest.content_hash of it
    revision INTEGER NOT NULL, -- 1, one more at each edit
    edited_at TEXT             -- scraped_at of the fetch that showed the last edit
);
CREATE TABLE IF NOT EXISTS observations (  -- views.parquet
    id TEXT NOT NULL, observed_at TEXT NOT NULL, url TEXT NOT NULL, lang TEXT NOT NULL,
    views INTEGER NOT NULL, PRIMARY KEY (id, observed_at)
);
CREATE TABLE IF NOT EXISTS revisions (  -- revisions.parquet
    id TEXT NOT NULL, observed_at TEXT NOT NULL, url TEXT NOT NULL,
    previous_hash TEXT NOT NULL, hash TEXT NOT NULL, fields_changed TEXT NOT NULL,
    PRIMARY KEY (id, observed_at)
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

INSERT_SQL = """
INSERT INTO articles (id, date_key, first_seen, last_seen, latest_key, record, edit_hash,
                      revision, edited_at)
VALUES (?, ?, ?, ?, ?, ?, ?, 1, NULL)
"""
OBSERVATION_SQL = """
INSERT OR REPLACE INTO observations (id, observed_at, url, lang, views) VALUES (?, ?, ?, ?, ?)
"""
HEAD_BYTES = 4096


def open_store(path: Path) -> sqlite3.Connection:
    """The consolidation store (created if missing; one of an earlier layout is dropped,
    to be built again from the run files); transactions are explicit."""
    connection = connect_sqlite(path)
    tables = {row[0] for row in connection.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table'")}
    if tables and ("meta" not in tables or meta(connection, "store_format", "") != STORE_FORMAT):
        logger.info("%s has an earlier layout: consolidating every run file again", path)
        connection.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        connection = connect_sqlite(path)
    connection.executescript(STORE_SQL)
    set_meta(connection, "store_format", STORE_FORMAT)
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
        for offset, line in whole_lines_from(path, state.bytes):
            state.lines += 1
            state.bytes = offset
            row = _parse(line, validator, path, state.lines)
            if row is None:
                state.invalid += 1
                continue
            record, text = row
            # Same fetch (same id and scraped_at) in two runs: the later run wins, and a
            # re-extraction's run is always later than its archive's (scrapy reextract).
            fold(connection, record, text, f"{record['scraped_at']}|{run_id}|{state.lines:010d}")
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


def fold(connection: sqlite3.Connection, record: dict[str, Any], text: str,
         latest_key: str) -> None:
    """One record into the store: its views observation, and its article row (the latest
    record wins; a later fetch showing other content is an edit: a revision)."""
    scraped = record["scraped_at"]
    if record.get("views") is not None:
        connection.execute(OBSERVATION_SQL, (record["id"], scraped, record["url"],
                                             record["lang"], record["views"]))
    digest = content_hash(record)
    kept = connection.execute("SELECT latest_key, edit_hash FROM articles WHERE id = ?",
                              (record["id"],)).fetchone()
    if kept is None:
        connection.execute(INSERT_SQL, (record["id"], _utc_key(record["date"]), scraped, scraped,
                                        latest_key, text, digest))
        return
    if latest_key < kept[0]:  # an older fetch, read late: only its views and seen times count
        connection.execute("UPDATE articles SET first_seen = min(first_seen, ?), "
                           "last_seen = max(last_seen, ?) WHERE id = ?",
                           (scraped, scraped, record["id"]))
        return
    # A later fetch with other content is an edit; the same fetch read again (a
    # re-extraction: the same scraped_at, the key's first part) a correction of the record.
    edited = digest != kept[1] and scraped > kept[0].split("|", 1)[0]
    if edited:
        previous = json.loads(connection.execute("SELECT record FROM articles WHERE id = ?",
                                                 (record["id"],)).fetchone()[0])
        connection.execute(
            "INSERT OR REPLACE INTO revisions VALUES (?, ?, ?, ?, ?, ?)",
            (record["id"], scraped, record["url"], kept[1], digest,
             json.dumps(changed_fields(previous, record))))
    connection.execute(
        "UPDATE articles SET first_seen = min(first_seen, ?), last_seen = max(last_seen, ?), "
        "date_key = ?, latest_key = ?, record = ?, edit_hash = ?, "
        "revision = revision + ?, edited_at = CASE WHEN ? THEN ? ELSE edited_at END "
        "WHERE id = ?",
        (scraped, scraped, _utc_key(record["date"]), latest_key, text, digest, int(edited),
         edited, scraped, record["id"]))


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



def dataset_rows(connection: sqlite3.Connection,
                 gone: dict[str, list[str]] | None = None) -> Iterator[dict[str, Any]]:
    """Every article once, sorted by publication instant then id, streamed from the store;
    ``gone``: the refreshes that found each URL gone (``history.gone_refreshes``)."""
    cursor = connection.execute(
        "SELECT record, first_seen, last_seen, revision, edited_at FROM articles "
        "ORDER BY date_key, id")
    for text, first_seen, last_seen, revision, edited_at in cursor:
        row: dict[str, Any] = json.loads(text)
        row["first_seen"], row["last_seen"] = first_seen, last_seen
        row["revision"], row["edited_at"] = revision, edited_at
        row["removed_at"] = removed_at((gone or {}).get(row["url"], []), last_seen)
        row["date_local"] = parse_timestamp(row["date"]).replace(tzinfo=None).isoformat()
        yield row


#: Refreshes in a row that must find an article gone before it counts as removed.
REMOVED_AFTER = 2


def removed_at(gone_at: list[str], last_seen: str) -> str | None:
    """When the article was first found gone, if ``REMOVED_AFTER`` refreshes in a row since
    its last delivery found it so (a delivery after them clears it); else None."""
    delivered = parse_timestamp(last_seen)
    since = sorted(moment for moment in gone_at if parse_timestamp(moment) > delivered)
    return since[0] if len(since) >= REMOVED_AFTER else None
