"""The dataset's row: its JSON Schema and its Arrow/Parquet schema, derived from the record's."""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

import pyarrow as pa

from crawler.items import OPTIONAL_FIELDS, RECORD_FIELDS
from crawler.site import TIMEZONE
from crawler.validation import article_schema

#: Fields a dataset row adds to the record.
SEEN_FIELDS: tuple[str, ...] = ("first_seen", "last_seen")
#: Columns of a row, in order: the record's fields, then first/last seen.
ROW_FIELDS: tuple[str, ...] = (*RECORD_FIELDS, *SEEN_FIELDS)
#: Rows per Parquet row group / per batch held in memory while writing.
BATCH_ROWS = 2000
SEEN_DOCS = {
    "first_seen": "First time any run fetched the article (min scraped_at over all runs), UTC.",
    "last_seen": "Last time a run fetched the article (max scraped_at over all runs), UTC; "
    "the row's views and scraped_at are from that fetch.",
}
TIMESTAMP_FIELDS: dict[str, str] = {
    "date": TIMEZONE, "scraped_at": "UTC", "first_seen": "UTC", "last_seen": "UTC",
}


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

    Timestamps are zone-aware (``date`` in the site's zone, the others UTC), ``views`` an int64.
    The file's metadata carries the schema version (and the dataset version if given).
    """
    properties = row_schema()["properties"]
    required = set(row_schema()["required"]) - set(OPTIONAL_FIELDS)
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


def parse_timestamp(text: str) -> datetime:
    """A record's ISO 8601 timestamp (``date``, ``scraped_at``...) as an aware datetime."""
    return datetime.fromisoformat(text)


def rows_to_batch(rows: list[dict[str, Any]], schema: pa.Schema) -> pa.RecordBatch:
    """Rows (as in ``articles.jsonl``) to an Arrow batch of ``schema``'s types."""
    arrays = []
    for column in schema:
        values = [row.get(column.name) for row in rows]
        if column.name in TIMESTAMP_FIELDS:
            values = [parse_timestamp(value) if value is not None else None for value in values]
        arrays.append(pa.array(values, type=column.type))
    return pa.RecordBatch.from_arrays(arrays, schema=schema)

