"""One consolidated, versioned dataset from the run files: ``scrapy dataset``.

Run files (``articles/<run>.jsonl``) are increments: new articles and refreshed views, the
same ``id`` again in every run that re-read it. Downstream tools want one table, every
article once with its latest views and when it was first and last seen. This module folds
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

import copy
import fcntl
import hashlib
import json
import logging
import os
import sqlite3
from collections import Counter
from collections.abc import AsyncIterator, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import pyarrow as pa
import pyarrow.parquet as pq
from scrapy import Spider
from scrapy.exporters import BaseItemExporter
from scrapy.settings import BaseSettings

from crawler.items import OPTIONAL_FIELDS, Article, field_docs
from crawler.runfiles import RUN_ID_PATTERN, to_json_line
from crawler.validation import RecordCheck, article_schema

logger = logging.getLogger(__name__)

#: Name of the dataset, in its card and manifest.
DATASET_NAME = "caliber-analytics-articles"
#: Fields a dataset row adds to the record.
SEEN_FIELDS: tuple[str, ...] = ("first_seen", "last_seen")
#: Columns of a row, in order: the record's fields, then first/last seen.
ROW_FIELDS: tuple[str, ...] = (*field_docs(Article), *SEEN_FIELDS)
#: Rows per Parquet row group / per batch held in memory while writing.
BATCH_ROWS = 2000
#: Files of the dataset directory that make up the published dataset.
OUTPUT_FILES = ("articles.jsonl", "articles.parquet", "schema.json", "README.md")
SEEN_DOCS = {
    "first_seen": "First time any run fetched the article (min scraped_at over all runs), UTC.",
    "last_seen": "Last time a run fetched the article (max scraped_at over all runs), UTC; "
    "the row's views and scraped_at are from that fetch.",
}
TIMESTAMP_FIELDS: dict[str, str] = {
    "date": "Asia/Baku", "scraped_at": "UTC", "first_seen": "UTC", "last_seen": "UTC",
}


class DatasetError(Exception):
    """The dataset cannot be built as asked (a consolidated run file changed, ...)."""


# --- schema --------------------------------------------------------------------------------
def schema_version() -> str:
    """Version of the published record schema (``crawler/schema/article.schema.json``)."""
    return str(article_schema()["version"])


def row_schema() -> dict[str, Any]:
    """JSON Schema of a dataset row: the record's schema plus ``first_seen``/``last_seen``.

    Derived from the record's schema so the two cannot drift; it carries the same version.
    """
    schema = copy.deepcopy(article_schema())
    version = schema["version"]
    schema["$id"] = f"urn:caliber-analytics:schema:dataset-article:{version}"
    schema["title"] = "Caliber.az Analytics article, consolidated"
    schema["description"] = (
        "One row of the consolidated dataset: the latest record of an article (by scraped_at) "
        "and when it was first and last seen."
    )
    for name in SEEN_FIELDS:
        schema["properties"][name] = {
            "description": SEEN_DOCS[name],
            "type": "string",
            "pattern": schema["properties"]["scraped_at"]["pattern"],
        }
    schema["required"] = [*schema["required"], *SEEN_FIELDS]
    return schema


def arrow_schema(dataset_version: int | None = None) -> pa.Schema:
    """The Parquet/Arrow schema: typed columns, each with its description.

    Timestamps are zone-aware (``date`` in Asia/Baku, the others UTC), ``views`` an int64.
    The file's metadata carries the schema version (and the dataset version if given).
    """
    properties = row_schema()["properties"]
    required = set(row_schema()["required"]) - {"subtitle", "category", "views", "author",
                                                "image"}
    columns = []
    for name in ROW_FIELDS:
        if name in TIMESTAMP_FIELDS:
            kind: pa.DataType = pa.timestamp("us", tz=TIMESTAMP_FIELDS[name])
        elif name == "views":
            kind = pa.int64()
        else:
            kind = pa.string()
        doc = properties[name]["description"].encode("utf-8")
        columns.append(pa.field(name, kind, nullable=name not in required,
                                metadata={b"description": doc}))
    metadata = {b"caliber.schema_version": schema_version().encode(),
                b"caliber.schema_id": row_schema()["$id"].encode()}
    if dataset_version is not None:
        metadata[b"caliber.dataset_version"] = str(dataset_version).encode()
    return pa.schema(columns, metadata=metadata)


def _timestamp(text: str) -> datetime:
    return datetime.fromisoformat(text)


def rows_to_batch(rows: list[dict[str, Any]], schema: pa.Schema) -> pa.RecordBatch:
    """Rows (as in ``articles.jsonl``) to an Arrow batch of ``schema``'s types."""
    arrays = []
    for column in schema:
        values = [row.get(column.name) for row in rows]
        if column.name in TIMESTAMP_FIELDS:
            values = [_timestamp(value) if value is not None else None for value in values]
        arrays.append(pa.array(values, type=column.type))
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


