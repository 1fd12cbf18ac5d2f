"""One consolidated, versioned dataset from the run files: ``scrapy dataset``.

Run files (``articles/<run>.jsonl``) are increments: new articles and refreshed views, the
same ``id`` again in every run that re-read it. Downstream tools want one table, every
article once with its latest views and when it was first and last seen. This package folds
the run files into ``<ANALYTICS_OUTPUT_DIR>/dataset/``:

- ``articles.jsonl`` and ``articles.parquet``: one row per ``id``, sorted by ``date`` (then
  ``id``): the record (schema ``article.schema.json``) whose ``scraped_at`` is the latest,
  plus ``first_seen``/``last_seen`` (min/max ``scraped_at`` over every run);
- ``schema.json``: JSON Schema of a row, versioned with the record's schema;
- ``README.md``: the dataset card; ``manifest.json``: version, files, consolidated runs;
- ``store.sqlite3``: the consolidation store (internal).

Why SQLite and not a dict: the store keeps one row per article on disk, so memory does not
grow with the number of run files nor with the number of articles; each run file is streamed
line by line into it and the outputs are streamed out of it in date order through an index.
Incremental: the store remembers, per run file, how many bytes (whole lines) it consumed;
a later call reads only what is new (a new file, or lines appended to a run still being
written). Atomic: outputs are written to temporary files, the store is committed, then each
file is renamed over the old one (``os.replace``) and ``manifest.json`` is written last; a
crash at any point leaves the previous files whole, and the next call repairs a half-done
publication (the manifest's ``dataset_version`` differs from the store's).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from crawler.dataset.card import DatasetStats, crawled_hosts, dataset_card
from crawler.dataset.history import gone_digest, gone_refreshes, write_history
from crawler.dataset.reextracted import Reextraction, reextracted_rows, reextraction_card
from crawler.dataset.schema import (
    BATCH_ROWS,
    arrow_schema,
    row_schema,
    rows_to_batch,
    schema_version,
)
from crawler.dataset.store import (
    IngestCounts,
    SourceState,
    dataset_rows,
    ingest,
    meta,
    open_store,
    set_meta,
)
from crawler.disk import FileLock, replace_atomic, temporary_path, write_json_atomic
from crawler.runs.files import to_json_line
from crawler.runs.reading import latest_open_rejects
from crawler.validation import RecordCheck, article_schema

#: Name of the dataset, in its card and manifest.
DATASET_NAME = "caliber-analytics-articles"
#: Files of the dataset directory that make up the published dataset.
OUTPUT_FILES = ("articles.jsonl", "articles.parquet", "views.parquet", "revisions.parquet",
                "schema.json", "README.md")


def write_data_files(rows: Iterable[dict[str, Any]], jsonl: Path, parquet: Path,
                     dataset_version: int) -> DatasetStats:
    """Write the rows to ``jsonl`` and ``parquet`` (given paths), batch by batch."""
    stats = DatasetStats()
    schema = arrow_schema(dataset_version)
    batch: list[dict[str, Any]] = []
    with jsonl.open("wb") as text_file, pq.ParquetWriter(
        parquet, schema, compression="zstd", write_statistics=True
    ) as writer:
        for row in rows:
            text_file.write(to_json_line(row))
            stats.add(row)
            batch.append(row)
            if len(batch) >= BATCH_ROWS:
                writer.write_batch(rows_to_batch(batch, schema))
                batch.clear()
        if batch or not stats.rows:
            writer.write_batch(rows_to_batch(batch, schema))
    return stats


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# --- the dataset directory -----------------------------------------------------------------
@dataclass(frozen=True)
class DatasetPaths:
    """Where the dataset of an output directory lives."""

    output_dir: Path

    @property
    def directory(self) -> Path:
        return self.output_dir / "dataset"

    @property
    def store(self) -> Path:
        return self.directory / "store.sqlite3"

    @property
    def manifest(self) -> Path:
        return self.directory / "manifest.json"

    @property
    def jsonl(self) -> Path:
        return self.directory / "articles.jsonl"

    @property
    def parquet(self) -> Path:
        return self.directory / "articles.parquet"

    @property
    def views(self) -> Path:
        return self.directory / "views.parquet"

    @property
    def revisions(self) -> Path:
        return self.directory / "revisions.parquet"

    @property
    def card(self) -> Path:
        return self.directory / "README.md"

    @property
    def schema(self) -> Path:
        return self.directory / "schema.json"


@dataclass
class DatasetResult:
    """What ``consolidate`` did."""

    paths: DatasetPaths
    dataset_version: int
    rows: int
    runs: int
    read: IngestCounts
    written: bool
    seconds: float = 0.0

    def describe(self) -> str:
        """One line for the command's output."""
        action = "written" if self.written else "already up to date"
        return (
            f"Dataset v{self.dataset_version} (schema {schema_version()}) {action}: "
            f"{self.rows} articles from {self.runs} run files; read {self.read.lines} new lines "
            f"from {self.read.files} files ({self.read.invalid} invalid lines skipped in all) "
            f"in {self.seconds:.2f} s -> {self.paths.directory}"
        )


