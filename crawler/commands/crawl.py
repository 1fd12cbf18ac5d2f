"""``scrapy crawl``, made strict: bad arguments stop it before any request, and a run whose
monitors failed exits non-zero (plain Scrapy exits 0 even when a spider fails)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.exceptions import UsageError

from crawler import statkeys
from crawler.arguments import ArgumentError, CrawlArguments
from crawler.commands import check_settings_or_exit
from crawler.commands.exitcodes import ExitCode
from crawler.runs.start import declare_run
from crawler.spiders.analytics import AnalyticsSpider
from crawler.state.identity import StateUnusable
from crawler.state.store import StateLocked
from crawler.state.tools import preflight


class Command(ScrapyCrawlCommand):
    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1 or args[0] != AnalyticsSpider.name:
            super().run(args, opts)
            return
        assert self.settings is not None and self.crawler_process is not None
        declare_run(self.settings)
        check_settings_or_exit(self.settings)
        try:
            CrawlArguments.parse(opts.spargs, self.settings["ANALYTICS_BASE_URL"],
                                 self.settings.getint("ANALYTICS_REFRESH_DAYS"))
        except ArgumentError as error:
            raise UsageError(str(error), print_help=False) from None
        try:  # refuse at once, before Scrapy starts
            preflight(Path(self.settings["ANALYTICS_STATE_PATH"]),
                      Path(self.settings["ANALYTICS_OUTPUT_DIR"]),
                      self.settings.getbool("ANALYTICS_STATE_FRESH_START"))
        except (StateLocked, StateUnusable) as error:
            print(f"scrapy crawl: refused: {error}", file=sys.stderr)
            self.exitcode = (ExitCode.STATE_LOCKED if isinstance(error, StateLocked)
                             else ExitCode.REFUSED)
            return
        crawler = self._create_crawler(args[0])
        self.crawler_process.crawl(crawler, **opts.spargs)
        self.crawler_process.start()
        if self.crawler_process.bootstrap_failed:
            self.exitcode = ExitCode.FAILED
        elif crawler.stats is None or crawler.stats.get_value(statkeys.STATUS) != "ok":
            self.exitcode = ExitCode.RUN_FAILED
