"""The state is a cache of the run files: check it before a crawl, rebuild it from them,
compare it with them, and copy it to another node (``scrapy state``)."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from crawler.disk import replace_atomic, temporary_path
from crawler.runs.instants import format_utc
from crawler.runs.paths import has_run_files
from crawler.runs.reading import ReadCounts, delivery_runs, permanent_rejects, records
from crawler.site import LANGUAGES
from crawler.state.identity import StateUnusable
from crawler.state.retries import RetrySchedule
from crawler.state.store import SCHEMA, StateStore, content_hash, lock_state

#: Differences listed per kind by ``--check``; the rest are only counted.
DIFFERENCES_SHOWN = 20
#: Files beside the state that belong to it: WAL, shared memory, lock.
COMPANIONS = ("-wal", "-shm", ".lock")


def preflight(state_path: Path, output_dir: Path, fresh_start: bool) -> None:
    """Before a crawl: refuse a state that is missing beside run files (unless a fresh start
    is asked for), not this crawler's, damaged or newer (``StateUnusable``), or locked."""
    if not state_path.exists() and not fresh_start and has_run_files(output_dir):
        raise StateUnusable("missing", state_path, f"{output_dir} holds run files")
    store = StateStore(state_path)
    try:
        problem = store.db.execute("PRAGMA quick_check").fetchone()[0]
    except sqlite3.DatabaseError as error:
        problem = str(error)
    finally:
        store.close()
    if problem != "ok":
        raise StateUnusable("damaged", state_path, problem)


# --- rebuild ------------------------------------------------------------------------------
@dataclass
class Built:
    """What a rebuild put into the new state."""

    runs: int = 0
    crashed_runs: int = 0
    deliveries: int = 0
    url_forms: int = 0
    permanent_rejects: int = 0
    walks_completed: list[str] = field(default_factory=list)
    articles: int = 0
    open_rejects: int = 0

    def describe(self) -> str:
        return (f"Built: {self.articles} articles from {self.deliveries} deliveries of "
                f"{self.runs} runs ({self.crashed_runs} without a summary: their walks count "
                f"as incomplete), {self.url_forms} other URL forms, walks completed: "
                f"{', '.join(self.walks_completed) or 'none'}; {self.open_rejects} open "
                f"rejects from {self.permanent_rejects} permanent reject lines")


def rebuild(state_path: Path, output_dir: Path,
            schedule: RetrySchedule) -> tuple[ReadCounts, Built]:
    """Build a new state from the run files and swap it in under the state's lock; the open
    rejects are due by ``schedule`` (the retry settings in force)."""
    if not output_dir.is_dir():
        raise FileNotFoundError(f"ANALYTICS_OUTPUT_DIR {output_dir} is not a directory: "
                                "there are no run files to rebuild from")
    with replacing(state_path, ".rebuild") as temporary:
        counts, built = ReadCounts(), Built()
        store = StateStore(temporary)
        try:
            _fill(store, output_dir, schedule, counts, built)
            built.articles = store.db.execute("SELECT count(*) FROM articles").fetchone()[0]
            built.open_rejects = len(store.open_rejects())
            built.walks_completed = [row[0] for row in store.db.execute(
                "SELECT lang FROM walks WHERE completed ORDER BY lang")]
        finally:
            store.close()
    return counts, built


def _fill(store: StateStore, output_dir: Path, schedule: RetrySchedule, counts: ReadCounts,
          built: Built) -> None:
    """Replay every delivery run into ``store`` as the runs themselves recorded it: its
    permanent rejects, then its records (which close the rejects they were)."""
    rebuilt_at = format_utc()
    for run in delivery_runs(output_dir, counts):
        run_id, summary = run.paths.run_id, run.summary or {}
        store.begin_run(run.paths, summary.get("started_at") or run_id)
        walks = summary.get("walks") or {"started": list(LANGUAGES), "completed": []}
        for lang in walks["started"]:
            store.start_walk(lang, run_id)
        with store.transaction():
            for reject in permanent_rejects(run, counts):
                store.note_reject(reject.url, reject.lang, reject.reason, reject.digest,
                                  reject.seen_at, run_id, schedule)
                built.permanent_rejects += 1
            delivered_at: dict[str, str] = {}
            for record in records(run.paths.articles, counts):
                store.record_delivery(record, run_id, commit=False)
                delivered_at[record["url"]] = record["scraped_at"]
                built.deliveries += 1
            for form, canonical in (summary.get("url_forms") or {}).items():
                store.remember_url_form(form, canonical)
                if canonical in delivered_at:  # delivered under this form: its reject closes
                    store.close_reject(form, delivered_at[canonical], run_id)
                built.url_forms += 1
            for gone in (summary.get("refresh") or {}).get("gone") or []:
                store.note_gone(gone["url"], gone["seen_at"])
        built.runs += 1
        built.crashed_runs += run.summary is None
        store.close_run(run_id, summary.get("finished_at") or rebuilt_at,
                        summary.get("finish_reason") or "did not close; rebuilt",
                        walks["completed"])
    if counts.invalid:  # records lost from damaged lines: every listing is walked whole
        store.db.execute("UPDATE walks SET completed = 0")  # again, so they are fetched


# --- check --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Delivered:
    """An article as its last delivery in the run files has it."""

    url: str
    run_id: str
    last_seen: str
    content_hash: str


