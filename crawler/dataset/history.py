"""The dataset's tables over time: ``views.parquet`` (every observation of the views counter)
and ``revisions.parquet`` (every edit a refresh showed), streamed from the store, and the
refreshes that found articles gone (from the run summaries: ``removed_at``)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from crawler.dataset.schema import BATCH_ROWS, revisions_schema, rows_to_batch, views_schema
from crawler.digest import fields_digest
from crawler.runs.reading import is_reextraction, run_summaries


def gone_refreshes(output_dir: Path) -> dict[str, list[str]]:
    """URL -> the instants refreshes found it gone (404/410), from every crawl's summary."""
    gone: dict[str, list[str]] = {}
    for summary in run_summaries(output_dir):
        if is_reextraction(summary):
            continue
        for entry in (summary.get("refresh") or {}).get("gone") or []:
            gone.setdefault(entry["url"], []).append(entry["seen_at"])
    return gone


def gone_digest(gone: dict[str, list[str]]) -> str:
    """A digest of the gone refreshes: a new one makes a new dataset version."""
    return fields_digest({url: sorted(moments) for url, moments in gone.items()})


def observation_rows(connection: sqlite3.Connection) -> Iterator[dict[str, Any]]:
    """Every views observation, by article id then time."""
    for row in connection.execute("SELECT id, url, lang, observed_at, views FROM observations "
                                  "ORDER BY id, observed_at"):
        yield dict(zip(("id", "url", "lang", "observed_at", "views"), row, strict=True))


def revision_rows(connection: sqlite3.Connection) -> Iterator[dict[str, Any]]:
    """Every edit, by article id then time."""
    for article_id, observed_at, url, previous, digest, fields in connection.execute(
            "SELECT id, observed_at, url, previous_hash, hash, fields_changed FROM revisions "
            "ORDER BY id, observed_at"):
        yield {"id": article_id, "url": url, "observed_at": observed_at,
               "previous_hash": previous, "hash": digest, "fields_changed": json.loads(fields)}


def write_table(rows: Iterator[dict[str, Any]], path: Path, schema: pa.Schema) -> int:
    """Rows to one Parquet file of ``schema``, one row group per ``BATCH_ROWS``; row count."""
    count = 0
    batch: list[dict[str, Any]] = []
    with pq.ParquetWriter(path, schema, compression="zstd", write_statistics=True) as writer:
        for row in rows:
            batch.append(row)
            count += 1
            if len(batch) >= BATCH_ROWS:
                writer.write_batch(rows_to_batch(batch, schema))
                batch.clear()
        if batch or not count:
            writer.write_batch(rows_to_batch(batch, schema))
    return count  # flushed to disk by replace_atomic, with the other files


def write_history(connection: sqlite3.Connection, views: Path, revisions: Path) -> tuple[int, int]:
    """``views.parquet`` and ``revisions.parquet`` (at the given paths); their row counts."""
    return (write_table(observation_rows(connection), views, views_schema()),
            write_table(revision_rows(connection), revisions, revisions_schema()))
