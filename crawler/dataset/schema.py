"""The dataset's row: its JSON Schema and its Arrow/Parquet schema, derived from the record's."""

from __future__ import annotations

import copy
import json
from datetime import datetime
from typing import Any

import pyarrow as pa

from crawler.items import RECORD_FIELDS
from crawler.site import TIMEZONE
from crawler.validation import article_schema

#: Fields a dataset row adds to the record.
SEEN_FIELDS: tuple[str, ...] = ("first_seen", "last_seen")
#: Fields of the article's history a row adds after them.
HISTORY_FIELDS: tuple[str, ...] = ("revision", "edited_at", "removed_at", "date_local")
#: Columns of a row, in order: the record's fields, first/last seen, then its history.
ROW_FIELDS: tuple[str, ...] = (*RECORD_FIELDS, *SEEN_FIELDS, *HISTORY_FIELDS)
#: Rows per Parquet row group / per batch held in memory while writing.
BATCH_ROWS = 2000
SEEN_DOCS = {
    "first_seen": "First time any run fetched the article (min scraped_at over all runs), UTC.",
    "last_seen": "Last time a run fetched the article (max scraped_at over all runs), UTC; "
    "the row's views and scraped_at are from that fetch.",
}
HISTORY_DOCS: dict[str, dict[str, Any]] = {
    "revision": {"type": "integer", "minimum": 1, "description":
                 "1 for an article never edited; one more at each edit (views.parquet and "
                 "revisions.parquet hold the history)."},
    "edited_at": {"type": ["string", "null"], "description":
                  "When a refresh first showed the current content (the last edit), UTC; null "
                  "when the article was never edited."},
    "removed_at": {"type": ["string", "null"], "description":
                   "When the site first answered 404/410 for the article, set once two "
                   "refreshes in a row said so, UTC; null while it is on the site (it comes "
                   "back: cleared). The row keeps its last content."},
    "date_local": {"type": "string", "description":
                   "The publication time as a Baku wall clock (Asia/Baku), no offset: group by "
                   "it for Baku days and months in any client (a timestamp without time zone "
                   "in Parquet)."},
}
#: The columns that are instants, by the zone they are shown in; ``None``: a wall time.
TIMESTAMP_FIELDS: dict[str, str | None] = {
    "date": TIMEZONE, "scraped_at": "UTC", "first_seen": "UTC", "last_seen": "UTC",
    "edited_at": "UTC", "removed_at": "UTC", "date_local": None, "observed_at": "UTC",
}
#: Integer columns (nullable ones are read by pandas as its nullable ``Int64``).
INTEGER_FIELDS = frozenset({"views", "revision"})


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
    schema["properties"].update(copy.deepcopy(HISTORY_DOCS))
    schema["required"] = [*schema["required"], *SEEN_FIELDS, *HISTORY_FIELDS]
    return schema


def arrow_schema(dataset_version: int | None = None) -> pa.Schema:
    """The Parquet/Arrow schema: typed columns, each with its description.

    Timestamps are zone-aware (``date`` in the site's zone, the others UTC), ``views`` an int64.
    The file's metadata carries the schema version (and the dataset version if given).
    """
    properties = row_schema()["properties"]
    columns = [column_field(name, properties[name]["description"],
                            "null" in properties[name]["type"]) for name in ROW_FIELDS]
    metadata = {b"caliber.schema_version": schema_version().encode(),
                b"caliber.schema_id": row_schema()["$id"].encode()}
    if dataset_version is not None:
        metadata[b"caliber.dataset_version"] = str(dataset_version).encode()
    return with_pandas_metadata(pa.schema(columns, metadata=metadata))


def column_field(name: str, description: str, nullable: bool,
                 kind: pa.DataType | None = None) -> pa.Field:
    """A typed column with its description: timestamps by ``TIMESTAMP_FIELDS``, integers
    int64, the rest strings unless ``kind`` says."""
    if kind is None:
        if name in TIMESTAMP_FIELDS:
            kind = pa.timestamp("us", tz=TIMESTAMP_FIELDS[name])
        elif name in INTEGER_FIELDS:
            kind = pa.int64()
        else:
            kind = pa.string()
    return pa.field(name, kind, nullable=nullable,
                    metadata={b"description": description.encode("utf-8")})


def with_pandas_metadata(schema: pa.Schema) -> pa.Schema:
    """``schema`` with the pandas metadata that makes a plain ``pandas.read_parquet`` read
    its nullable integer columns as ``Int64`` (``<NA>`` for null), not float64 with NaN."""
    columns = [{"name": column.name, "field_name": column.name, "pandas_type": "int64",
                "numpy_type": "Int64" if column.nullable else "int64", "metadata": None}
               for column in schema if pa.types.is_integer(column.type)]
    pandas = {"index_columns": [], "column_indexes": [], "columns": columns,
              "attributes": {}, "creator": {"library": "caliber-analytics"},
              "pandas_version": "2.0.0"}
    return schema.with_metadata({**(schema.metadata or {}),
                                 b"pandas": json.dumps(pandas).encode()})


def parse_timestamp(text: str) -> datetime:
    """A record's ISO 8601 timestamp (``date``, ``scraped_at``...) as an aware datetime."""
    return datetime.fromisoformat(text)


def rows_to_batch(rows: list[dict[str, Any]], schema: pa.Schema) -> pa.RecordBatch:
    """Rows (as in the JSON Lines files) to an Arrow batch of ``schema``'s types."""
    arrays = []
    for column in schema:
        values = [row.get(column.name) for row in rows]
        if pa.types.is_timestamp(column.type):
            values = [parse_timestamp(value) if value is not None else None for value in values]
        arrays.append(pa.array(values, type=column.type))
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def views_schema() -> pa.Schema:
    """``views.parquet``: one row per observation of an article's views counter."""
    return with_pandas_metadata(pa.schema([
        column_field("id", "The article's id (articles.parquet).", False),
        column_field("url", "The article's canonical URL.", False),
        column_field("lang", "en, ru or hy.", False),
        column_field("observed_at", "When the counter was read: the record's scraped_at, UTC.",
                     False),
        column_field("views", "The views counter the page showed then.", False),
    ], metadata={b"caliber.schema_version": schema_version().encode()}))


def revisions_schema() -> pa.Schema:
    """``revisions.parquet``: one row per edit of an article seen by a refresh."""
    return with_pandas_metadata(pa.schema([
        column_field("id", "The article's id (articles.parquet).", False),
        column_field("url", "The article's canonical URL.", False),
        column_field("observed_at", "The fetch that first showed the new content, UTC.", False),
        column_field("previous_hash", "Content hash before the edit.", False),
        column_field("hash", "Content hash after it (normalised title, subtitle, body, author, "
                     "image: not views).", False),
        column_field("fields_changed", "The fields whose text changed, in record order.",
                     False, pa.list_(pa.string())),
    ], metadata={b"caliber.schema_version": schema_version().encode()}))
