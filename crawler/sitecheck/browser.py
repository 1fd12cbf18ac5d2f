"""``scrapy sitecheck --browser``: the listing's batches found once in a real browser.

Per language, Debian's Chromium (through ``scrapy-playwright``, never a downloaded build)
opens the section's page 1 and makes it load more the way a reader does: scroll to the
end, bring the load-more element into view, click a "more" button. Every request the
page's script sends is recorded with its answer (and archived in a WARC file); the
settings that ask for batch N with plain HTTP are derived from them
(``crawler.sitecheck.discover``) and then checked without the browser, through the crawl's
own downloader (``BatchCheckSpider``), before the crawl command is printed.

The browser runs in a crawler of its own, with scrapy-playwright's download handler and
its own settings; the check after it, and every crawl, use Scrapy's plain handler: no
crawl needs a browser, nor the ``browser`` extra. Politeness in the browser: one page at
a time, robots.txt obeyed for every URL it opens, images, fonts, media and other hosts
blocked, a bound on scrolls and on time per language, and the requests counted.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.http import HtmlResponse

from crawler.archive.writer import ArchiveFile, Exchange, WarcEncoder, gzip_members
from crawler.pages import ListingPage
from crawler.runs.instants import format_instant
from crawler.runs.start import check_site
from crawler.site import SiteProfile
from crawler.sitecheck.capture import Capture, Seen, article_url
from crawler.sitecheck.guard import SCRIPT_TYPES, Guard
from crawler.urls import listing_url

PLAYWRIGHT_HANDLER = "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler"
#: How Chromium is started: no sandbox (containers), nothing of its own on the network.
CHROMIUM_FLAGS: tuple[str, ...] = (
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync",
)
INSTALL_LINE = "pip install '.[browser]'  (in a checkout: make setup)"
#: Seconds a step waits for the script's requests to be answered.
QUIET_SECONDS = 5.0
#: Steps in a row that bring no request before the page is taken to have nothing more.
STALE_STEPS = 2
#: Batches enough to derive and check the way to batch N.
ENOUGH_BATCH_REQUESTS = 3


def browser_missing() -> str | None:
    """Why the browser extra cannot be used (its import fails), or None."""
    try:
        import playwright.async_api  # noqa: F401
        import scrapy_playwright.handler  # noqa: F401
    except ImportError as error:
        return str(error)
    return None


def find_browser(name: str) -> str | None:
    """The Chromium to drive: a path as given, or a program name found on ``PATH``."""
    if "/" in name:
        return name if Path(name).is_file() else None
    return shutil.which(name)


@dataclass
class PageRecorder:
    """Every answer the page got (for the WARC file), the script's requests, and how many
    of those are still unanswered."""

    site_seen: list[Seen] = field(default_factory=list)
    archived: list[Exchange] = field(default_factory=list)
    document: bytes = b""
    in_flight: int = 0

    def on_request(self, request: Any) -> None:
        if request.resource_type in SCRIPT_TYPES:
            self.in_flight += 1

    def on_done(self, request: Any) -> None:
        if request.resource_type in SCRIPT_TYPES:
            self.in_flight = max(0, self.in_flight - 1)

    async def on_response(self, response: Any) -> None:
        request = response.request
        try:
            body = await response.body()
        except Exception:  # a redirect, or an answer the browser dropped: nothing to keep
            body = b""
        headers = await request.all_headers()
        answer_headers = await response.all_headers()
        self.archived.append(Exchange(
            url=response.url, method=request.method,
            request_headers=[(k.encode("latin-1"), v.encode("latin-1"))
                             for k, v in headers.items() if not k.startswith(":")],
            request_body=request.post_data_buffer or b"", protocol="HTTP/1.1",
            status=response.status,
            response_headers=[(k.encode("latin-1"), v.encode("latin-1"))
                              for k, v in answer_headers.items()],
            body=body, fetched_at=format_instant(datetime.now(UTC)), ip_address=None))
        if request.resource_type == "document" and not self.document:
            self.document = body
        if request.resource_type in SCRIPT_TYPES:
            self.site_seen.append(Seen(request.method, response.url, dict(headers),
                                       request.post_data or "", response.status,
                                       answer_headers.get("content-type", ""), body))
        self.on_done(request)


class BrowserDiscoverySpider(Spider):
    """Opens each language's page 1 in the browser, one page at a time, and records what
    its script asks for while it is scrolled (``captures``)."""

    name = "sitecheck-browser"
    custom_settings = {"ITEM_PIPELINES": {}, "EXTENSIONS": {}}  # noqa: RUF012 (Scrapy's)

    def __init__(self, base_url: str, languages: tuple[str, ...], guard: Guard,
                 executable: str, profile: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.base_url = base_url
        self.languages = languages
        self.guard = guard
        self.site = SiteProfile()
        self.captures: dict[str, Capture | str] = {}
        self.archived: list[Exchange] = []
        self.seconds = 0.0
        self.context_kwargs: dict[str, Any] = {}
        self.executable, self.profile = executable, profile

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> BrowserDiscoverySpider:
        settings = crawler.settings
        site = check_site(settings, kwargs["base_url"])
        spider: BrowserDiscoverySpider = super().from_crawler(crawler, *args, **kwargs)
        spider.site = site
        spider.guard.user_agent = settings["USER_AGENT"]
        # Set here, not copied with the settings: the guard counts for this spider.
        settings.set("PLAYWRIGHT_ABORT_REQUEST", spider.guard.should_abort, priority="cmdline")
        spider.context_kwargs = context_kwargs(settings, spider.executable, spider.profile)
        return spider

    async def start(self) -> AsyncIterator[Request]:
        """Explores the languages in turn here; yields no request of its own."""
        started = time.monotonic()
        for lang in self.languages:
            try:
                self.captures[lang] = await self.explore(lang)
            except Exception as error:  # the browser failed: said, not hidden
                self.logger.exception("The browser failed on %s", lang)
                blocked = "; ".join(self.guard.blocked[-3:])
                self.captures[lang] = (f"the browser failed: {type(error).__name__}: {error}"
                                       + (f" (blocked: {blocked})" if blocked else ""))
        self.seconds = time.monotonic() - started
        return
        yield

    async def explore(self, lang: str) -> Capture | str:
        """Page 1 of ``lang`` in the browser, scrolled until it brings nothing more."""
        assert self.crawler.engine is not None
        url = listing_url(self.base_url, self.site.section_paths[lang])
        recorder = PageRecorder()
        blocked_before = len(self.guard.blocked)
        request = Request(url, dont_filter=True, meta={
            "playwright": True, "playwright_include_page": True,
            "playwright_context": "discovery",
            "playwright_context_kwargs": self.context_kwargs,
            "playwright_page_event_handlers": {
                "request": recorder.on_request, "requestfailed": recorder.on_done,
                "response": recorder.on_response},
        })
        try:
            response = await self.crawler.engine.download_async(request)
        except Exception:
            opened = request.meta.get("playwright_page")
            if opened is not None:  # one page at a time: the next language needs it closed
                await opened.close()
            raise
        page = response.meta["playwright_page"]
        try:
            actions = await self.drive(page, recorder)
            content = await page.content()
        finally:
            await page.close()
        self.archived += recorder.archived
        if response.status != 200:
            return f"page 1 ({url}) answered HTTP {response.status} in the browser"
        first = HtmlResponse(url, body=recorder.document or response.body, encoding="utf-8")
        shown = HtmlResponse(url, body=content.encode("utf-8"), encoding="utf-8")
        first_cards = tuple(dict.fromkeys(
            found for card in ListingPage(first, self.site).cards()
            if (found := article_url(card.href, url, self.base_url))))
        dom_cards = tuple(
            (found, card.title, card.date_text) for card in ListingPage(shown, self.site).cards()
            if (found := article_url(card.href, url, self.base_url)))
        return Capture(lang, url, first_cards, dom_cards, tuple(recorder.site_seen),
                       tuple(actions), tuple(self.guard.blocked[blocked_before:]))

    async def drive(self, page: Any, recorder: PageRecorder) -> list[str]:
        """Scroll, bring the load-more element into view, click a "more" button; stop at
        the bounds, when the page has nothing more, or with batches enough."""
        settings = self.crawler.settings
        deadline = time.monotonic() + settings.getfloat("ANALYTICS_BROWSER_SECONDS")
        pause = settings.getfloat("DOWNLOAD_DELAY")
        actions: list[str] = []
        stale = 0
        for step in range(1, settings.getint("ANALYTICS_BROWSER_MAX_SCROLLS") + 1):
            if time.monotonic() > deadline:
                actions.append("stopped at ANALYTICS_BROWSER_SECONDS")
                break
            before = len(recorder.site_seen)
            await page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
            done = [f"scroll {step} to the end"]
            more = page.locator(self.site.selectors["load_more"]).first
            if await more.count():
                done += await self.bring_more(more)
            await self.quiet(page, recorder)
            answered = len(recorder.site_seen) - before
            actions.append(", ".join(done) + f": {answered} request(s) of the script")
            stale = 0 if answered else stale + 1
            if stale >= STALE_STEPS or len(recorder.site_seen) >= ENOUGH_BATCH_REQUESTS:
                break
            if before and not await more.count():
                actions.append("the load-more element is gone: the listing ended")
                break
            await asyncio.sleep(pause)
        return actions

    async def bring_more(self, more: Any) -> list[str]:
        """The load-more element into view, and clicked when it is a button (or a link that
        leads nowhere): what was done."""
        done = []
        try:
            await more.scroll_into_view_if_needed(timeout=2000)
            done.append("load-more element in view")
            if await more.evaluate("e => e.tagName === 'BUTTON' || (e.tagName === 'A' && "
                                   "!/^https?:/.test(e.href))"):
                await more.click(timeout=2000)
                done.append("clicked")
        except Exception as error:  # hidden, gone meanwhile, covered: said, and scrolling goes on
            done.append(f"load-more element not usable ({type(error).__name__})")
        return done

    async def quiet(self, page: Any, recorder: PageRecorder) -> None:
        """Wait until the script's requests are answered (at most ``QUIET_SECONDS``)."""
        await page.wait_for_timeout(300)
        until = time.monotonic() + QUIET_SECONDS
        while recorder.in_flight and time.monotonic() < until:
            await page.wait_for_timeout(100)