def check(state_path: Path, output_dir: Path) -> tuple[ReadCounts, list[str]]:
    """The state's integrity and its agreement with the run files: the differences found."""
    counts = ReadCounts()
    delivered: dict[str, Delivered] = {}
    forms: dict[str, str] = {}
    for run in delivery_runs(output_dir, counts):
        for record in records(run.paths.articles, counts):
            delivered[record["id"]] = Delivered(record["url"], run.paths.run_id,
                                                record["scraped_at"], content_hash(record))
        forms.update((run.summary or {}).get("url_forms") or {})
    with _locked(state_path):
        db = SCHEMA.open_verified(state_path)
        try:
            problems = [row[0] for row in db.execute("PRAGMA integrity_check")]
            known = {row[0]: row[1:] for row in db.execute(
                "SELECT id, url, last_seen, content_hash FROM articles")}
            known_forms = set(row[0] for row in db.execute("SELECT url FROM url_forms"))
        except sqlite3.DatabaseError as error:  # too damaged to be checked: SQLite says why
            raise StateUnusable("damaged", state_path, str(error)) from None
        finally:
            db.close()
    differences = [f"integrity: {problem}" for problem in problems if problem != "ok"]
    differences += _listed("delivered in the run files but unknown to the state", [
        f"{article_id} {article.url} (run {article.run_id})"
        for article_id, article in delivered.items() if article_id not in known])
    differences += _listed("known to the state but in no run file", [
        f"{article_id} {row[0]}" for article_id, row in known.items()
        if article_id not in delivered])
    differences += _listed("last delivery differs (seen at, content)", [
        f"{article_id} {article.url}: state {known[article_id][1]}, run files "
        f"{article.last_seen} (run {article.run_id})"
        for article_id, article in delivered.items()
        if article_id in known and tuple(known[article_id][1:]) != (article.last_seen,
                                                                     article.content_hash)])
    differences += _listed("URL forms met in the runs but unknown to the state", [
        f"{form} -> {canonical}" for form, canonical in forms.items()
        if form not in known_forms])
    return counts, differences


def _listed(kind: str, items: list[str]) -> list[str]:
    shown = [f"{kind}: {item}" for item in items[:DIFFERENCES_SHOWN]]
    more = len(items) - len(shown)
    return shown + ([f"{kind}: … and {more} more"] if more > 0 else [])


# --- moving a node ------------------------------------------------------------------------
def export_state(state_path: Path, target: Path) -> None:
    """A consistent copy of the state (SQLite online backup; a crawl may be running)."""
    if target.exists():  # only ever overwrite an earlier export
        try:
            SCHEMA.open_verified(target).close()
        except StateUnusable as error:
            raise FileExistsError(f"{target} exists and is not an export of the state "
                                  f"({error.kind}): name a new file, or move it away") from None
    source = SCHEMA.open_verified(state_path)
    try:
        _backup(source, target)
    finally:
        source.close()


def import_state(state_path: Path, source_path: Path) -> None:
    """Replace the state with a copy of ``source_path`` (an export), under the state's lock."""
    source = SCHEMA.open_verified(source_path)
    try:
        problem = source.execute("PRAGMA integrity_check").fetchone()[0]
        if problem != "ok":
            raise StateUnusable("damaged", source_path, problem)
        with replacing(state_path, ".import") as temporary:
            _backup(source, temporary)
    finally:
        source.close()


def _backup(source: sqlite3.Connection, target: Path) -> None:
    """Copy ``source`` into ``target`` through a temporary file renamed into place."""
    temporary = temporary_path(target)
    _remove_with_companions(temporary)
    copy = sqlite3.connect(temporary)
    try:
        source.backup(copy)
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
    finally:
        copy.close()
    replace_atomic(temporary, target)


# --- swapping a state in ------------------------------------------------------------------
@contextmanager
def replacing(state_path: Path, suffix: str) -> Iterator[Path]:
    """Under the state's lock: a temporary path to build the new state at, swapped in
    atomically when the block succeeds. A state that is not this crawler's is never
    replaced; the replaced one is kept as ``<state>.previous``."""
    with _locked(state_path):
        if state_path.exists():
            _refuse_foreign(state_path)
        temporary = state_path.with_name(f".{state_path.name}{suffix}")
        _remove_with_companions(temporary)
        try:
            yield temporary
            _checkpoint(temporary)
            _swap(temporary, state_path)
        finally:
            _remove_with_companions(temporary)


@contextmanager
def _locked(state_path: Path) -> Iterator[None]:
    with lock_state(state_path):
        yield


def _refuse_foreign(path: Path) -> None:
    """A damaged or newer state may be replaced; another application's file may not."""
    try:
        SCHEMA.open_verified(path).close()
    except StateUnusable as error:
        if error.kind == "foreign":
            raise


def _swap(temporary: Path, state_path: Path) -> None:
    """Put ``temporary`` at ``state_path``: the old state's WAL folded in and kept aside as
    ``.previous``, its stale ``-wal``/``-shm`` removed (they would corrupt the new file)."""
    if state_path.exists():
        _checkpoint(state_path)
        previous = state_path.with_name(f"{state_path.name}.previous")
        previous.unlink(missing_ok=True)
        os.link(state_path, previous)
    for suffix in ("-wal", "-shm"):
        state_path.with_name(state_path.name + suffix).unlink(missing_ok=True)
    replace_atomic(temporary, state_path)


def _checkpoint(path: Path) -> None:
    """Fold the WAL of ``path`` into the file where SQLite can (a damaged file: as it is)."""
    try:
        db = sqlite3.connect(path)
        try:
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            db.close()
    except sqlite3.Error:
        pass


def _remove_with_companions(path: Path) -> None:
    for name in ("", *COMPANIONS):
        path.with_name(path.name + name).unlink(missing_ok=True)
