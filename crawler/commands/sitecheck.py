"""``scrapy sitecheck``: is the site still shaped the way the crawler assumes?

Per language it reads the home page's menu, the section's page 1, its next batch and a few
articles through the crawl's own downloader (``crawler.sitecheck.spider``), and prints a
verdict per assumption and the settings the site needs. Exit 0 unless a check failed:
the command to run first against the live site, and after any failed run.

``--browser``: the listing's batches found in a real browser, checked without it, and the
crawl command that follows them as the last line (``crawler.sitecheck.browsercheck``).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, ClassVar

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError
from scrapy.settings import SETTINGS_PRIORITIES

from crawler.arguments import ArgumentError, parse_base_url, parse_languages
from crawler.commands import check_settings_or_exit
from crawler.commands.exitcodes import ExitCode
from crawler.runs.start import loosened_politeness
from crawler.site import LANGUAGES
from crawler.sitecheck.browser import INSTALL_LINE, browser_missing
from crawler.sitecheck.findings import format_report
from crawler.sitecheck.spider import SiteCheckSpider


def positive_int(value: str) -> int:
    """``--articles``: a whole number of at least 1 (argparse refuses anything else, exit 2)."""
    if not value.strip().isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"given {value!r}; expected a whole number, 1 or more")
    return int(value)


class Command(ScrapyCommand):
    requires_project = True
    default_settings: ClassVar[dict[str, Any]] = {}

    def syntax(self) -> str:
        return "[--base-url URL] [--lang en,ru,hy] [--articles N] [--browser]"

    def short_desc(self) -> str:
        return "Check the site against every assumption of the crawler (exit 0: nothing failed)"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--base-url", dest="base_url", default=None,
                            help="site to check (default: ANALYTICS_BASE_URL)")
        parser.add_argument("--lang", default=",".join(LANGUAGES),
                            help="languages, comma-separated (default: all)")
        parser.add_argument("--articles", type=positive_int, default=5,
                            help="at most this many articles per language (default 5): "
                                 "more than the first only while a field has not shown up")
        parser.add_argument("--browser", action="store_true",
                            help="find how the listing's script loads its later batches, in "
                                 "Chromium (the browser extra), check them with plain HTTP "
                                 "and print the crawl command as the last line")

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.settings is not None
        self.polite = self.settings.copy()  # the project's settings, before the command line's
        super().process_options(args, opts)
        check_settings_or_exit(self.settings)  # before Scrapy starts: LOG_LEVEL=BOGUS too
        # The report is the output: the log (stderr) shows only warnings, unless asked.
        if (self.settings.getpriority("LOG_LEVEL") or 0) <= SETTINGS_PRIORITIES["project"]:
            self.settings.set("LOG_LEVEL", "WARNING", priority="project")

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.settings is not None and self.crawler_process is not None
        if args:
            raise UsageError("sitecheck takes no positional arguments", print_help=True)
        try:
            base_url = parse_base_url(opts.base_url or self.settings["ANALYTICS_BASE_URL"])
            languages = parse_languages(opts.lang)
            loosened = loosened_politeness(self.settings, self.polite, base_url)
            if loosened is not None:
                raise loosened
        except ArgumentError as error:
            raise UsageError(str(error), print_help=False) from None
        if opts.browser:
            self.run_browser(base_url, languages)
            return
        crawler = self.crawler_process.create_crawler(SiteCheckSpider)
        self.crawler_process.crawl(crawler, base_url=base_url, languages=languages,
                                   articles=opts.articles)
        self.crawler_process.start()
        spider = crawler.spider
        if not isinstance(spider, SiteCheckSpider) or crawler.stats is None:
            print("scrapy sitecheck: the check did not start (see the log)", file=sys.stderr)
            self.exitcode = ExitCode.FAILED
            return
        findings = spider.findings
        findings.requests = int(crawler.stats.get_value("downloader/request_count", 0))
        findings.retries = int(crawler.stats.get_value("retry/count", 0))
        print(format_report(base_url, findings))
        sys.stdout.flush()
        if findings.failed or findings.aborted:
            self.exitcode = ExitCode.FAILED

    def run_browser(self, base_url: str, languages: tuple[str, ...]) -> None:
        """``--browser``: exit 2 with the install line when the extra is missing."""
        assert self.settings is not None
        missing = browser_missing()
        if missing is not None:
            print(f"scrapy sitecheck --browser needs the browser extra ({missing}): "
                  f"{INSTALL_LINE}", file=sys.stderr)
            self.exitcode = ExitCode.REFUSED
            return
        from crawler.sitecheck.browsercheck import run_browser_check

        report, self.exitcode = run_browser_check(self.crawler_process, self.settings,
                                                  base_url, languages)
        print(report)
        sys.stdout.flush()
