"""The crawl state in SQLite: what was delivered, URL forms seen, views history, walks,
and the open rejects (pages that are not records yet, retried on a schedule).

One run at a time: the store holds an exclusive lock on ``<state>.lock`` while open.
The schema is versioned (``PRAGMA user_version``) and migrated in place on open; the
file is marked as this crawler's (``PRAGMA application_id``), and a file that is not, is
damaged, or is newer than this code is refused (``StateUnusable``), never started afresh.

Exactly-once delivery: a record counts as delivered once its line is fsynced in the
run file; the state records it right after. A run killed between the two leaves the
state behind the file, so on open the store reconciles from the files of every run that
did not close (cutting a torn last line first): nothing is delivered twice.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from crawler.archive.reader import cut_torn_archive
from crawler.digest import content_hash as edit_hash
from crawler.disk import FileLock, LockHeld, connect_sqlite
from crawler.runs.files import cut_torn_line
from crawler.runs.instants import format_utc, parse_instant
from crawler.runs.paths import RunPaths
from crawler.runs.reading import ReadCounts, json_lines
from crawler.state.identity import APPLICATION_ID, StateSchema, StateUnusable
from crawler.state.refresh import RefreshCandidate
from crawler.state.retries import RetrySchedule

#: Fields that describe the article (everything but the counter and the fetch time).
CONTENT_FIELDS = ("url", "lang", "title", "subtitle", "date", "category", "body", "author",
                  "image")

#: The fields of a run file's line the state reads: a line without them is damaged.
RECORD_KEYS_READ = frozenset({"id", "url", "lang", "date", "scraped_at", "views"})

#: Migrations by the version they bring the schema to, applied in order.
MIGRATIONS: dict[int, str] = {
    1: """
    CREATE TABLE articles (
        id TEXT PRIMARY KEY,
        url TEXT NOT NULL,
        lang TEXT NOT NULL,
        date TEXT NOT NULL,
        first_seen TEXT NOT NULL,
        last_seen TEXT NOT NULL,
        views INTEGER,
        content_hash TEXT NOT NULL,
        delivered_run TEXT NOT NULL
    );
    CREATE INDEX articles_by_date ON articles (date);
    CREATE TABLE url_forms (url TEXT PRIMARY KEY, id TEXT NOT NULL);
    CREATE TABLE views_history (
        id TEXT NOT NULL, views INTEGER, observed_at TEXT NOT NULL, run_id TEXT NOT NULL
    );
    CREATE INDEX views_history_by_id ON views_history (id, observed_at);
    CREATE TABLE runs (
        run_id TEXT PRIMARY KEY, output_dir TEXT NOT NULL, started_at TEXT NOT NULL,
        closed_at TEXT, finish_reason TEXT
    );
    CREATE TABLE walks (
        lang TEXT PRIMARY KEY, run_id TEXT NOT NULL, completed INTEGER NOT NULL
    );
    """,
    # Walks completed before pagination was checked may have ended on a page 2 that only
    # repeated page 1: each language is walked whole once more.
    2: "UPDATE walks SET completed = 0",
    3: """
    CREATE TABLE rejects (
        url TEXT PRIMARY KEY,
        lang TEXT NOT NULL,
        reason TEXT NOT NULL,
        found_hash TEXT NOT NULL,
        first_seen TEXT NOT NULL,
        last_seen TEXT NOT NULL,
        attempts INTEGER NOT NULL,
        next_retry TEXT NOT NULL,
        last_run TEXT NOT NULL,
        closed_at TEXT,
        closed_run TEXT
    );
    CREATE INDEX rejects_open ON rejects (closed_at, next_retry);
    """,
    4: f"PRAGMA application_id = {APPLICATION_ID}",
    # The edit hash (``digest.content_hash``, normalised content; null until the next
    # delivery of an article known before) and the known articles a refresh found gone.
    5: """
    ALTER TABLE articles ADD COLUMN edit_hash TEXT;
    CREATE TABLE gone (
        url TEXT PRIMARY KEY,
        attempts INTEGER NOT NULL,  -- refreshes in a row that answered 404/410
        first_seen TEXT NOT NULL,
        last_seen TEXT NOT NULL
    );
    """,
    # The title delivered: a later run's page naming the article is it by title and date.
    6: "ALTER TABLE articles ADD COLUMN title TEXT",
}
SCHEMA_VERSION = max(MIGRATIONS)
#: The schema as ``StateSchema`` checks a file against it; marked from migration 4 on, and
#: an unmarked state of ours has the tables of migration 1.
SCHEMA = StateSchema(SCHEMA_VERSION, marked_from=4, base_tables=frozenset(
    {"articles", "url_forms", "views_history", "runs", "walks"}))


class StateLocked(RuntimeError):
    """Another run holds the state: two runs must never share it."""


def lock_state(path: Path) -> FileLock:
    """Hold ``<state>.lock`` (``StateLocked`` at once if a run has it); ``release`` it."""
    try:
        return FileLock(path.parent / f"{path.name}.lock", wait=False)
    except LockHeld as held:
        raise StateLocked(
            f"the state {path} is in use by a running crawl ({held.holder}); "
            "two runs must not share a state: wait for it, or give this run its own "
            "ANALYTICS_STATE_PATH"
        ) from None


def content_hash(record: dict[str, Any]) -> str:
    """Digest of the fields that describe the article: changes when its text changes."""
    content = json.dumps([record.get(name) for name in CONTENT_FIELDS], ensure_ascii=False)
    return hashlib.sha256(content.encode("utf-8")).hexdigest()


@dataclass
class Recovery:
    """What reconciling runs that never closed found: records recovered, damaged lines."""

    records: int = 0
    damaged: ReadCounts = field(default_factory=ReadCounts)


@dataclass(frozen=True)
class OpenReject:
    """A permanent reject not yet a record: what it was, since when, when it is tried again."""

    url: str
    lang: str
    reason: str
    first_seen: str
    last_seen: str
    attempts: int
    next_retry: str

    def summary(self) -> dict[str, Any]:
        """The reject as the run summary lists it."""
        return {"url": self.url, "reason": self.reason, "since": self.first_seen,
                "attempts": self.attempts, "next_retry": self.next_retry}


_OPEN_REJECT_COLUMNS = "url, lang, reason, first_seen, last_seen, attempts, next_retry"


class StateStore:
    """The SQLite state of the crawler, locked for one run."""

    def __init__(self, path: Path | None) -> None:
        """Open (and lock) the store at ``path``; None: an empty store in memory, for the
        tools that write nothing (``scrapy parse``, ``shell``)."""
        self.path = path
        self._lock: FileLock | None = None
        if path is None:
            self.db = sqlite3.connect(":memory:", isolation_level=None)
        else:
            self._lock = lock_state(path)
            if path.exists():
                try:
                    SCHEMA.open_verified(path).close()  # before anything writes to it
                except StateUnusable:
                    self._lock.release()
                    raise
            self.db = connect_sqlite(path)  # the run files are the durable record
        self.migrate()

    def migrate(self) -> None:
        """Bring the schema to ``SCHEMA_VERSION``, one transaction per step."""
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        for target in range(version + 1, SCHEMA_VERSION + 1):
            with self.transaction():
                for statement in MIGRATIONS[target].split(";"):
                    if statement.strip():
                        self.db.execute(statement)
                self.db.execute(f"PRAGMA user_version = {target}")

    def transaction(self) -> _Transaction:
        return _Transaction(self.db)

    def close(self) -> None:
        self.db.close()
        if self._lock is not None:
            self._lock.release()

    # --- runs -------------------------------------------------------------------------
    def begin_run(self, paths: RunPaths, started_at: str) -> Recovery:
        """Reconcile runs that never closed, then register this one.

        A run that never closed is recovered from the output directory the state is used
        with now (``paths``), not the one it recorded: the state may have been moved together
        with its output directory."""
        recovery = Recovery()
        for (run_id,) in self.db.execute(
                "SELECT run_id FROM runs WHERE closed_at IS NULL").fetchall():
            self.reconcile(RunPaths(paths.output_dir, run_id), recovery)
        self.db.execute("INSERT OR REPLACE INTO runs (run_id, output_dir, started_at) "
                        "VALUES (?, ?, ?)", (paths.run_id, str(paths.output_dir), started_at))
        return recovery

    def reconcile(self, paths: RunPaths, recovery: Recovery) -> None:
        """Record every whole line of a run that did not close (its torn line and torn last
        archive record are cut). A damaged line is skipped and counted: its article is not
        known, so the next walk fetches it again."""
        counts = recovery.damaged
        cut_torn_archive(paths.archive)
        if paths.articles.exists():
            cut_torn_line(paths.articles)
            with self.transaction():
                for number, record in json_lines(paths.articles, counts):
                    if not isinstance(record, dict) or not set(record) >= RECORD_KEYS_READ:
                        counts.skip(f"{paths.articles}:{number}", "not a record")
                        continue
                    self.record_delivery(record, paths.run_id, commit=False)
                    recovery.records += 1
        closed_at = format_utc()
        self.db.execute("UPDATE runs SET closed_at = ?, finish_reason = 'crashed, reconciled' "
                        "WHERE run_id = ?", (closed_at, paths.run_id))

    def close_run(self, run_id: str, closed_at: str, reason: str,
                  completed_walks: list[str]) -> None:
        """Mark the run closed, and the languages whose listing walk it completed."""
        with self.transaction():
            self.db.execute("UPDATE runs SET closed_at = ?, finish_reason = ? WHERE run_id = ?",
                            (closed_at, reason, run_id))
            for lang in completed_walks:
                self.db.execute("INSERT OR REPLACE INTO walks VALUES (?, ?, 1)", (lang, run_id))

    def start_walk(self, lang: str, run_id: str) -> None:
        """A walk of ``lang``'s listing begins: until it completes, the next run walks it all."""
        self.db.execute("INSERT OR REPLACE INTO walks VALUES (?, ?, 0)", (lang, run_id))

    def walk_completed(self, lang: str) -> bool:
        """True when the last walk of ``lang`` ended normally (incremental may stop early)."""
        row = self.db.execute("SELECT completed FROM walks WHERE lang = ?", (lang,)).fetchone()
        return bool(row and row[0])

    # --- articles ---------------------------------------------------------------------
    def record_delivery(self, record: dict[str, Any], run_id: str, commit: bool = True) -> bool:
        """Remember a delivered record and its views; True when it is an edit (its
        normalised content differs from the last delivery's). A gone article is back."""
        digest = edit_hash(record)
        with self.transaction() if commit else nullcontext():
            row = self.db.execute("SELECT edit_hash FROM articles WHERE id = ?",
                                  (record["id"],)).fetchone()
            self.db.execute(
                """INSERT INTO articles VALUES (:id, :url, :lang, :date, :seen, :seen, :views,
                                                :hash, :run, :edit, :title)
                   ON CONFLICT (id) DO UPDATE SET url = :url, date = :date, last_seen = :seen,
                       views = :views, content_hash = :hash, delivered_run = :run,
                       edit_hash = :edit, title = :title""",
                {"id": record["id"], "url": record["url"], "lang": record["lang"],
                 "date": record["date"], "seen": record["scraped_at"], "views": record["views"],
                 "hash": content_hash(record), "run": run_id, "edit": digest,
                 "title": record.get("title")},
            )
            self.db.execute("INSERT OR IGNORE INTO url_forms VALUES (?, ?)",
                            (record["url"], record["id"]))
            self.db.execute("INSERT INTO views_history VALUES (?, ?, ?, ?)",
                            (record["id"], record["views"], record["scraped_at"], run_id))
            self.db.execute("DELETE FROM gone WHERE url = ?", (record["url"],))
            self.close_reject(record["url"], record["scraped_at"], run_id)
        return row is not None and row[0] is not None and row[0] != digest

    def remember_url_form(self, url: str, canonical: str) -> None:
        """Another URL of an article (its numeric form) that leads to ``canonical``.

        The article is found by its canonical URL's own row in ``url_forms`` (a key), not
        by a scan of ``articles``: 1,800 forms took 17 s of a 20,000-article rebuild."""
        self.db.execute(
            "INSERT OR IGNORE INTO url_forms SELECT ?, id FROM url_forms WHERE url = ?",
            (url, canonical),
        )

    def is_known(self, url: str) -> bool:
        """True when ``url`` (canonical form) is an article delivered in an earlier run."""
        row = self.db.execute("SELECT 1 FROM url_forms WHERE url = ?", (url,)).fetchone()
        return row is not None

    def refresh_candidates(self, langs: tuple[str, ...]) -> list[RefreshCandidate]:
        """Every known article in ``langs``, with when it was published and last fetched, and
        its refreshes in a row that found it gone (the refresh schedule weighs them)."""
        marks = ",".join("?" * len(langs))
        rows = self.db.execute(
            "SELECT a.url, a.lang, a.date, a.last_seen, g.attempts, g.last_seen FROM articles a "
            f"LEFT JOIN gone g ON g.url = a.url WHERE a.lang IN ({marks})", langs)
        return [RefreshCandidate(url, lang, datetime.fromisoformat(published),  # Baku offset
                                 parse_instant(last_seen), attempts or 0,
                                 parse_instant(gone_last) if gone_last else None)
                for url, lang, published, last_seen, attempts, gone_last in rows]

    def refreshes_since(self, moment: str) -> int:
        """Known articles delivered again since ``moment`` (UTC instant): refreshes done."""
        row = self.db.execute(
            "SELECT count(*) FROM views_history v JOIN articles a ON a.id = v.id "
            "WHERE v.observed_at >= ? AND v.observed_at > a.first_seen", (moment,)).fetchone()
        return int(row[0])

    def note_gone(self, url: str, seen_at: str) -> int:
        """A known article answered 404/410 to a refresh; returns its refreshes in a row
        that did (2 and more: removed from the site)."""
        self.db.execute(
            "INSERT INTO gone VALUES (?, 1, ?, ?) ON CONFLICT (url) DO UPDATE SET "
            "attempts = attempts + 1, last_seen = excluded.last_seen", (url, seen_at, seen_at))
        row = self.db.execute("SELECT attempts FROM gone WHERE url = ?", (url,)).fetchone()
        return int(row[0])

    # --- rejects ----------------------------------------------------------------------
    def note_reject(self, url: str, lang: str, reason: str, digest: str, seen_at: str,
                    run_id: str, schedule: RetrySchedule) -> tuple[bool, str]:
        """Record a permanent reject seen now; returns (known, first seen).

        ``known``: an earlier run left it open with the same reason and the same page.
        """
        row = self.db.execute(
            "SELECT reason, found_hash, first_seen, attempts, last_run, closed_at FROM rejects "
            "WHERE url = ?", (url,)).fetchone()
        reopened = row is None or row[5] is not None
        known = not reopened and row[:2] == (reason, digest) and row[4] != run_id
        first_seen = seen_at if reopened else row[2]
        attempts = 1 if reopened else row[3] + 1
        next_retry = format_utc(schedule.next_retry(parse_instant(seen_at), attempts))
        self.db.execute(
            "INSERT OR REPLACE INTO rejects VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL)",
            (url, lang, reason, digest, first_seen, seen_at, attempts, next_retry, run_id))
        return known, first_seen

    def close_reject(self, url: str, closed_at: str, run_id: str) -> None:
        """``url`` became a record: its reject (if open) is closed."""
        self.db.execute("UPDATE rejects SET closed_at = ?, closed_run = ? "
                        "WHERE url = ? AND closed_at IS NULL", (closed_at, run_id, url))

    def is_open_reject(self, url: str) -> bool:
        """True when ``url`` (canonical form) is a permanent reject not yet a record."""
        row = self.db.execute("SELECT 1 FROM rejects WHERE url = ? AND closed_at IS NULL",
                              (url,)).fetchone()
        return row is not None

    def reschedule_rejects(self, schedule: RetrySchedule) -> None:
        """Next retry of every open reject, by the schedule in force (settings may change)."""
        with self.transaction():
            for url, last_seen, attempts in self.db.execute(
                    "SELECT url, last_seen, attempts FROM rejects WHERE closed_at IS NULL"
            ).fetchall():
                due = format_utc(schedule.next_retry(parse_instant(last_seen), attempts))
                self.db.execute("UPDATE rejects SET next_retry = ? WHERE url = ?", (due, url))

    def open_rejects(self, langs: tuple[str, ...] | None = None,
                     due_by: str | None = None) -> list[OpenReject]:
        """Open rejects, oldest first; only in ``langs``, only those due by ``due_by``."""
        query = f"SELECT {_OPEN_REJECT_COLUMNS} FROM rejects WHERE closed_at IS NULL"
        arguments: list[str] = []
        if langs is not None:
            query += f" AND lang IN ({','.join('?' * len(langs))})"
            arguments += langs
        if due_by is not None:
            query += " AND next_retry <= ?"
            arguments.append(due_by)
        rows = self.db.execute(query + " ORDER BY first_seen, url", arguments)
        return [OpenReject(*row) for row in rows]

    def closed_rejects(self, run_id: str) -> list[dict[str, Any]]:
        """Rejects that became records in run ``run_id`` (for its summary)."""
        rows = self.db.execute("SELECT url, reason, first_seen, closed_at FROM rejects "
                               "WHERE closed_run = ? ORDER BY url", (run_id,))
        return [{"url": url, "reason": reason, "since": since, "closed_at": closed}
                for url, reason, since, closed in rows]


class _Transaction:
    """``with`` block around one SQLite transaction (autocommit mode otherwise)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind: object, value: object, traceback: object) -> None:
        self.db.execute("COMMIT" if kind is None else "ROLLBACK")
