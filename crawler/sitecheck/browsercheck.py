"""The run of ``scrapy sitecheck --browser``: discovery in the browser, then the check
without it, then the report whose last line is the crawl command (or ``FAIL``).

Two crawlers in one process, one after the other: the browser's (scrapy-playwright's
download handler, ``crawler.sitecheck.browser.browser_settings``), then the plain one with
the project's settings and the derived ones, as a crawl would have them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.settings import Settings

from crawler.arguments import ArgumentError
from crawler.batches import batch_ask
from crawler.commands.exitcodes import ExitCode
from crawler.declarations import BY_NAME, DECLARED
from crawler.pages import read_batch
from crawler.pages.listing import UnreadableBatch
from crawler.runs.instants import new_run_id
from crawler.runs.start import validate_settings
from crawler.site import SiteProfile
from crawler.sitecheck.browser import (
    BrowserDiscoverySpider,
    browser_settings,
    find_browser,
    fresh_profile,
    write_warc,
)
from crawler.sitecheck.capture import article_url
from crawler.sitecheck.discover import Failure, Recipe, derive, merge
from crawler.sitecheck.findings import setting_option
from crawler.sitecheck.guard import Guard
from crawler.sitecheck.spider import SiteCheckSpider
from crawler.urls import listing_url


def crawl_command(found: dict[str, Any]) -> str:
    """``scrapy crawl analytics -s NAME=VALUE ...``: the derived settings that differ from
    their defaults, in the declaration's order, each quoted for a POSIX shell."""
    options = [setting_option(setting.name, found[setting.name]) for setting in DECLARED
               if setting.name in found
               and BY_NAME[setting.name].kind.read(found[setting.name]) != setting.default]
    return " ".join(["scrapy crawl analytics", *options])


@dataclass
class BrowserCheck:
    """One ``scrapy sitecheck --browser``: what each step found, for the report."""

    base_url: str
    languages: tuple[str, ...]
    settings: Settings
    lines: list[str] = field(default_factory=list)
    recipe: Recipe | Failure | None = None
    verdicts: dict[str, str | None] = field(default_factory=dict)
    discovery: BrowserDiscoverySpider | None = None
    checked_requests: int = 0
    warc: Path | None = None

    def discovered(self, spider: BrowserDiscoverySpider) -> Recipe | Failure:
        """The settings of every language, from what the browser saw."""
        self.discovery = spider
        site = SiteProfile.from_settings(self.settings)
        recipes: dict[str, Recipe] = {}
        for lang in self.languages:
            capture = spider.captures.get(lang, "the browser did not get to it")
            if isinstance(capture, str):
                return Failure(f"{lang}: {capture}")
            found = derive(capture, site, self.base_url)
            if isinstance(found, Failure):
                return Failure(f"{lang}: {found.why}")
            recipes[lang] = found
            batches = found.batches[lang]
            self.lines.append(
                f"{lang}  found  {len(batches)} requests of the script brought cards page 1 "
                f"does not show: " + "; ".join(
                    f"{batch.request.method} {batch.request.url} "
                    f"({'JSON' if batch.data is not None else 'HTML'}, {len(batch.new)} new)"
                    for batch in batches))
        return merge(recipes)

    def checked(self, verifier: Crawler) -> None:
        """What the check without the browser found, and the requests it cost."""
        if isinstance(verifier.spider, BatchCheckSpider) and verifier.stats is not None:
            self.verdicts = verifier.spider.verdicts
            self.checked_requests = int(verifier.stats.get_value("downloader/request_count", 0))

    def report(self) -> tuple[str, int]:
        """The text to print (its last line the crawl command or ``FAIL: ...``), the exit code."""
        lines = [f"Browser check of {self.base_url} ({', '.join(self.languages)})", *self.lines]
        recipe = self.recipe
        if isinstance(recipe, Recipe):
            lines += [f"  {setting_option(name, value)}" for name, value in recipe.settings.items()]
            lines += [f"note: {note}" for note in recipe.notes]
            for lang, why in self.verdicts.items():
                lines.append(f"{lang}  {'PASS' if why is None else 'FAIL'}   plain HTTP: "
                             + (why or "batches 2 and 3 asked through the crawl's downloader "
                                "with these settings bring the cards the browser saw"))
        spider = self.discovery
        if spider is not None:
            guard = spider.guard
            lines.append(f"Requests the site received: {guard.sent + guard.robots_requests} "
                         f"during discovery ({guard.sent} by the browser, "
                         f"{guard.robots_requests} robots.txt; {guard.blocked_count} blocked: "
                         "other hosts, images, fonts, media, robots.txt) "
                         f"in {spider.seconds:.1f} s; "
                         f"{self.checked_requests} for the check without the browser")
        if self.warc is not None:
            lines.append(f"The browser's requests and answers: {self.warc}")
        failure = self.failure()
        if failure:
            lines.append(f"FAIL: {failure}")
            return "\n".join(lines), ExitCode.FAILED
        assert isinstance(recipe, Recipe)
        lines.append(crawl_command(recipe.settings))
        return "\n".join(lines), ExitCode.OK

    def failure(self) -> str | None:
        if self.recipe is None:
            return "the browser did not run (see the log)"
        if isinstance(self.recipe, Failure):
            return self.recipe.why
        bad = {lang: why for lang, why in self.verdicts.items() if why}
        if bad or set(self.verdicts) != set(self.languages):
            return "; ".join(f"{lang}: {why}" for lang, why in bad.items()) or (
                "the check without the browser did not finish (see the log)")
        return None


