"""Reading back the run files under ``ANALYTICS_OUTPUT_DIR``: the deliveries the state is a
cache of. Lines that are not whole valid records are counted and named, never fatal."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from crawler.rejects import found_hash, is_permanent
from crawler.runfiles import RUN_ID_PATTERN, RunPaths, is_reextraction, read_summary
from crawler.site import language_of_path
from crawler.urls import canonical_url
from crawler.validation import RecordCheck, article_schema

#: Invalid lines named in a report; the rest are only counted.
INVALID_SHOWN = 10


@dataclass
class ReadCounts:
    """What was read: files, lines, and the lines skipped as invalid (the first few named)."""

    files: int = 0
    lines: int = 0
    invalid: int = 0
    invalid_shown: list[str] = field(default_factory=list)
    archive_runs: int = 0

    def skip(self, where: str, why: str) -> None:
        self.invalid += 1
        if len(self.invalid_shown) < INVALID_SHOWN:
            self.invalid_shown.append(f"{where}: {why}")

    def describe(self) -> str:
        text = (f"Read {self.files} run files, {self.lines} lines; {self.invalid} invalid "
                f"lines skipped; {self.archive_runs} re-extraction runs (source archive) skipped")
        more = self.invalid - len(self.invalid_shown)
        return "\n".join([text, *(f"  skipped {line}" for line in self.invalid_shown),
                          *([f"  … and {more} more"] if more > 0 else [])])


@dataclass(frozen=True)
class Run:
    """One delivery run's files; ``summary`` is None for a run that did not close."""

    paths: RunPaths
    summary: dict[str, Any] | None


def run_ids(output_dir: Path) -> list[str]:
    """Ids of every run with a file under ``output_dir``, oldest first."""
    names = [path.name.split(".json")[0] for folder in ("articles", "rejects", "runs")
             for path in (output_dir / folder).glob("*.json*")]
    return sorted({name for name in names if RUN_ID_PATTERN.match(name)})


def has_run_files(output_dir: Path) -> bool:
    """True when ``output_dir`` holds the records or summary of any run."""
    return any(True for folder, pattern in (("articles", "*.jsonl"), ("runs", "*.json"))
               for _ in (output_dir / folder).glob(pattern))


def delivery_runs(output_dir: Path, counts: ReadCounts) -> Iterator[Run]:
    """Every run that delivered (re-extractions skipped), oldest first, summary read."""
    for run_id in run_ids(output_dir):
        paths = RunPaths(output_dir, run_id)
        summary = _read_summary(paths.summary, counts)
        if summary is not None and is_reextraction(summary):
            counts.archive_runs += 1
            continue
        yield Run(paths, summary)


def _read_summary(path: Path, counts: ReadCounts) -> dict[str, Any] | None:
    if not path.exists():
        return None
    counts.files += 1
    try:
        return read_summary(path)
    except ValueError as error:
        counts.skip(str(path), str(error))
        return None


def json_lines(path: Path, counts: ReadCounts) -> Iterator[tuple[int, Any]]:
    """(line number, parsed JSON) of every line of ``path`` that parses (a torn one does not)."""
    if not path.exists():
        return
    counts.files += 1
    with path.open("rb") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            counts.lines += 1
            try:
                yield number, json.loads(line)
            except ValueError as error:
                counts.skip(f"{path}:{number}", f"not JSON ({error})")


def records(path: Path, counts: ReadCounts) -> Iterator[dict[str, Any]]:
    """The valid records of an articles file, in order (invalid lines counted, skipped)."""
    check = RecordCheck(article_schema())
    for number, record in json_lines(path, counts):
        error = check.first_error(record)
        if error is None:
            yield record
        else:
            counts.skip(f"{path}:{number}", f"not a valid record ({error.message})")


@dataclass(frozen=True)
class PermanentReject:
    """A permanent reject line, keyed as the state keys it (the canonical form of its URL)."""

    url: str
    lang: str
    reason: str
    digest: str
    seen_at: str


def permanent_rejects(run: Run, counts: ReadCounts) -> Iterator[PermanentReject]:
    """The run's permanent rejects, in order. Lines written before rejects carried their
    time and hash take the run's start and the hash of the fields found."""
    base_url = ((run.summary or {}).get("arguments") or {}).get("base_url")
    started = datetime.strptime(run.paths.run_id[:15], "%Y%m%dT%H%M%S")
    for number, line in json_lines(run.paths.rejects, counts):
        if not (isinstance(line, dict) and isinstance(line.get("url"), str)
                and isinstance(line.get("reason"), str)):
            counts.skip(f"{run.paths.rejects}:{number}", "not a reject (url, reason)")
            continue
        if not is_permanent(line["reason"]):
            continue
        url = canonical_url(line["url"], line["url"], base_url) if base_url else line["url"]
        yield PermanentReject(
            url, language_of_path(urlsplit(url).path), line["reason"],
            line.get("hash") or found_hash(line.get("found") or {}),
            line.get("seen_at") or started.strftime("%Y-%m-%dT%H:%M:%SZ"))
