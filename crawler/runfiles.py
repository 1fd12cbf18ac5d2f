"""The run's durable files: records, rejects and the summary, under ``ANALYTICS_OUTPUT_DIR``.

A line reaches the disk whole or not at all: each is written by one ``write`` to a file
opened for appending, and a line left half-written by a crash (a torn last line) is cut
off before the file is written to again.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from crawler.storage import append_whole

#: A run id: its start in UTC, sortable, safe as a file name (``20261128T071500.123Z``).
RUN_ID_PATTERN = re.compile(r"^\d{8}T\d{6}\.\d{3}Z$")


def new_run_id(now: datetime | None = None) -> str:
    """The id of a run starting ``now``: its UTC start time to the millisecond."""
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    return moment.strftime("%Y%m%dT%H%M%S.") + f"{moment.microsecond // 1000:03d}Z"


def validate_run_id(run_id: str) -> str:
    """The run id if it has the one allowed form (it names files: nothing else may pass)."""
    if not RUN_ID_PATTERN.match(run_id):
        raise ValueError(f"run id {run_id!r} is not of the form 20261128T071500.123Z")
    return run_id


def to_json_line(record: dict[str, Any]) -> bytes:
    """One JSON Lines line: UTF-8, no ASCII escaping, ending in a newline."""
    return (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")


@dataclass(frozen=True)
class RunPaths:
    """Where one run writes: ``articles/``, ``rejects/``, ``runs/``, ``archive/``, by run id."""

    output_dir: Path
    run_id: str

    def __post_init__(self) -> None:
        validate_run_id(self.run_id)

    @property
    def articles(self) -> Path:
        return self.output_dir / "articles" / f"{self.run_id}.jsonl"

    @property
    def rejects(self) -> Path:
        return self.output_dir / "rejects" / f"{self.run_id}.jsonl"

    @property
    def summary(self) -> Path:
        return self.output_dir / "runs" / f"{self.run_id}.json"

    @property
    def archive(self) -> Path:
        return self.output_dir / "archive" / f"{self.run_id}.warc.gz"


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


def is_reextraction(summary: dict[str, Any]) -> bool:
    """True for the summary of a ``scrapy reextract`` run: a crawl's fetches extracted again
    from its archive (``"source": "archive"``), not a crawl of its own."""
    return summary.get("source") == "archive"


def read_summary(path: Path) -> dict[str, Any]:
    """The run summary at ``path``; ``ValueError`` saying why when it is no JSON object."""
    try:
        summary = json.loads(path.read_text("utf-8"))
    except ValueError as error:  # JSONDecodeError and UnicodeDecodeError alike
        raise ValueError(f"not JSON ({error})") from None
    if not isinstance(summary, dict):
        raise ValueError("not a JSON object")
    return summary


def run_summaries(output_dir: Path, newest_first: bool = False) -> Iterator[dict[str, Any]]:
    """Every readable run summary (``runs/<run>.json``) under ``output_dir``, by run id."""
    for path in sorted((output_dir / "runs").glob("*.json"), reverse=newest_first):
        if not RUN_ID_PATTERN.match(path.stem):
            continue
        try:
            yield read_summary(path)
        except (OSError, ValueError):
            continue
