"""The one reader of the run files under ``ANALYTICS_OUTPUT_DIR``: summaries, records and
rejects, for the state (its reconciliation, rebuild and check), the dataset and the report.
Lines that are not whole valid records are counted and named, never fatal."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from crawler.runs.instants import format_utc, run_start
from crawler.runs.paths import RunPaths, run_files, run_ids
from crawler.site import language_of_path
from crawler.state.retries import found_hash, is_permanent
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
    paths = list(run_files(output_dir, "runs").values())
    for path in reversed(paths) if newest_first else paths:
        try:
            yield read_summary(path)
        except (OSError, ValueError):
            continue


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


def whole_lines_from(path: Path, offset: int) -> Iterator[tuple[int, bytes]]:
    """Whole lines of ``path`` from byte ``offset`` on, each with the offset after it (the
    dataset consumes run files incrementally); a torn last line is left for next time."""
    with path.open("rb") as handle:
        handle.seek(offset)
        for line in handle:
            if not line.endswith(b"\n"):
                return  # being written, or torn by a crash: read next time, once whole
            offset += len(line)
            yield offset, line


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
    started = format_utc(run_start(run.paths.run_id))
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
            line.get("seen_at") or started)


def latest_open_rejects(output_dir: Path) -> list[dict[str, Any]]:
    """The open rejects as the newest crawl's summary under ``output_dir`` lists them (a
    re-extraction, ``"source": "archive"``, never opens the state: it does not know them)."""
    newest = next((summary for summary in run_summaries(output_dir, newest_first=True)
                   if not is_reextraction(summary)), {})
    return list(newest.get("open_rejects") or [])


def reject_reasons(output_dir: Path, skipped: set[str]) -> Counter[str]:
    """Rejects by reason over every run's rejects file but the runs ``skipped`` (a file of a
    crawl that crashed counts too; a line that is no reject counts as ``unknown``)."""
    reasons: Counter[str] = Counter()
    for run_id, path in run_files(output_dir, "rejects").items():
        if run_id in skipped:
            continue
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                try:
                    reasons[str(json.loads(line).get("reason", "unknown"))] += 1
                except (ValueError, AttributeError):
                    continue
    return reasons