class BatchCheckSpider(SiteCheckSpider):
    """Asks for batches 2 and 3 of each language with plain HTTP, through the crawl's own
    downloader and the derived settings, and compares them with what the browser saw."""

    name = "sitecheck-batches"

    def __init__(self, base_url: str, languages: tuple[str, ...], articles: int = 1,
                 expected: dict[str, list[tuple[str, ...]]] | None = None,
                 **kwargs: Any) -> None:
        super().__init__(base_url, languages, articles, **kwargs)
        self.expected = expected or {}
        self.verdicts: dict[str, str | None] = {}  # lang -> None (the same cards) or why not

    async def check_site(self) -> None:
        for lang, batches in self.expected.items():
            self.verdicts[lang] = await self.check_batches(lang, batches)

    async def check_batches(self, lang: str, batches: list[tuple[str, ...]]) -> str | None:
        """None when each batch brings the cards the browser saw; else what differed."""
        section_path = self.site.section_paths[lang]
        cursor = ""
        for number, wanted in enumerate(batches[:2], start=2):
            ask = batch_ask(self.site, self.base_url, section_path, lang, number, cursor)
            if ask is None:
                return f"batch {number}: ANALYTICS_PAGE_URL leads off the site"
            answer = await self.fetch(Request(ask.url, **ask.request_options()))
            if isinstance(answer, str):
                return f"batch {number} ({ask.method} {ask.url}): {answer}"
            page = listing_url(self.base_url, section_path)
            batch = read_batch(answer, self.site, page)
            try:
                got = tuple(found for card in batch.cards()
                            if (found := article_url(card.href, page, self.base_url)))
            except UnreadableBatch as error:
                return f"batch {number} ({ask.method} {ask.url}) {error}"
            if got != wanted:
                return (f"batch {number} ({ask.method} {ask.url}) brought {len(got)} cards, "
                        f"not the {len(wanted)} the browser saw")
            cursor = batch.cursor() or ""
        return None


def _then(started: Any, callback: Callable[[], None]) -> None:
    """Run ``callback`` once a crawl started by the process has finished (a Task or a
    Deferred, by the kind of crawler process Scrapy chose)."""
    if hasattr(started, "add_done_callback"):
        started.add_done_callback(lambda _task: callback())
    else:
        started.addBoth(lambda _result: callback())


def run_browser_check(process: Any, settings: Settings, base_url: str,
                      languages: tuple[str, ...]) -> tuple[str, int]:
    """Discovery, then the check without the browser; the report and the exit code."""
    check = BrowserCheck(base_url, languages, settings)
    executable = find_browser(settings["ANALYTICS_BROWSER_EXECUTABLE"])
    if executable is None:
        return (f"FAIL: no browser {settings['ANALYTICS_BROWSER_EXECUTABLE']!r} "
                "(ANALYTICS_BROWSER_EXECUTABLE; on Debian: apt-get install chromium)",
                ExitCode.FAILED)
    site = SiteProfile.from_settings(settings)
    guard = Guard(base_url, "", site.extra_hosts)
    profile = fresh_profile()
    discovery_settings = settings.copy()
    discovery_settings.setdict(browser_settings(executable), priority="cmdline")
    discovery = Crawler(BrowserDiscoverySpider, discovery_settings)

    def after_discovery() -> None:
        spider = discovery.spider
        if not isinstance(spider, BrowserDiscoverySpider):
            return
        output = Path(settings["ANALYTICS_OUTPUT_DIR"]) / "sitecheck"
        check.warc = write_warc(output / f"{new_run_id()}-browser.warc.gz", spider.archived,
                                base_url, settings.getint("ANALYTICS_ARCHIVE_GZIP_LEVEL"))
        check.recipe = check.discovered(spider)
        if isinstance(check.recipe, Failure):
            return
        plain = settings.copy()
        plain.setdict(check.recipe.settings, priority="cmdline")
        try:
            validate_settings(plain)
        except ArgumentError as error:
            check.recipe = Failure(f"the derived settings are refused: {error}")
            return
        verifier = Crawler(BatchCheckSpider, plain)
        expected = {lang: [batch.urls for batch in batches]
                    for lang, batches in check.recipe.batches.items()}
        started = process.crawl(verifier, base_url=base_url, languages=languages,
                                expected=expected)
        _then(started, lambda: check.checked(verifier))

    with profile as user_data_dir:
        started = process.crawl(discovery, base_url=base_url, languages=languages,
                                guard=guard, executable=executable, profile=user_data_dir)
        _then(started, after_discovery)
        process.start()
    return check.report()

