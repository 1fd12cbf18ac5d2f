"""``scrapy reextract``: new runs rebuilt from archives, with today's code and settings.

For each archive asked for (``--run RUN``, repeatable, or ``--all``), one new run is
written like a crawl's (``articles/``, ``rejects/``, ``runs/<id>.json`` with
``"source": "archive"`` and the archive's run id), without a request to any host and
without touching the incremental state. See ``crawler.archive.reextract``.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from scrapy.commands import ScrapyCommand
from scrapy.crawler import Crawler
from scrapy.exceptions import UsageError

from crawler import statkeys
from crawler.archive.reextract import ReextractSpider, archives
from crawler.commands import check_settings_or_exit
from crawler.commands.exitcodes import ExitCode
from crawler.runs.instants import new_run_id
from crawler.runs.start import declare_run


class Command(ScrapyCommand):
    requires_project = True

    def syntax(self) -> str:
        return "[--run RUN ...|--all]"

    def short_desc(self) -> str:
        return "Rebuild records from the runs' WARC archives, without a request to the site"

    def long_desc(self) -> str:
        return (
            "For each archive ANALYTICS_OUTPUT_DIR/archive/<RUN>.warc.gz asked for, writes a new "
            "run (articles/, rejects/, runs/<id>.json with \"source\": \"archive\") through the "
            "crawl's own page objects and pipelines, with today's settings (e.g. -s "
            "ANALYTICS_SELECTORS=...). Sends no request; leaves the incremental state as it is; "
            "each record keeps the scraped_at of its fetch."
        )

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--run", metavar="RUN", action="append", default=[], dest="runs",
                            help="the run whose archive to re-extract (repeatable)")
        parser.add_argument("--all", action="store_true",
                            help="re-extract every archive under ANALYTICS_OUTPUT_DIR/archive/")

    def chosen(self, opts: argparse.Namespace) -> dict[str, Path]:
        """The archives asked for; ``UsageError`` naming what is wrong, before any work."""
        assert self.settings is not None
        if bool(opts.runs) == bool(opts.all):
            given = "both" if opts.all else "neither"
            raise UsageError(f"--run/--all: given {given}; expected --run RUN (repeatable) or "
                             "--all", print_help=False)
        archive_dir = Path(self.settings["ANALYTICS_OUTPUT_DIR"]) / "archive"
        found = archives(archive_dir.parent)
        if opts.all:
            if not found:
                raise UsageError(f"--all: given an output directory without archives; expected "
                                 f"<run>.warc.gz files under {archive_dir}", print_help=False)
            return found
        missing = [run for run in opts.runs if run not in found]
        if missing:
            raise UsageError(f"--run: given {', '.join(missing)}; expected the run id of an "
                             f"archive under {archive_dir} (there are: "
                             f"{', '.join(found) or 'none'})", print_help=False)
        return {run: found[run] for run in dict.fromkeys(opts.runs)}

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        """Settings checked before Scrapy starts (``-s LOG_LEVEL=BOGUS`` is one line too);
        ``run`` checks them again as a run's, with its paths."""
        super().process_options(args, opts)
        check_settings_or_exit(self.settings)

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.settings is not None and self.crawler_process is not None
        if args:
            raise UsageError(f"unexpected arguments {args}: use --run RUN or --all",
                             print_help=False)
        declare_run(self.settings)  # its runs write their files (each its own run id)
        check_settings_or_exit(self.settings)
        chosen = self.chosen(opts)
        started = datetime.now(UTC)
        crawlers: list[Crawler] = []
        for number, (archive_run, path) in enumerate(chosen.items()):
            # One new run per archive; ids one millisecond apart, so never the same twice,
            # and each later than its archive's (the dataset prefers the later run's record).
            run_id = new_run_id(started + timedelta(milliseconds=number))
            if run_id <= archive_run:
                print(f"scrapy reextract: refused: archive {archive_run} is dated after now",
                      file=sys.stderr)
                self.exitcode = ExitCode.REFUSED
                return
            crawler = self.crawler_process.create_crawler(ReextractSpider)
            self.crawler_process.crawl(crawler, archive=str(path), run_id=run_id)
            crawlers.append(crawler)
        self.crawler_process.start()
        if self.crawler_process.bootstrap_failed:
            self.exitcode = ExitCode.FAILED
        elif any(crawler.stats is None or crawler.stats.get_value(statkeys.STATUS) != "ok"
                 for crawler in crawlers):
            self.exitcode = ExitCode.RUN_FAILED