def read_manifest(paths: DatasetPaths) -> dict[str, Any] | None:
    """The published manifest, or None if there is none (or it is unreadable)."""
    try:
        manifest: dict[str, Any] = json.loads(paths.manifest.read_text("utf-8"))
    except (OSError, ValueError):
        return None
    return manifest


def consolidate(output_dir: Path, rebuild: bool = False) -> DatasetResult:
    """Bring ``<output_dir>/dataset/`` up to date with every run file under ``articles/``.

    Reads only lines not consolidated yet; writes new files only when the store changed
    (or a previous publication was interrupted). ``rebuild`` starts from an empty store.
    """
    started = datetime.now(UTC)
    paths = DatasetPaths(output_dir)
    with FileLock(paths.directory / ".lock"):
        if rebuild:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{paths.store}{suffix}").unlink(missing_ok=True)
        connection = open_store(paths.store)
        try:
            result = _consolidate(connection, paths)
        finally:
            connection.close()
    result.seconds = (datetime.now(UTC) - started).total_seconds()
    return result


def _consolidate(connection: sqlite3.Connection, paths: DatasetPaths) -> DatasetResult:
    validator = RecordCheck(article_schema())
    connection.execute("BEGIN IMMEDIATE")
    try:
        read = ingest(connection, paths.output_dir, validator)
        gone = gone_refreshes(paths.output_dir)
        changed = bool(read.files) or gone_digest(gone) != meta(connection, "gone_digest", "")
        version = int(meta(connection, "dataset_version", "0"))
        manifest = read_manifest(paths)
        published = (manifest is not None and manifest.get("dataset_version") == version
                     and all((paths.directory / name).exists() for name in OUTPUT_FILES))
        if not changed and published:
            connection.execute("ROLLBACK")
            assert manifest is not None
            return DatasetResult(paths, version, int(manifest["rows"]),
                                 len(manifest["runs"]), read, written=False)
        if changed:
            version += 1
            set_meta(connection, "dataset_version", str(version))
            set_meta(connection, "schema_version", schema_version())
            set_meta(connection, "gone_digest", gone_digest(gone))
        temporaries = {path: temporary_path(path) for path in
                       (paths.jsonl, paths.parquet, paths.views, paths.revisions, paths.schema,
                        paths.card)}
        stats = write_data_files(dataset_rows(connection, gone), temporaries[paths.jsonl],
                                 temporaries[paths.parquet], version)
        stats.observations, stats.revisions = write_history(
            connection, temporaries[paths.views], temporaries[paths.revisions])
        sources = [SourceState(*row) for row in connection.execute(
            "SELECT run_id, bytes, lines, invalid, head FROM sources ORDER BY run_id")]
        temporaries[paths.schema].write_text(
            json.dumps(row_schema(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        reextracted = reextracted_rows(connection, paths.output_dir)
        card = dataset_card(stats, version, sources, latest_open_rejects(paths.output_dir),
                            reextraction_card(reextracted),
                            crawled_hosts(paths.output_dir, [s.run_id for s in sources]))
        temporaries[paths.card].write_text(card, encoding="utf-8")
        connection.execute("COMMIT")
    except BaseException:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        for temporary in paths.directory.glob(".*.tmp"):
            if temporary.is_file():
                temporary.unlink(missing_ok=True)
        raise
    for final, temporary in temporaries.items():
        replace_atomic(temporary, final)
    write_manifest(paths, version, stats, sources, reextracted)
    return DatasetResult(paths, version, stats.rows, len(sources), read, written=True)


def write_manifest(paths: DatasetPaths, version: int, stats: DatasetStats,
                   sources: list[SourceState], reextracted: list[Reextraction]) -> None:
    """``manifest.json``, written last: the version, each file's digest, the runs read."""
    manifest = {
        "dataset": DATASET_NAME,
        "dataset_version": version,
        "schema_version": schema_version(),
        "schema_id": row_schema()["$id"],
        "rows": stats.rows,
        "by_lang": stats.by_lang(),
        "date_range": [stats.date_min, stats.date_max],
        "views_observations": stats.observations,
        "revisions": stats.revisions,
        "edited_rows": stats.edited,
        "removed_rows": stats.removed,
        "files": {name: {"bytes": (paths.directory / name).stat().st_size,
                         "sha256": _sha256(paths.directory / name)} for name in OUTPUT_FILES},
        "runs": [{"run_id": source.run_id, "bytes": source.bytes, "lines": source.lines,
                  "invalid": source.invalid} for source in sources],
        "reextracted": [asdict(run) for run in reextracted],
    }
    write_json_atomic(paths.manifest, manifest)
