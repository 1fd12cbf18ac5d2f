"""One consolidated, versioned dataset from the run files: ``scrapy dataset``.

``schema`` (a row's JSON Schema and Parquet schema), ``store`` (the SQLite store the run files
are folded into), ``card`` (the dataset card), ``publish`` (the dataset directory, written
atomically, and its manifest; ``consolidate`` is the entry point), ``feeds`` (exports through
Scrapy's feed storages). A crawl never imports this package (nor pyarrow): only the
``dataset`` and ``report`` commands do, inside their methods.
"""

from crawler.dataset.feeds import DATASET_FEED_EXPORTERS, DatasetFeedSpider, ParquetItemExporter
from crawler.dataset.publish import DatasetPaths, DatasetResult, consolidate, read_manifest
from crawler.dataset.schema import ROW_FIELDS, arrow_schema, row_schema, schema_version
from crawler.dataset.store import DatasetError

__all__ = [
    "DATASET_FEED_EXPORTERS", "ROW_FIELDS", "DatasetError", "DatasetFeedSpider", "DatasetPaths",
    "DatasetResult", "ParquetItemExporter", "arrow_schema", "consolidate", "read_manifest",
    "row_schema", "schema_version",
]
