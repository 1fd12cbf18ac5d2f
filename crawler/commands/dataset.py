"""``scrapy dataset``: consolidate every run file into one dataset, optionally export it.

Writes ``<ANALYTICS_OUTPUT_DIR>/dataset/`` (see ``crawler.dataset``). Exports go through
Scrapy's feed storages (``s3://``, ``gs://``, ``ftp://``, ``file://``): ``--export URI`` or
the ``ANALYTICS_DATASET_FEEDS`` setting (a ``FEEDS``-style dict), so credentials, ACLs and
endpoints are Scrapy's usual settings (``AWS_*``, ``GCS_PROJECT_ID``, ``FEED_STORAGE_*``).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError
from scrapy.utils.conf import feed_process_params_from_cli

from crawler.commands import check_settings_or_exit, output_dir_with_runs
from crawler.commands.exitcodes import ExitCode

# crawler.dataset (pyarrow) is imported inside the methods: Scrapy imports every command
# module for every command, and pyarrow would cost each crawl ~0.5 s and ~60 MB.

class Command(ScrapyCommand):
    requires_project = True

    def syntax(self) -> str:
        return "[--rebuild] [--export URI[:FORMAT] ...]"

    def short_desc(self) -> str:
        return "Consolidate every run file into one dataset (JSONL, Parquet, card)"

    def long_desc(self) -> str:
        return (
            "Reads every run file under ANALYTICS_OUTPUT_DIR/articles/ not consolidated yet and "
            "writes ANALYTICS_OUTPUT_DIR/dataset/: articles.jsonl and articles.parquet (one row "
            "per article, latest views, first_seen/last_seen, sorted by date), schema.json, "
            "README.md (the dataset card) and manifest.json. Then exports the dataset to every "
            "--export URI and ANALYTICS_DATASET_FEEDS entry through Scrapy's feed storages."
        )

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument(
            "--rebuild", action="store_true",
            help="forget what was consolidated and read every run file again",
        )
        parser.add_argument(
            "--export", metavar="URI", action="append", default=[],
            help="also export the dataset to URI (s3://, gs://, ftp://, file://), overwriting "
            "it; the format comes from the extension (.jsonl, .json, .csv, .parquet) or "
            "URI:FORMAT",
        )

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        from crawler.dataset import DATASET_FEED_EXPORTERS

        super().process_options(args, opts)
        assert self.settings is not None
        check_settings_or_exit(self.settings)  # before ANALYTICS_DATASET_FEEDS is read
        self.settings.set("FEED_EXPORTERS", {**self.settings.getdict("FEED_EXPORTERS"),
                                             **DATASET_FEED_EXPORTERS}, priority="cmdline")
        feeds: dict[str, Any] = dict(self.settings.getdict("ANALYTICS_DATASET_FEEDS"))
        if opts.export:
            feeds.update(feed_process_params_from_cli(self.settings, [],
                                                      overwrite_output=opts.export))
        self.settings.set("FEEDS", feeds, priority="cmdline")

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        from crawler.dataset import DatasetError, DatasetFeedSpider, consolidate

        if args:
            raise UsageError("scrapy dataset takes no arguments", print_help=True)
        assert self.settings is not None
        try:
            result = consolidate(output_dir_with_runs(self.settings), rebuild=opts.rebuild)
        except DatasetError as error:
            print(f"scrapy dataset: {error}", file=sys.stderr)
            self.exitcode = ExitCode.FAILED
            return
        print(result.describe())
        feeds = self.settings.getdict("FEEDS")
        if not feeds:
            return
        assert self.crawler_process is not None
        crawler = self.crawler_process.create_crawler(DatasetFeedSpider)
        self.crawler_process.crawl(crawler, jsonl=str(result.paths.jsonl),
                                   dataset_version=str(result.dataset_version))
        self.crawler_process.start()
        assert crawler.stats is not None
        stats = crawler.stats.get_stats()
        stored = sum(v for k, v in stats.items() if k.startswith("feedexport/success_count/"))
        failed = sum(v for k, v in stats.items() if k.startswith("feedexport/failed_count/"))
        print(f"Exported to {stored} of {len(feeds)} feeds: {', '.join(feeds)}")
        if failed or stored != len(feeds):
            print(f"scrapy dataset: {len(feeds) - stored} export(s) failed (see the log)",
                  file=sys.stderr)
            self.exitcode = ExitCode.FAILED
