"""``scrapy sitecheck``: is the site still shaped the way the crawler assumes?

Fetches one listing page (and page 2) and an article per language and reports, for every
assumption of docs/site.md, pass or fail with what it saw instead. Exit 0 only when all
pass: the command to run first against the live site, and after any failed run.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, ClassVar

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from crawler.arguments import ArgumentError, is_loopback, parse_base_url, parse_languages
from crawler.commands import check_settings_or_exit
from crawler.runconfig import user_agent
from crawler.site import LANGUAGES, SiteProfile
from crawler.sitecheck import Fetcher, SiteCheck, format_report

#: Exit code when at least one check failed.
EXIT_CHECK_FAILED = 1


def positive_int(value: str) -> int:
    """``--articles``: a whole number of at least 1 (argparse refuses anything else, exit 2)."""
    if not value.strip().isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"given {value!r}; expected a whole number, 1 or more")
    return int(value)


class Command(ScrapyCommand):
    requires_project = True
    requires_crawler_process = False
    default_settings: ClassVar[dict[str, Any]] = {"LOG_ENABLED": False}

    def syntax(self) -> str:
        return "[--base-url URL] [--lang en,ru,hy] [--articles N]"

    def short_desc(self) -> str:
        return "Check the site against every assumption of the crawler (exit 0: all pass)"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--base-url", dest="base_url", default=None,
                            help="site to check (default: ANALYTICS_BASE_URL)")
        parser.add_argument("--lang", default=",".join(LANGUAGES),
                            help="languages, comma-separated (default: all)")
        parser.add_argument("--articles", type=positive_int, default=5,
                            help="at most this many articles per language (default 5): "
                                 "more than the first only while a field has not shown up")

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.settings is not None
        if args:
            raise UsageError("sitecheck takes no positional arguments", print_help=True)
        check_settings_or_exit(self.settings)
        try:
            base_url = parse_base_url(opts.base_url or self.settings["ANALYTICS_BASE_URL"])
            languages = parse_languages(opts.lang)
        except ArgumentError as error:
            raise UsageError(str(error), print_help=False) from None
        # Polite like a crawl: the same delay, lifted only for a loopback replica.
        fast = self.settings.getbool("ANALYTICS_LOOPBACK_UNTHROTTLED") and is_loopback(base_url)
        fetcher = Fetcher(base_url, user_agent(self.settings),
                          delay=0.0 if fast else self.settings.getfloat("DOWNLOAD_DELAY"),
                          timeout=self.settings.getfloat("DOWNLOAD_TIMEOUT"))
        checks = SiteCheck(fetcher, SiteProfile.from_settings(self.settings),
                           articles=opts.articles).run(languages)
        print(format_report(base_url, checks))
        sys.stdout.flush()
        if any(check.failed for check in checks):
            self.exitcode = EXIT_CHECK_FAILED
