"""The run's durable files: records, rejects and the summary, under ``ANALYTICS_OUTPUT_DIR``.

A line reaches the disk whole or not at all: each is written by one ``write`` to a file
opened for appending, and a line left half-written by a crash (a torn last line) is cut
off before the file is written to again.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from crawler.disk import append_whole


def to_json_line(record: dict[str, Any]) -> bytes:
    """One JSON Lines line: UTF-8, no ASCII escaping, ending in a newline."""
    return (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")


class LineFile:
    """An append-only JSON Lines file written a whole line at a time."""

    def __init__(self, path: Path, fsync: bool = False) -> None:
        self.path = path
        self.fsync = fsync
        self._fd: int | None = None

    def _open(self) -> int:
        if self._fd is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            cut_torn_line(self.path)
            self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        return self._fd

    def write(self, record: dict[str, Any]) -> None:
        """Append one record as one line (opening the file on first use)."""
        fd = self._open()
        append_whole(fd, to_json_line(record), self.path)  # never half a line
        if self.fsync:
            os.fsync(fd)

    def close(self) -> None:
        """Close the file; without an fsync per line, its lines reach the disk here, at once."""
        if self._fd is not None:
            if not self.fsync:
                os.fsync(self._fd)
            os.close(self._fd)
            self._fd = None


def cut_torn_line(path: Path) -> bool:
    """Remove a last line that has no newline (left by a crash); True if one was cut."""
    try:
        with path.open("rb+") as handle:
            size = handle.seek(0, os.SEEK_END)
            if size == 0:
                return False
            handle.seek(size - 1)
            if handle.read(1) == b"\n":
                return False
            keep = 0
            position = size
            while position > 0 and not keep:
                step = min(65536, position)
                position -= step
                handle.seek(position)
                chunk = handle.read(step)
                newline = chunk.rfind(b"\n")
                if newline >= 0:
                    keep = position + newline + 1
            handle.truncate(keep)
            return True
    except FileNotFoundError:
        return False
