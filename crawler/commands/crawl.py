"""``scrapy crawl``, made strict: bad arguments stop it before any request, and a run whose
monitors failed exits non-zero (plain Scrapy exits 0 even when a spider fails).

A refusal is one line on the console and, where the run has a log file (a scrapyd job),
the run's verdict line there too: ``Run <run id> REFUSED (exit N): <reason>``, which
``deploy/schedule.py`` reports as the job's verdict.
"""

from __future__ import annotations

import argparse
import difflib
import sys
from datetime import datetime
from pathlib import Path

from scrapy.commands import ScrapyHelpFormatter
from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.exceptions import UsageError
from scrapy.spiderloader import get_spider_loader

from crawler import statkeys
from crawler.arguments import ARGUMENT_HELP, ArgumentError, CrawlArguments
from crawler.commands.exitcodes import ExitCode
from crawler.declarations import read_setting
from crawler.notify import notify_new_problems, problem_key
from crawler.runs.start import declare_run, loosened_politeness, validate_settings
from crawler.sitebinding import bind_site, host_of
from crawler.spiders.analytics import AnalyticsSpider
from crawler.state.identity import StateUnusable
from crawler.state.store import StateLocked
from crawler.state.tools import preflight


def refused_line(run_id: str, code: int, reason: str) -> str:
    """The verdict line of a run refused before its first request."""
    return f"Run {run_id} REFUSED (exit {code}): {reason}"


class KeepLinesFormatter(ScrapyHelpFormatter):
    """Scrapy's help layout, the description's lines kept (the spider's arguments, one a line)."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        return "".join(indent + line for line in text.splitlines(keepends=True))


class Command(ScrapyCrawlCommand):
    #: The run's base URL, from its checked arguments.
    base_url = ""

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.formatter_class = KeepLinesFormatter

    def long_desc(self) -> str:
        return (f"{super().long_desc()}\n\nArguments of the {AnalyticsSpider.name} spider "
                f"(-a NAME=VALUE):\n{ARGUMENT_HELP}")

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        """Everything a run can be refused for by its options, before Scrapy starts (and
        before Scrapy configures its logging: ``-s LOG_LEVEL=BOGUS`` is one line too)."""
        assert self.settings is not None
        polite = self.settings.copy()  # the project's settings, before the command line's
        super().process_options(args, opts)
        if len(args) != 1:
            return
        known = get_spider_loader(self.settings).list()
        if args[0] not in known:
            near = difflib.get_close_matches(args[0], known, n=1)
            raise UsageError(f"unknown spider {args[0]!r}"
                             f"{f' (did you mean {near[0]!r}?)' if near else ''}; this "
                             f"project's spiders: {', '.join(sorted(known))}", print_help=False)
        if args[0] != AnalyticsSpider.name:
            return
        declare_run(self.settings)
        try:
            validate_settings(self.settings)
            arguments = CrawlArguments.parse(opts.spargs, self.settings["ANALYTICS_BASE_URL"],
                                             self.settings.getint("ANALYTICS_REFRESH_DAYS"))
            loosened = loosened_politeness(self.settings, polite, arguments.base_url)
            if loosened is not None:
                raise loosened
        except ArgumentError as error:
            self.refuse(ExitCode.REFUSED, str(error), opts.spargs.get("base_url", ""))
            raise UsageError(str(error), print_help=False) from None
        self.base_url = arguments.base_url

    def refuse(self, code: int, reason: str, base_url: str = "") -> None:
        """Note a refusal as the run's verdict line in its log file, when it has one (a
        scrapyd job), and tell the operator when it is new (``crawler.notify``)."""
        assert self.settings is not None
        run_id = str(self.settings.get("ANALYTICS_RUN_ID"))
        line = refused_line(run_id, code, reason)
        log_file = self.settings.get("LOG_FILE")
        if log_file:
            stamp = datetime.now().strftime("%Y-%m-%d %H:%M:%S")
            with open(log_file, "a", encoding="utf-8") as log:
                log.write(f"{stamp} [crawler.commands.crawl] ERROR: {line}\n")
        try:
            notify_new_problems(
                self.settings, Path(self.settings["ANALYTICS_OUTPUT_DIR"]), run_id,
                host_of(base_url or str(self.settings["ANALYTICS_BASE_URL"])), line,
                {problem_key("refused", reason): f"refused: {reason}"},
                "none: the run was refused before its first request", refusal=True)
        except (ArgumentError, OSError) as error:  # the settings of the notice are the fault
            print(f"scrapy crawl: no notification sent: {error}", file=sys.stderr)

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1 or args[0] != AnalyticsSpider.name:
            super().run(args, opts)
            return
        assert self.settings is not None and self.crawler_process is not None
        output_dir = Path(self.settings["ANALYTICS_OUTPUT_DIR"])
        state_path = Path(self.settings["ANALYTICS_STATE_PATH"])
        try:  # refuse at once, before Scrapy starts
            preflight(state_path, output_dir, self.settings.getbool("ANALYTICS_STATE_FRESH_START"))
            bind_site([output_dir, state_path.parent], self.base_url,
                      self.settings["ANALYTICS_RUN_ID"],
                      read_setting(self.settings, "ANALYTICS_SITE_MIRRORS"))
        except (StateLocked, StateUnusable, ArgumentError) as error:
            print(f"scrapy crawl: refused: {error}", file=sys.stderr)
            self.exitcode = (ExitCode.STATE_LOCKED if isinstance(error, StateLocked)
                             else ExitCode.REFUSED)
            self.refuse(self.exitcode, str(error), self.base_url)
            return
        crawler = self._create_crawler(args[0])
        self.crawler_process.crawl(crawler, **opts.spargs)
        self.crawler_process.start()
        if self.crawler_process.bootstrap_failed:
            self.exitcode = ExitCode.FAILED
        elif crawler.stats is None or crawler.stats.get_value(statkeys.STATUS) != "ok":
            self.exitcode = ExitCode.RUN_FAILED