# --- the store -----------------------------------------------------------------------------
STORE_SQL = """
CREATE TABLE IF NOT EXISTS articles (
    id TEXT PRIMARY KEY,
    date_key TEXT NOT NULL,    -- the publication instant in UTC: the sort order
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    latest_key TEXT NOT NULL,  -- scraped_at|run|line of the kept record: the latest wins
    record TEXT NOT NULL       -- that record, as JSON
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

UPSERT_SQL = """
INSERT INTO articles (id, date_key, first_seen, last_seen, latest_key, record)
VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (id) DO UPDATE SET
    first_seen = min(articles.first_seen, excluded.first_seen),
    last_seen = max(articles.last_seen, excluded.last_seen),
    date_key = CASE WHEN excluded.latest_key >= articles.latest_key
                    THEN excluded.date_key ELSE articles.date_key END,
    record = CASE WHEN excluded.latest_key >= articles.latest_key
                  THEN excluded.record ELSE articles.record END,
    latest_key = max(articles.latest_key, excluded.latest_key)
"""
HEAD_BYTES = 4096


def open_store(path: Path) -> sqlite3.Connection:
    """The consolidation store (created if missing); transactions are explicit."""
    path.parent.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.executescript(STORE_SQL)
    return connection


def _meta(connection: sqlite3.Connection, key: str, default: str) -> str:
    row = connection.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return str(row[0]) if row else default


def _set_meta(connection: sqlite3.Connection, key: str, value: str) -> None:
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


def run_files(articles_dir: Path) -> list[tuple[str, Path]]:
    """The run files under ``articles/`` (``<run_id>.jsonl``), oldest run first."""
    if not articles_dir.is_dir():
        return []
    found = []
    for path in articles_dir.glob("*.jsonl"):
        run_id = path.name[: -len(".jsonl")]
        if RUN_ID_PATTERN.match(run_id):
            found.append((run_id, path))
    return sorted(found)


def _utc_key(date: str) -> str:
    return _timestamp(date).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _read_new_lines(path: Path, offset: int) -> Iterator[tuple[int, bytes]]:
    """Whole lines from ``offset`` on, with the offset after each; a torn last line is left."""
    with path.open("rb") as handle:
        handle.seek(offset)
        for line in handle:
            if not line.endswith(b"\n"):
                return  # being written, or torn by a crash: read next time, once whole
            offset += len(line)
            yield offset, line


def ingest(connection: sqlite3.Connection, articles_dir: Path,
           validator: RecordCheck) -> IngestCounts:
    """Fold every new line of every run file into the store (inside the caller's transaction).

    Raises DatasetError when a run file is shorter than what was consumed of it or its first
    bytes changed: it was replaced, and only ``--rebuild`` can say what it means now.
    """
    counts = IngestCounts()
    known = {row[0]: SourceState(*row) for row in
             connection.execute("SELECT run_id, bytes, lines, invalid, head FROM sources")}
    for run_id, path in run_files(articles_dir):
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
        batch: list[tuple[str, str, str, str, str, str]] = []
        for offset, line in _read_new_lines(path, state.bytes):
            state.lines += 1
            state.bytes = offset
            row = _parse(line, validator, path, state.lines)
            if row is None:
                state.invalid += 1
                continue
            record, text = row
            scraped = record["scraped_at"]
            batch.append((record["id"], _utc_key(record["date"]), scraped, scraped,
                          f"{scraped}|{run_id}|{state.lines:010d}", text))
            if len(batch) >= BATCH_ROWS:
                connection.executemany(UPSERT_SQL, batch)
                batch.clear()
        if batch:
            connection.executemany(UPSERT_SQL, batch)
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


# --- writing -------------------------------------------------------------------------------
@dataclass
class DatasetStats:
    """Figures of the written dataset, gathered while streaming it out (for card/manifest)."""

    rows: int = 0
    by_lang_year: Counter[tuple[str, str]] = field(default_factory=Counter)
    non_null: Counter[str] = field(default_factory=Counter)
    date_min: str | None = None
    date_max: str | None = None
    first_seen_min: str | None = None
    last_seen_max: str | None = None

    def add(self, row: dict[str, Any]) -> None:
        self.rows += 1
        self.by_lang_year[(row["lang"], row["date"][:4])] += 1
        for name in OPTIONAL_FIELDS:
            if row.get(name) is not None:
                self.non_null[name] += 1
        if self.date_min is None:
            self.date_min = row["date"]
        self.date_max = row["date"]  # rows come sorted by date
        self.first_seen_min = min(filter(None, (self.first_seen_min, row["first_seen"])))
        self.last_seen_max = max(filter(None, (self.last_seen_max, row["last_seen"])))

    def coverage(self) -> dict[str, float | None]:
        """Share of rows that have each optional field (not null)."""
        return {name: round(self.non_null[name] / self.rows, 4) if self.rows else None
                for name in OPTIONAL_FIELDS}

    def by_lang(self) -> dict[str, int]:
        counts: Counter[str] = Counter()
        for (lang, _year), count in self.by_lang_year.items():
            counts[lang] += count
        return dict(sorted(counts.items()))


def dataset_rows(connection: sqlite3.Connection) -> Iterator[dict[str, Any]]:
    """Every article once, sorted by publication instant then id, streamed from the store."""
    cursor = connection.execute(
        "SELECT record, first_seen, last_seen FROM articles ORDER BY date_key, id")
    for text, first_seen, last_seen in cursor:
        row: dict[str, Any] = json.loads(text)
        row["first_seen"], row["last_seen"] = first_seen, last_seen
        yield row


def _temporary(path: Path) -> Path:
    return path.with_name(f".{path.name}.tmp")


def _fsync_file(path: Path) -> None:
    with path.open("rb") as handle:
        os.fsync(handle.fileno())


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
        text_file.flush()
        os.fsync(text_file.fileno())
    _fsync_file(parquet)
    return stats


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _write_text(path: Path, text: str) -> None:
    with path.open("w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())


# --- the dataset directory -----------------------------------------------------------------
@dataclass(frozen=True)
class DatasetPaths:
    """Where the dataset of an output directory lives."""

    output_dir: Path

    @property
    def articles_dir(self) -> Path:
        return self.output_dir / "articles"

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


@contextmanager
def _locked(directory: Path) -> Iterator[None]:
    """One ``scrapy dataset`` at a time per dataset directory (an advisory file lock)."""
    directory.mkdir(parents=True, exist_ok=True)
    with (directory / ".lock").open("w") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


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
    with _locked(paths.directory):
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
        read = ingest(connection, paths.articles_dir, validator)
        version = int(_meta(connection, "dataset_version", "0"))
        manifest = read_manifest(paths)
        published = (manifest is not None and manifest.get("dataset_version") == version
                     and all((paths.directory / name).exists() for name in OUTPUT_FILES))
        if read.files == 0 and published:
            connection.execute("ROLLBACK")
            assert manifest is not None
            return DatasetResult(paths, version, int(manifest["rows"]),
                                 len(manifest["runs"]), read, written=False)
        if read.files:
            version += 1
            _set_meta(connection, "dataset_version", str(version))
            _set_meta(connection, "schema_version", schema_version())
        temporaries = {path: _temporary(path) for path in
                       (paths.jsonl, paths.parquet, paths.schema, paths.card)}
        stats = write_data_files(dataset_rows(connection), temporaries[paths.jsonl],
                                 temporaries[paths.parquet], version)
        sources = [SourceState(*row) for row in connection.execute(
            "SELECT run_id, bytes, lines, invalid, head FROM sources ORDER BY run_id")]
        _write_text(temporaries[paths.schema],
                    json.dumps(row_schema(), ensure_ascii=False, indent=2) + "\n")
        _write_text(temporaries[paths.card], dataset_card(stats, version, sources))
        connection.execute("COMMIT")
    except BaseException:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        for temporary in paths.directory.glob(".*.tmp"):
            if temporary.is_file():
                temporary.unlink(missing_ok=True)
        raise
    for final, temporary in temporaries.items():
        os.replace(temporary, final)
    write_manifest(paths, version, stats, sources)
    return DatasetResult(paths, version, stats.rows, len(sources), read, written=True)


def write_manifest(paths: DatasetPaths, version: int, stats: DatasetStats,
                   sources: list[SourceState]) -> None:
    """``manifest.json``, written last: the version, each file's digest, the runs read."""
    manifest = {
        "dataset": DATASET_NAME,
        "dataset_version": version,
        "schema_version": schema_version(),
        "schema_id": row_schema()["$id"],
        "rows": stats.rows,
        "by_lang": stats.by_lang(),
        "date_range": [stats.date_min, stats.date_max],
        "files": {name: {"bytes": (paths.directory / name).stat().st_size,
                         "sha256": _sha256(paths.directory / name)} for name in OUTPUT_FILES},
        "runs": [{"run_id": source.run_id, "bytes": source.bytes, "lines": source.lines,
                  "invalid": source.invalid} for source in sources],
    }
    temporary = _temporary(paths.manifest)
    _write_text(temporary, json.dumps(manifest, ensure_ascii=False, indent=2) + "\n")
    os.replace(temporary, paths.manifest)


# --- the card ------------------------------------------------------------------------------
def _type_name(arrow_type: pa.DataType) -> str:
    if pa.types.is_timestamp(arrow_type):
        return f"timestamp[{arrow_type.unit}, tz={arrow_type.tz}]"
    return str(arrow_type)


def dataset_card(stats: DatasetStats, version: int, sources: list[SourceState]) -> str:
    """The dataset card (``dataset/README.md``): what is in it, how much, and its terms.

    Deterministic: built from the data only (no clock), so an unchanged dataset has an
    unchanged card.
    """
    schema = row_schema()
    arrow = arrow_schema()
    langs = sorted({lang for lang, _ in stats.by_lang_year})
    years = sorted({year for _, year in stats.by_lang_year})
    lines = [
        "---",
        f"pretty_name: Caliber.az Analytics articles (schema {schema_version()})",
        "language:", *[f"- {lang}" for lang in langs or ["en", "ru", "hy"]],
        "license: other",
        "license_name: caliber-az-source-attribution",
        "configs:",
        "- config_name: default",
        "  data_files: articles.parquet",
        "---",
        "",
        "# Caliber.az Analytics articles",
        "",
        "Every article of the Analytics section of [Caliber.az](https://caliber.az) that the "
        "crawler has seen, once, with its latest views and when it was first and last seen.",
        "",
        "| | |",
        "|---|---|",
        f"| dataset version | {version} (grows by one each time new runs are consolidated) |",
        f"| schema | `{schema['$id']}` (version {schema_version()}), in `schema.json` |",
        f"| rows | {stats.rows} (one per `id`) |",
        f"| publication dates | {stats.date_min or '-'} to {stats.date_max or '-'} |",
        f"| seen between | {stats.first_seen_min or '-'} and {stats.last_seen_max or '-'} |",
        f"| run files consolidated | {len(sources)}"
        + (f" ({sources[0].run_id} to {sources[-1].run_id})" if sources else "") + " |",
        "| files | `articles.parquet` (typed), `articles.jsonl` (same rows, same order) |",
        "",
        "## Source and licence",
        "",
        "The texts are the work of Caliber.az and are collected from its public pages. The site "
        "asks that any use of its material carry a **hyperlink to "
        "[Caliber.az](https://caliber.az)**: keep the `url` of every article you use and link "
        "to it. This dataset grants no rights of its own over the texts.",
        "",
        "## Fields",
        "",
        "Rows are sorted by `date` (the publication instant), then `id`.",
        "",
        "| field | Parquet type | null | description |",
        "|---|---|---|---|",
    ]
    for column in arrow:
        description = schema["properties"][column.name]["description"].replace("|", "\\|")
        lines.append(f"| `{column.name}` | {_type_name(column.type)} | "
                     f"{'yes' if column.nullable else 'no'} | {description} |")
    lines += ["", "## Articles per language and year", ""]
    if years:
        lines.append("| year | " + " | ".join(langs) + " | total |")
        lines.append("|---|" + "---:|" * (len(langs) + 1))
        for year in years:
            counts = [stats.by_lang_year[(lang, year)] for lang in langs]
            lines.append(f"| {year} | " + " | ".join(map(str, counts)) + f" | {sum(counts)} |")
        totals = [stats.by_lang()[lang] for lang in langs]
        lines.append("| **all** | " + " | ".join(map(str, totals)) + f" | {stats.rows} |")
    else:
        lines.append("No articles yet.")
    lines += ["", "## Field coverage", "",
              "Share of rows where the optional field is not null (the required fields are "
              "always present).", "", "| field | rows with it | coverage |", "|---|---:|---:|"]
    for name, share in stats.coverage().items():
        percent = f"{share:.1%}" if share is not None else "-"
        lines.append(f"| `{name}` | {stats.non_null[name]} | {percent} |")
    lines += [
        "",
        "## Loading",
        "",
        "```python",
        "import pandas as pd; df = pd.read_parquet('articles.parquet')",
        "import duckdb; duckdb.sql(\"SELECT lang, count(*) FROM 'articles.parquet' GROUP BY 1\")",
        "spark.read.parquet('articles.parquet')",
        "from datasets import load_dataset",
        "ds = load_dataset('parquet', data_files='articles.parquet')['train']",
        "```",
        "",
        "Made by `scrapy dataset` of the caliber-analytics crawler; `manifest.json` lists the "
        "run files read and the digest of every file.",
        "",
    ]
    return "\n".join(lines)


# --- exports through Scrapy's feed storages ------------------------------------------------
class ParquetItemExporter(BaseItemExporter):
    """A feed exporter (``format: parquet``) writing dataset rows with the dataset's types.

    Lets ``FEEDS``-style exports of the dataset (S3, GCS, FTP, files) produce Parquet, in
    row groups of ``BATCH_ROWS`` so memory stays bounded.
    """

    def __init__(self, file: IO[bytes], **kwargs: Any) -> None:
        super().__init__(dont_fail=True, **kwargs)
        self.file = file
        self.schema = arrow_schema()
        self.batch: list[dict[str, Any]] = []
        self.writer: pq.ParquetWriter | None = None

    def start_exporting(self) -> None:
        self.writer = pq.ParquetWriter(pa.PythonFile(self.file, mode="w"), self.schema,
                                       compression="zstd")

    def export_item(self, item: Any) -> None:
        self.batch.append(dict(item))
        if len(self.batch) >= BATCH_ROWS:
            self._flush()

    def _flush(self) -> None:
        assert self.writer is not None
        self.writer.write_batch(rows_to_batch(self.batch, self.schema))
        self.batch.clear()

    def finish_exporting(self) -> None:
        if self.writer is None:
            return
        if self.batch:
            self._flush()
        self.writer.close()


#: Feed exporters the dataset exports add to Scrapy's (``format: parquet``).
DATASET_FEED_EXPORTERS = {"parquet": "crawler.dataset.ParquetItemExporter"}


class DatasetFeedSpider(Spider):
    """Feeds the published ``articles.jsonl`` to Scrapy's feed exports, and nothing else.

    No request is made: ``start`` yields the dataset's rows as items, so ``FEEDS`` (S3, GCS,
    FTP, file URIs, with their settings, URI parameters and post-processing) do the export.
    The project's pipelines and run-file extensions are switched off for it: rows are not
    articles to validate again, and an export is not a crawl run.
    """

    name = "dataset"

    def __init__(self, jsonl: str, dataset_version: str = "", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.jsonl = jsonl
        #: URI parameters: ``%(dataset_version)s`` and ``%(schema_version)s`` in a feed URI.
        self.dataset_version = dataset_version
        self.schema_version = schema_version()

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        super().update_settings(settings)
        project_extensions = settings.getdict("EXTENSIONS")
        overrides: dict[str, Any] = {
            "ITEM_PIPELINES": {},
            "EXTENSIONS": {"scrapy.extensions.logstats.LogStats": None,
                           **{name: None for name in project_extensions
                              if str(name).startswith("crawler.")}},
            "FEED_EXPORT_FIELDS": list(ROW_FIELDS),
            "FEED_EXPORT_ENCODING": "utf-8",
            "FEED_EXPORTERS": {**settings.getdict("FEED_EXPORTERS"), **DATASET_FEED_EXPORTERS},
            "ROBOTSTXT_OBEY": False,
        }
        for name, value in overrides.items():
            settings.set(name, value, priority="cmdline")

    async def start(self) -> AsyncIterator[Any]:
        with open(self.jsonl, encoding="utf-8") as handle:
            for line in handle:
                yield json.loads(line)
