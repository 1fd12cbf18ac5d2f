"""Disk helpers shared by the state, the run files, the dataset and the report: SQLite, file
locks, whole appends, and the one atomic replacement of a file (``replace_atomic``)."""

from __future__ import annotations

import fcntl
import json
import os
import sqlite3
import tempfile
from pathlib import Path
from typing import IO, Any


def connect_sqlite(path: Path) -> sqlite3.Connection:
    """A SQLite database in WAL mode, transactions explicit (autocommit otherwise).

    ``synchronous=NORMAL``: the files written beside it are the durable record, the database
    can be rebuilt or reconciled from them.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    return connection


class LockHeld(OSError):
    """The lock file is held by another process; ``holder`` is what that process wrote in it."""

    def __init__(self, path: Path, holder: str) -> None:
        super().__init__(f"{path} is locked by {holder}")
        self.holder = holder


class FileLock:
    """An exclusive advisory lock (``flock``) on a file, held until ``release``.

    The holder writes its pid into the file, so a refused process can say who holds it.
    ``wait=False`` raises ``LockHeld`` at once instead of waiting for the lock.
    """

    def __init__(self, path: Path, wait: bool = True) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file: IO[str] = path.open("a+")
        try:
            fcntl.flock(self._file, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            self._file.seek(0)
            holder = self._file.read().strip() or "another process"
            self._file.close()
            raise LockHeld(path, holder) from None
        self._file.truncate(0)
        self._file.write(f"pid {os.getpid()}\n")
        self._file.flush()

    def release(self) -> None:
        fcntl.flock(self._file, fcntl.LOCK_UN)
        self._file.close()

    def __enter__(self) -> FileLock:
        return self

    def __exit__(self, kind: object, value: object, traceback: object) -> None:
        self.release()


def append_whole(fd: int, data: bytes, path: Path) -> None:
    """Append ``data`` to a file opened for appending, all of it or nothing: a short write
    (disk full) is taken back, then raised."""
    written = os.write(fd, data)
    if written != len(data):
        os.ftruncate(fd, os.fstat(fd).st_size - written)
        raise OSError(f"short write to {path}: {written} of {len(data)} bytes")


def temporary_path(path: Path) -> Path:
    """Where a new version of ``path`` is written before it replaces it (hidden, same dir)."""
    return path.with_name(f".{path.name}.tmp")


def fsync_file(path: Path) -> None:
    """Flush a file written by someone else (a library's writer) to the disk."""
    with path.open("rb") as handle:
        os.fsync(handle.fileno())


def fsync_directory(path: Path) -> None:
    """Make a rename in the directory ``path`` durable."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def replace_atomic(temporary: Path, target: Path) -> None:
    """The one atomic replacement of a file: ``temporary`` (complete, in ``target``'s
    directory) flushed, renamed over ``target``, and the rename made durable. Readers see
    the old file or the whole new one, after a crash too."""
    fsync_file(temporary)
    os.replace(temporary, target)
    fsync_directory(target.parent)


def write_atomic(path: Path, text: str) -> None:
    """Write a text file so that readers see the old file or the whole new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = temporary_path(path)
    temporary.write_text(text, encoding="utf-8")
    replace_atomic(temporary, path)


def write_json_atomic(path: Path, data: Any) -> None:
    """Write a JSON document atomically (``write_atomic``), indented, UTF-8."""
    write_atomic(path, json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def unwritable_reason(directory: Path) -> str | None:
    """Why files cannot be created in ``directory`` (made later when missing), or None.

    Tried for real with a temporary file (removed at once) in the nearest existing
    directory: permissions, read-only mounts and ``/proc`` all answer truthfully.
    """
    probe = directory.absolute()
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if not probe.is_dir():
        return f"{probe} is not a directory"
    try:
        handle, name = tempfile.mkstemp(prefix=".write-check-", dir=probe)
    except OSError as error:
        return f"{probe}: {error.strerror}"
    os.close(handle)
    os.unlink(name)
    return None
