"""``scrapy report``: a static HTML report of the dataset and the runs (one offline file).

Brings the dataset up to date first (``scrapy dataset`` is incremental, so this is cheap),
then writes ``<ANALYTICS_OUTPUT_DIR>/report.html`` or ``--output PATH``, and with ``--png DIR``
each plot as a PNG too. Coverage is drawn from ``ANALYTICS_MONITOR_COVERAGE_MIN_RECORDS``
records up, the setting the monitors judge by.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from crawler.commands import check_settings_or_exit, output_dir_with_runs
from crawler.commands.exitcodes import ExitCode
from crawler.disk import unwritable_reason

# crawler.dataset (pyarrow) and crawler.report (matplotlib) are imported inside ``run``:
# Scrapy imports every command module for every command, crawls included (~1 s, ~110 MB).


class Command(ScrapyCommand):
    requires_project = True
    requires_crawler_process = False

    def syntax(self) -> str:
        return "[--output PATH] [--png DIR]"

    def short_desc(self) -> str:
        return "Write a static HTML report (plots) of the dataset and the runs"

    def long_desc(self) -> str:
        return (
            "Consolidates new run files into the dataset (as scrapy dataset does), then writes "
            "one self-contained HTML file: articles per period by language, distribution of "
            "views, records and field coverage per crawl over time (re-extractions marked "
            "apart), rejects by reason. It opens in any browser without network."
        )

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("-o", "--output", metavar="PATH", default=None,
                            help="where to write the report (default: "
                            "ANALYTICS_OUTPUT_DIR/report.html)")
        parser.add_argument("--png", metavar="DIR", default=None,
                            help="also write each plot as DIR/<plot>.png")

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        from crawler.dataset import DatasetError, consolidate
        from crawler.report.page import write_plots, write_report

        if args:
            raise UsageError("scrapy report takes no arguments", print_help=True)
        assert self.settings is not None
        check_settings_or_exit(self.settings)
        output_dir = output_dir_with_runs(self.settings)
        report_path = Path(opts.output) if opts.output else None
        for option, given, problem in (
            ("--output", opts.output, report_path and ("it is a directory" if report_path.is_dir()
                                                       else unwritable_reason(report_path.parent))),
            ("--png", opts.png, opts.png and unwritable_reason(Path(opts.png))),
        ):
            if problem:
                raise UsageError(f"{option}: given {given!r}; expected a path this user can "
                                 f"write ({problem})", print_help=False)
        try:
            print(consolidate(output_dir).describe())
        except DatasetError as error:
            print(f"scrapy report: {error}", file=sys.stderr)
            self.exitcode = ExitCode.FAILED
            return
        min_records = self.settings.getint("ANALYTICS_MONITOR_COVERAGE_MIN_RECORDS")
        path = write_report(output_dir, min_records, report_path)
        print(f"Report written: {path.resolve()} (open it in a browser: "
              f"file://{path.resolve()})")
        if opts.png:
            for plot in write_plots(output_dir, min_records, Path(opts.png)):
                print(f"Plot written: {plot.resolve()}")
