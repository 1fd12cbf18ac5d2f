"""Whose a state file is, and whether it can be used: its mark (``PRAGMA application_id``),
its schema version, and why a file is refused (each refusal says what fixes it)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

#: ``PRAGMA application_id`` of every state of this crawler ("CALA"): tells it from any
#: other SQLite file put at ``ANALYTICS_STATE_PATH``.
APPLICATION_ID = 0x43414C41

#: The first bytes of every SQLite database file: any other file is not a state of ours.
SQLITE_HEADER = b"SQLite format 3\x00"

#: Why a state file cannot be used, and what fixes it, by kind.
UNUSABLE: dict[str, str] = {
    "empty": "is empty (0 bytes: {detail}), not a state; rebuild it from the run files: "
             "scrapy state --rebuild",
    "damaged": "is damaged ({detail}); rebuild it from the run files: scrapy state --rebuild",
    "foreign": "is not this crawler's state ({detail}); point ANALYTICS_STATE_PATH at the "
               "crawler's state, or move that file away and run: scrapy state --rebuild",
    "newer": "has schema {detail}; run the newer crawler, or rebuild it for this one: "
             "scrapy state --rebuild",
    "missing": "is missing, but {detail}: rebuild it from them with scrapy state --rebuild, or "
               "set ANALYTICS_STATE_FRESH_START=1 to start afresh on purpose (every article "
               "fetched and delivered again)",
}


class StateUnusable(RuntimeError):
    """The state file is not this crawler's, is damaged, newer, or missing beside run files."""

    def __init__(self, kind: str, path: Path, detail: str) -> None:
        super().__init__(f"the state {path} " + UNUSABLE[kind].format(detail=detail))
        self.kind = kind


@dataclass(frozen=True)
class StateSchema:
    """What this code knows of the state's schema (``crawler.state.store.SCHEMA``)."""

    version: int
    #: The migration that marks the file: an unmarked file older than it is a state of
    #: this crawler from before the mark (it gets marked); any other is refused.
    marked_from: int
    #: Tables every state of this crawler has: how an unmarked one is known.
    base_tables: frozenset[str]

    def verify(self, db: sqlite3.Connection, path: Path) -> None:
        """Raise ``StateUnusable`` unless ``db`` is a (possibly new or unmarked) state of ours."""
        try:
            application_id = db.execute("PRAGMA application_id").fetchone()[0]
            version = db.execute("PRAGMA user_version").fetchone()[0]
            tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
        except sqlite3.DatabaseError as error:
            raise StateUnusable("damaged", path, str(error)) from None
        unmarked_ours = (version == 0 and not tables) or (
            0 < version < self.marked_from and tables >= self.base_tables)
        if application_id != APPLICATION_ID and not (application_id == 0 and unmarked_ours):
            raise StateUnusable("foreign", path, f"SQLite application_id {application_id}, "
                                f"user_version {version}")
        if version > self.version:
            raise StateUnusable("newer", path, f"{version}, newer than this crawler "
                                f"(schema {self.version})")

    def open_verified(self, path: Path) -> sqlite3.Connection:
        """A read-only connection to the state file at ``path`` if it is this crawler's
        (``StateUnusable`` otherwise; ``FileNotFoundError`` when there is none)."""
        if not path.exists():
            raise FileNotFoundError(f"there is no state at {path}")
        if not path.is_file():
            raise StateUnusable("damaged", path, "not a file")
        with path.open("rb") as handle:
            header = handle.read(len(SQLITE_HEADER))
        if not header:
            raise StateUnusable("empty", path, "a state cut off before its first write")
        if header != SQLITE_HEADER:
            raise StateUnusable("foreign", path, f"not an SQLite database: it begins {header!r}")
        try:
            db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        except sqlite3.Error as error:
            raise StateUnusable("damaged", path, str(error)) from None
        try:
            self.verify(db, path)
        except StateUnusable:
            db.close()
            raise
        return db
