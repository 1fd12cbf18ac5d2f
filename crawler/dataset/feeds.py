"""Exports of the dataset through Scrapy's feed storages: a Parquet exporter, a feeding spider."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import IO, Any

import pyarrow as pa
import pyarrow.parquet as pq
from scrapy import Spider
from scrapy.exporters import BaseItemExporter
from scrapy.settings import BaseSettings

from crawler.dataset.schema import (
    BATCH_ROWS,
    ROW_FIELDS,
    arrow_schema,
    rows_to_batch,
    schema_version,
)


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
DATASET_FEED_EXPORTERS = {"parquet": "crawler.dataset.feeds.ParquetItemExporter"}


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