def write_warc(path: Path, exchanges: list[Exchange], base_url: str, level: int) -> Path:
    """The browser's requests and answers, in one WARC file (the archive's writer)."""
    encoder = WarcEncoder()
    records = encoder.warcinfo(path.name, path.name.split("-browser")[0],
                               {"base_url": base_url, "source": "sitecheck --browser"})
    for exchange in exchanges:
        records += encoder.exchange(exchange)
    archive = ArchiveFile(path)
    try:
        archive.write(gzip_members(records, level))
    finally:
        archive.close()
    return path


def browser_settings(executable: str) -> dict[str, Any]:
    """The discovery crawler's own settings: scrapy-playwright's handler, one page at a
    time; robots.txt is the guard's (``PLAYWRIGHT_ABORT_REQUEST``, set by the spider): it
    sees every URL the browser opens, page 1 included."""
    launch = {"executable_path": executable, "args": list(CHROMIUM_FLAGS), "headless": True}
    return {
        "DOWNLOAD_HANDLERS": {"http": PLAYWRIGHT_HANDLER, "https": PLAYWRIGHT_HANDLER},
        "PLAYWRIGHT_BROWSER_TYPE": "chromium",
        "PLAYWRIGHT_LAUNCH_OPTIONS": launch,
        "PLAYWRIGHT_MAX_CONTEXTS": 1,
        "PLAYWRIGHT_MAX_PAGES_PER_CONTEXT": 1,
        "CONCURRENT_REQUESTS": 1,
        "ROBOTSTXT_OBEY": False,
    }


def context_kwargs(settings: Any, executable: str, user_data_dir: str) -> dict[str, Any]:
    """The browser's one context: a fresh profile (``user_data_dir``, so the context is
    persistent and launched with these options), the crawler's User-Agent, no service
    worker (its requests would pass the guard by)."""
    return {"executable_path": executable, "args": list(CHROMIUM_FLAGS), "headless": True,
            "user_data_dir": user_data_dir, "user_agent": settings["USER_AGENT"],
            "service_workers": "block"}


def fresh_profile() -> tempfile.TemporaryDirectory[str]:
    """A new, empty Chromium profile for one check."""
    return tempfile.TemporaryDirectory(prefix="sitecheck-browser-")
