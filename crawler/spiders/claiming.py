"""The ``analytics`` spider's side of the canonical claims (``crawler.claims``): each page
decided whatever order the pages come in, the pages that waited for another sent on when it
comes, and the ones still waiting when the run has nothing left to fetch (``spider_idle``).
A mixin of the spider, kept apart so the spider stays about walking."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider
from scrapy.utils.defer import deferred_from_coro
from twisted.internet.defer import DeferredList

from crawler import statkeys
from crawler.arguments import CrawlArguments
from crawler.claims import CanonicalClaims, Decision
from crawler.items import RawArticle
from crawler.ledger import Ledger
from crawler.normalize import FieldError, article_url, fetched_form, normalize_article
from crawler.state.delivered import delivered_at
from crawler.state.keeper import CrawlState
from crawler.urls import UrlSet

#: Waiting pages sent through the pipelines at once when the run goes idle.
RELEASE_BATCH = 8


class ClaimingSpider:
    """Pages decided by ``CanonicalClaims`` (``AnalyticsSpider`` has these attributes)."""

    claims: CanonicalClaims
    crawler: Crawler
    ledger: Ledger
    arguments: CrawlArguments
    #: Canonical URLs of the pages fetched at them: a card of one is the same article.
    fetched_canonical: UrlSet
    url_forms_seen: dict[str, str]
    #: The waiting pages being sent on at the run's idle, a batch at a time.
    releasing: Iterator[Decision] | None = None

    def claimed(self, raw: RawArticle, learned: str | None, again: bool) -> Iterator[RawArticle]:
        """The pages ``raw``'s arrival decided: itself (unless it waits, or is an article an
        earlier run delivered, in an incremental run), then those that waited for it."""
        known = self.arguments.mode == "incremental" and not again
        earlier = known and CrawlState.of(self.crawler).store.is_known(article_url(raw))
        verdict = self.claims.claim(raw, may_wait=learned is not None,
                                    earlier=self.shows_delivered if earlier else None)
        if verdict.now is not None:
            yield from self.decided(verdict.now, known)
        for decision in verdict.released:
            yield from self.decided(decision, known=False)

    def shows_delivered(self, raw: RawArticle) -> bool:
        """Whether ``raw``, naming an article an earlier run delivered, is that article
        (``Delivered.shows``): made a record as the pipelines make it; a page that is no
        record (a ``FieldError``) is not it, and its own URL's reject says why."""
        delivered = delivered_at(CrawlState.of(self.crawler).store, article_url(raw))
        try:
            article, _ = normalize_article(raw)
        except FieldError:
            return False
        return delivered is not None and delivered.shows(article.record)

    def decided(self, decision: Decision, known: bool) -> Iterator[RawArticle]:
        """A decided page for the pipelines, its conflicts counted; none where ``known`` and
        the state knows its URL (a known article under another URL, or at its own)."""
        raw = decision.raw
        for why in decision.conflicts:
            self.crawler.stats.inc_value(statkeys.canonical_conflict(why))
        form, canonical = fetched_form(raw), article_url(raw)
        if form == canonical:
            self.fetched_canonical.add(canonical)
        else:
            self.url_forms_seen[form] = canonical
        state = CrawlState.of(self.crawler).store
        if known and state.is_known(canonical):
            state.remember_url_form(form, canonical)
            self.crawler.stats.inc_value(statkeys.KNOWN_UNDER_ANOTHER_URL)
            self.ledger.settle(form, "known")
            return
        yield raw

    def release_waiting(self) -> None:
        """``spider_idle``: no page will come for the URLs the waiting pages name, so they are
        decided and sent through the pipelines, ``RELEASE_BATCH`` at a time (the next batch at
        the next idle), so that the run's peak memory does not grow with their number; the
        engine looks for the end of the run again once a batch is through (else only at its
        next heartbeat, 5 s on)."""
        if self.releasing is None:
            self.releasing = self.claims.release()
        items: list[Any] = []
        while not items:
            batch = list(islice(self.releasing, RELEASE_BATCH))
            if not batch:
                self.releasing = None
                return
            items = [item for decision in batch for item in self.decided(decision, known=False)]
        engine = self.crawler.engine
        assert engine is not None
        through = DeferredList([deferred_from_coro(engine.scraper.start_itemproc_async(
            item, response=None)) for item in items])

        def look_again(_: object) -> None:
            if engine._slot is not None:
                engine._slot.nextcall.schedule()

        through.addBoth(look_again)
        raise DontCloseSpider
