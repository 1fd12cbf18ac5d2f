"""The ``analytics`` spider: which pages to ask for, in what order, and when to stop.

Per language it walks the section's listing pages in order and follows only the
listing's cards; each article page becomes a ``RawArticle`` for the pipelines.
``mode=incremental`` stops a walk at the first page holding an article (or an open
reject) of an earlier run and fetches only unknown articles, plus the recent ones whose
views it refreshes and the open rejects whose retry is due (``crawler.state.retries``).
Selectors and formats live in ``crawler.site`` and ``crawler.pages``, not here.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.http import Response, TextResponse
from twisted.python.failure import Failure

from crawler import statkeys
from crawler.arguments import CrawlArguments
from crawler.claims import CanonicalClaims
from crawler.doors import LEARNED_KEY, door_of, http_status
from crawler.exceptions import Rejected
from crawler.items import FetchFailure
from crawler.ledger import Ledger, crawl_ledger
from crawler.normalize import fetched_form
from crawler.pages import ArticlePage, UnreadableBatch, read_listing
from crawler.runs.instants import fetch_instant, format_utc
from crawler.runs.paths import RunPaths
from crawler.runs.start import apply_run_settings, freeze_startup_objects
from crawler.site import TIMEZONE, SiteProfile, is_article_path, language_of_path
from crawler.spiders.accounting import CardTally, LedgerSpider
from crawler.spiders.claiming import ClaimingSpider
from crawler.spiders.walking import LISTING_META, WalkSpider
from crawler.state.keeper import CrawlState
from crawler.state.refresh import RefreshPlan, RefreshSchedule, utc_day_start
from crawler.state.retries import RetrySchedule, is_permanent
from crawler.state.store import StateStore
from crawler.urls import UrlSet, allowed_domains, canonical_url, fetch_url, listing_url
from crawler.walk import BatchSeen, Ending, ListingWalk, Next

#: Articles before the next listing page: the queue stays short and memory flat.
ARTICLE_PRIORITY = 10
#: Request meta key of a refresh: the known article's canonical URL.
REFRESH = "analytics_refresh"
#: Statuses that say a refreshed article is no longer on the site.
GONE_STATUSES = frozenset({404, 410})


class AnalyticsSpider(LedgerSpider, ClaimingSpider, WalkSpider, Spider):
    """Every article of the Analytics section, in every language asked for."""

    name = "analytics"

    def __init__(self, arguments: CrawlArguments, site: SiteProfile, max_pages: int,
                 run: RunPaths, ledger: Ledger, url_length_limit: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.arguments = arguments
        self.site = site
        self.max_pages = max_pages
        self.run = run
        self.ledger = ledger
        #: ``URLLENGTH_LIMIT``: Scrapy's spider middleware would drop a longer URL silently.
        self.url_length_limit = url_length_limit
        self.allowed_domains = allowed_domains(arguments.base_url, site.extra_hosts)
        self.fetched_canonical = UrlSet()
        self.claims = CanonicalClaims()
        #: Articles (canonical URLs, the interned strings the ledger holds) of the cards seen
        #: on listing pages this run: a page of only seen cards is a loop.
        self.cards_seen = UrlSet()
        self.walks: dict[str, ListingWalk] = {}
        #: How each walk ended (``crawler.walk.ENDINGS``), for the run summary and the state.
        self.endings: dict[str, Ending] = {}
        #: Every other URL form met this run -> its canonical URL, for the run summary.
        self.url_forms_seen: dict[str, str] = {}
        self.languages_with_losses: set[str] = set()
        self.stop_at_known: dict[str, bool] = {}
        self.refresh_plan = RefreshPlan()
        #: Known articles a refresh found gone (404/410) this run, for the summary.
        self.gone: list[dict[str, Any]] = []

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> AnalyticsSpider:
        settings = crawler.settings
        arguments = CrawlArguments.parse(kwargs, settings["ANALYTICS_BASE_URL"],
                                         settings.getint("ANALYTICS_REFRESH_DAYS"))
        apply_run_settings(settings, arguments)
        spider: AnalyticsSpider = super().from_crawler(
            crawler, arguments=arguments, site=SiteProfile.from_settings(settings),
            max_pages=settings.getint("ANALYTICS_MAX_LISTING_PAGES"),
            run=RunPaths.of(settings), ledger=crawl_ledger(crawler),
            url_length_limit=settings.getint("URLLENGTH_LIMIT"),
        )
        crawler.signals.connect(spider.item_dropped, signal=signals.item_dropped)
        crawler.signals.connect(spider.request_dropped, signal=signals.request_dropped)
        crawler.signals.connect(spider.release_waiting, signal=signals.spider_idle)
        return spider

    def arguments_summary(self) -> dict[str, Any]:
        """The run's arguments, for the run summary."""
        return self.arguments.summary()

    @property
    def state(self) -> StateStore:
        """The crawl's state store (``CrawlState``: outside a run, empty and in memory)."""
        return CrawlState.of(self.crawler).store

    def source_summary(self) -> dict[str, Any]:
        """Where the run's records come from, for the run summary: the site."""
        return {"source": "site"}

    def state_summary(self, reason: str) -> dict[str, Any]:
        """What the state learnt from this run besides its records (``scrapy state --rebuild``
        reads it back): the walks started and completed and how each ended (a walk without
        an ending is ended here as ``unfinished``), the other URL forms met."""
        for lang, walk in self.walks.items():
            if lang not in self.endings:
                self.walk_ended(lang, walk.unfinished(reason))
        return {"walks": {"started": list(self.walks),
                          "completed": self.completed_walks(reason),
                          "ended": {lang: ending.summary()
                                    for lang, ending in self.endings.items()}},
                "url_forms": dict(sorted(self.url_forms_seen.items())),
                "refresh": {**self.refresh_plan.summary(),
                            "done": int(self.crawler.stats.get_value(statkeys.REFRESH_ANSWERED,
                                                                     0)) + len(self.gone),
                            "edited": int(self.crawler.stats.get_value(
                                statkeys.ARTICLES_CHANGED, 0)),
                            "gone": self.gone}}

    async def start(self) -> AsyncIterator[Request | FetchFailure]:
        freeze_startup_objects()
        incremental = self.arguments.mode == "incremental"
        for lang in self.arguments.languages:
            self.stop_at_known[lang] = incremental and self.state.walk_completed(lang)
            if incremental and not self.stop_at_known[lang]:
                self.logger.info("Walking the whole %s listing: its last walk did not complete",
                                 lang)
            self.state.start_walk(lang, self.run.run_id)
            walk = self.walks[lang] = ListingWalk(lang, self.site, self.arguments.base_url,
                                                  self.max_pages)
            for listing in self.ask_listing(lang, walk.first()):
                yield listing
        if incremental:
            for request in self.refresh_requests():
                yield request
            for request in self.reject_retries():
                yield request

    def refresh_requests(self) -> Iterator[Request | FetchFailure]:
        """Known articles due for a refresh (``crawler.state.refresh``: the last ``refresh_days``
        days, the ages of ``ANALYTICS_REFRESH_AGES``, the ones found gone), within the day's
        bound, fetched again for their views, edits and removal."""
        now = datetime.now(UTC)
        today = now.astimezone(ZoneInfo(TIMEZONE)).date()
        window = today - timedelta(days=self.arguments.refresh_days) \
            if self.arguments.refresh_days else today + timedelta(days=1)  # 0: no window
        window_start = datetime.combine(window, datetime.min.time(), ZoneInfo(TIMEZONE))
        candidates = [known for known in self.state.refresh_candidates(self.arguments.languages)
                      if self.arguments.in_range(known.published.date())]
        done_today = self.state.refreshes_since(format_utc(utc_day_start(now)))
        self.refresh_plan = RefreshSchedule.from_settings(self.settings).plan(
            candidates, now, window_start, done_today)
        for known in self.refresh_plan.chosen:
            url = fetch_url(known.url, known.url, self.arguments.base_url)
            if url:
                self.crawler.stats.inc_value(statkeys.REFRESH_REQUESTS)
                for asked in self.ask_article(url, known.lang, "refresh", again=True):
                    if isinstance(asked, Request):
                        asked.meta[REFRESH] = known.url
                    yield asked

    def reject_retries(self) -> Iterator[Request | FetchFailure]:
        """Open rejects whose retry is due, asked for directly (the listing skips them)."""
        self.state.reschedule_rejects(RetrySchedule.from_settings(self.settings))
        now = format_utc()
        for reject in self.state.open_rejects(self.arguments.languages, due_by=now):
            url = fetch_url(reject.url, reject.url, self.arguments.base_url)
            if url:
                self.crawler.stats.inc_value(statkeys.REJECT_RETRIES)
                self.logger.info("Retrying the open reject %s (%s since %s, attempt %d)",
                                 reject.url, reject.reason, reject.first_seen,
                                 reject.attempts + 1)
                yield from self.ask_article(url, reject.lang, "retry", again=True)

    def ask_listing(self, lang: str, step: Next) -> Iterator[Request]:
        """The request for a listing batch; none, loudly, for a URL too long to ask."""
        if self.listing_too_long(lang, step.url):
            return
        self.crawler.stats.inc_value(statkeys.listing_requests(step.how))
        options = step.ask.request_options() if step.ask else {}
        yield Request(step.url, callback=self.parse_listing, errback=self.listing_failed,
                      cb_kwargs={"lang": lang}, meta=dict(LISTING_META), **options)

    def ask_article(self, url: str, lang: str, source: str, again: bool = False
                    ) -> Iterator[Request | FetchFailure]:
        """The request for an article page learned from ``source``, once per run; a URL no
        request may carry (over ``URLLENGTH_LIMIT``) is a reject. ``again``: asked for on
        purpose (a refresh, a due retry), delivered even where the state knows it.
        ``dont_filter``: the ledger asks once; the filter would drop a redirect loop unseen."""
        learned = canonical_url(url, url, self.arguments.base_url)
        if not self.ledger.learn(learned, lang, source) and not (
                again and self.ledger.reask(learned, source)):
            self.crawler.stats.inc_value(statkeys.cards_skipped("fetched_this_run"))
            return
        if self.url_length_limit and len(url) > self.url_length_limit:
            yield self.unfetched(learned, learned, "url_too_long",
                                 f"{len(url)} characters (URLLENGTH_LIMIT={self.url_length_limit})")
            return
        yield Request(url, callback=self.parse_article, errback=self.article_failed,
                      priority=ARTICLE_PRIORITY, cb_kwargs={"lang": lang, "again": again},
                      meta={LEARNED_KEY: learned}, dont_filter=True)

    def parse(self, response: Response, **kwargs: Any) -> Iterator[Any]:
        """``scrapy parse URL`` without ``-c``: an article page or a listing batch, by path."""
        if is_article_path(urlsplit(response.url).path):
            return self.parse_article(response)
        return self.parse_listing(response)

    def parse_listing(self, response: Response, lang: str = ""
                      ) -> Iterator[Request | FetchFailure]:
        """Follows the batch's cards in range, then the next batch unless the walk is over.

        Without ``lang`` (``scrapy parse -c parse_listing URL``) the URL's language is taken
        and the batch read as page 1 of a walk of it."""
        assert isinstance(response, TextResponse)
        lang = lang or language_of_path(urlsplit(response.url).path)
        if lang not in self.walks:
            self.walks[lang] = ListingWalk(lang, self.site, self.arguments.base_url,
                                           self.max_pages)
            self.walks[lang].first()
        walk = self.walks[lang]
        try:
            batch = read_listing(response, self.site, self.arguments.base_url, walk.number,
                                 listing_url(self.arguments.base_url,
                                             self.site.section_paths[lang]))
        except UnreadableBatch as error:
            self.walk_ended(lang, walk.unreadable(str(error)))
            return
        self.crawler.stats.inc_value(statkeys.listing_pages(lang))
        if (layer := batch.cards_layer()) is not None:
            for key in (statkeys.provenance("cards", layer), statkeys.provenance("cards", layer,
                                                                                 lang)):
                self.crawler.stats.inc_value(key)
        tally = CardTally()
        for card in batch.cards:
            try:
                yield from self.follow_card(card.href, card.date_text, response.url, lang, tally)
            except Exception as error:  # a bug about one card: it costs that card only
                yield from self.card_failed(card.href, response.url, lang, error)
        seen = BatchSeen(len(batch.cards), tally.new_cards, batch.next_link, batch.says_last,
                         tally.reached_older,
                         tally.reached_known and self.stop_at_known.get(lang, False),
                         batch.cursor, article_cards=tally.article_cards, control=batch.control,
                         described=batch.described)
        step = walk.after(seen)
        if isinstance(step, Next):
            yield from self.ask_listing(lang, step)
        else:
            self.walk_ended(lang, step)

    def follow_card(self, href: str, date_text: str | None, page_url: str, lang: str,
                    tally: CardTally) -> Iterator[Request | FetchFailure]:
        """The request for one card of a batch, or the rule it is excluded by (``tally``
        counts what the batch showed the walk)."""
        base_url = self.arguments.base_url
        url = fetch_url(href, page_url, base_url)
        if url is None:
            yield from self.card_not_followed(href, page_url, lang)
            return
        canonical = canonical_url(url, url, base_url)
        if not is_article_path(urlsplit(url).path):
            self.exclude(canonical, lang, "not_an_article")
            return
        tally.article_cards += 1
        tally.new_cards += canonical not in self.cards_seen
        self.cards_seen.add(canonical)
        verdict = self.arguments.card_verdict(date_text)
        tally.reached_older = tally.reached_older or verdict == "older"
        if verdict != "fetch":
            self.exclude(canonical, lang, "since" if verdict == "older" else "until")
        elif self.ledger.is_learned(canonical):
            self.crawler.stats.inc_value(statkeys.cards_skipped("fetched_this_run"))
        elif canonical in self.fetched_canonical:  # another URL of a page fetched
            self.exclude(canonical, lang, "same_article")
        elif self.arguments.mode != "full" and (earlier := self.seen_before(canonical)):
            tally.reached_known = True  # an earlier walk passed here, reject or not
            self.exclude(canonical, lang, earlier)
        else:  # full: asked for whatever the state knows (two lookups a card spared)
            yield from self.ask_article(url, lang, "card")

    def seen_before(self, canonical: str) -> str | None:
        """'known' (delivered by an earlier run), 'open_reject' (not a record yet), or None."""
        if self.state.is_known(canonical):
            return "known"
        if self.state.is_open_reject(canonical):
            return "open_reject"
        return None

    def parse_article(self, response: Response, lang: str = "", again: bool = False
                      ) -> Iterator[Any]:
        """The page as a ``RawArticle`` (``scrapy parse -c parse_article URL`` shows it)."""
        if response.meta.get(REFRESH):
            self.crawler.stats.inc_value(statkeys.REFRESH_ANSWERED)
        learned = response.meta.get(LEARNED_KEY)
        if (unread := self.unreadable_answer(response, learned)) is not None:
            yield unread
            return
        assert isinstance(response, TextResponse)
        # The instant the answer arrived (its WARC-Date), else now (the archive is off).
        raw = ArticlePage(response, self.site).to_raw(self.arguments.base_url,
                                                      fetch_instant(response.meta))
        if learned:
            self.ledger.alias(fetched_form(raw), learned)
        yield from self.claimed(raw, learned, again)

    def article_failed(self, failure: Failure) -> Iterator[FetchFailure]:
        """An article page that failed after its retries: logged and sent to the rejects
        under the name of its door (``crawler.doors``).

        A request refused by robots.txt is no failure: excluded by that rule, and counted.
        A listed article that is not there (404, 410) is a permanent reject: a warning.
        """
        request = failure.request  # type: ignore[attr-defined]
        learned = request.meta.get(LEARNED_KEY)
        door = door_of(failure, request, self.settings.getint("REDIRECT_MAX_TIMES"))
        if door.excluded:
            self.crawler.stats.inc_value(statkeys.ARTICLES_NOT_ALLOWED)
            self.logger.info("Article not fetched: %s <%s>", failure.getErrorMessage(),
                             request.url)
            if learned:
                self.ledger.settle(learned, "excluded", door.reason)
            return
        if request.meta.get(REFRESH) and http_status(failure) in GONE_STATUSES:
            self.article_gone(request.meta[REFRESH], failure)
            if learned:
                self.ledger.settle(learned, "excluded", "gone")
            return
        yield self.unfetched(learned, request.url, door.reason, failure.getErrorMessage())

    def article_gone(self, url: str, failure: Failure) -> None:
        """A known article answered 404/410 to its refresh: no reject (it was a record), a
        removal once two refreshes in a row say so (the dataset's ``removed_at``)."""
        seen_at = format_utc(datetime.now(UTC))
        attempts = self.state.note_gone(url, seen_at)
        self.crawler.stats.inc_value(statkeys.REFRESH_GONE)
        self.gone.append({"url": url, "status": http_status(failure), "seen_at": seen_at,
                          "in_a_row": attempts})
        self.logger.warning("Known article gone from the site (HTTP %s, refresh %d in a row "
                            "that says so%s): %s", http_status(failure), attempts,
                            ": removed" if attempts >= 2 else "", url)

    def item_dropped(self, item: Any, exception: Exception) -> None:
        """A transient reject leaves its language's walk incomplete (walked again next run);
        a permanent one was seen, and is retried on its own schedule."""
        if isinstance(exception, Rejected) and not is_permanent(exception.reason):
            self.languages_with_losses.add(language_of_path(urlsplit(exception.url).path))

    def completed_walks(self, reason: str) -> list[str]:
        """Languages whose walk ended with nothing left unseen, in a run that finished."""
        if reason != "finished":
            return []
        complete = {lang for lang, ending in self.endings.items() if ending.kind.complete}
        return sorted(complete - self.languages_with_losses)

    def closed(self, reason: str) -> None:
        """Record which walks completed (so the next incremental run may stop early)."""
        self.state.close_run(self.run.run_id, format_utc(), reason,
                             self.completed_walks(reason))
