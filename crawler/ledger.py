"""The run's ledger: every article URL the run learned of ends in exactly one outcome.

A URL is *learned* from a listing card, a due retry of an open reject, a views refresh or
an archive record (``scrapy reextract``), keyed by its canonical form (or by the link as
written when it cannot be parsed). Its outcome is ``delivered`` (a record), ``known`` (an
earlier run delivered it: incremental), ``rejected`` (with the reject's reason) or
``excluded`` by a named rule (``robots_txt``, ``since``, ``until``, ``another_host``,
``not_an_article``, ``same_article``, ``run_stopped``...). Outcomes arrive under the form
the page was fetched at, which a redirect may change: ``alias`` ties that form to the URL
learned. At the close, a URL without an outcome fails the run's ``accounting`` check.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any, NamedTuple
from weakref import WeakKeyDictionary

from scrapy import signals

from crawler import statkeys
from crawler.exceptions import Duplicate, Rejected
from crawler.items import Article, FetchFailure, RawArticle
from crawler.normalize import fetched_form

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

OUTCOMES = ("delivered", "known", "rejected", "excluded")
#: URLs without an outcome named in the ``accounting`` check.
UNACCOUNTED_SHOWN = 10


class Entry(NamedTuple):
    """One learned URL: its language, how it was learned, its outcome and why, and the
    outcome the page fetched under this URL got (``settled``; a later alias takes it)."""

    lang: str
    source: str
    outcome: str | None = None
    why: str | None = None
    settled: tuple[str, str | None] | None = None


class Ledger:
    """Learned URLs and their outcomes, for one run.

    Kept small, for a run learns every article of the section: a URL is one slot of a dict,
    pointing at an ``Entry`` shared by every URL in the same state (a few dozen different
    ones in a run), instead of an object, a set and a tuple per URL (about 500 bytes of an
    article's peak memory, docs/benchmarks.md). A URL answers for itself; ``aliases`` holds
    only the other URLs a fetched form answers for (a redirect).
    """

    def __init__(self) -> None:
        self.entries: dict[str, Entry] = {}
        #: Fetched form -> the other learned URLs it answers for (a redirect).
        self.aliases: dict[str, set[str]] = {}
        #: The outcome each fetched form that is no learned URL got, for a URL aliased to it
        #: later (a learned URL keeps it in its ``Entry.settled``).
        self.settled: dict[str, tuple[str, str | None]] = {}
        self._shared: dict[Entry, Entry] = {}

    def _put(self, url: str, entry: Entry) -> None:
        self.entries[url] = self._shared.setdefault(entry, entry)

    def learn(self, url: str, lang: str, source: str) -> bool:
        """Note ``url`` as learned (from ``source``); False when it was already."""
        if url in self.entries:
            return False
        self._put(url, Entry(lang, source, settled=self.settled.pop(url, None)))
        return True

    def reask(self, url: str, source: str) -> bool:
        """``url`` is asked for on purpose (a refresh, a due retry) after a card of it was
        not fetched as known or as an open reject: its outcome is open again. False when it
        was asked for already, or ended otherwise."""
        entry = self.entries[url]
        if (entry.outcome, entry.why) not in (("known", "known"), ("excluded", "open_reject")):
            return False
        self._put(url, Entry(entry.lang, source))
        return True

    def is_learned(self, url: str) -> bool:
        return url in self.entries

    def alias(self, form: str, url: str) -> None:
        """The page fetched for learned ``url`` answers under ``form`` (a redirect)."""
        if form != url:
            self.aliases.setdefault(form, set()).add(url)
        settled = self._settled(form)
        if settled is not None:
            self.settle_learned(url, *settled)

    def _settled(self, form: str) -> tuple[str, str | None] | None:
        entry = self.entries.get(form)
        return entry.settled if entry is not None else self.settled.get(form)

    def settle(self, form: str, outcome: str, why: str | None = None) -> None:
        """The page fetched under ``form`` ended in ``outcome``: so did every URL learned for it
        that has none yet (the first outcome stays)."""
        assert outcome in OUTCOMES, outcome
        entry = self.entries.get(form)
        if entry is None:
            self.settled.setdefault(form, (outcome, why))  # a reask takes it back
        else:
            if entry.settled is None:
                entry = entry._replace(settled=(outcome, why))
            if entry.outcome is None:
                entry = entry._replace(outcome=outcome, why=why)
            self._put(form, entry)
        for url in self.aliases.get(form, ()):
            self.settle_learned(url, outcome, why)

    def settle_learned(self, url: str, outcome: str, why: str | None = None) -> None:
        """Learned ``url`` ended in ``outcome`` (unless it had one already)."""
        entry = self.entries.get(url)
        if entry is not None and entry.outcome is None:
            self._put(url, entry._replace(outcome=outcome, why=why))

    def close(self, stopped: bool) -> list[str]:
        """At the close: a run that was stopped excludes what it did not reach
        (``run_stopped``); returns the URLs left without an outcome."""
        if stopped:
            for url, entry in self.entries.items():
                if entry.outcome is None:
                    self._put(url, entry._replace(outcome="excluded", why="run_stopped"))
        return [url for url, entry in self.entries.items() if entry.outcome is None]

    def summary(self) -> dict[str, Any]:
        """Per language: learned, each outcome, and the reasons and rules behind them."""
        by_lang: dict[str, dict[str, Any]] = {}
        for entry in self.entries.values():
            line = by_lang.setdefault(entry.lang, {
                "learned": 0, **dict.fromkeys(OUTCOMES, 0), "unaccounted": 0,
                "rejected_by": Counter(), "excluded_by": Counter(), "learned_from": Counter()})
            line["learned"] += 1
            line["learned_from"][entry.source] += 1
            if entry.outcome is None:
                line["unaccounted"] += 1
                continue
            line[entry.outcome] += 1
            if entry.outcome in ("rejected", "excluded"):
                line[f"{entry.outcome}_by"][entry.why or "?"] += 1
        return {lang: {key: dict(sorted(value.items())) if isinstance(value, Counter) else value
                       for key, value in line.items()}
                for lang, line in sorted(by_lang.items())}


#: The columns of ``ledger_rows``.
LEDGER_COLUMNS = ("lang", "learned", "delivered", "known", "rejected", "excluded",
                  "unaccounted", "adds up")


def ledger_rows(ledger: dict[str, Any]) -> list[list[Any]]:
    """A run summary's ``ledger`` as rows of ``LEDGER_COLUMNS`` (the report and the demo
    show it so), the reasons and rules after their counts."""
    def counted(total: int, by: dict[str, int]) -> str:
        shown = ", ".join(f"{name} {n}" for name, n in by.items())
        return f"{total} ({shown})" if by else str(total)
    return [[lang, line["learned"], line["delivered"], line["known"],
             counted(line["rejected"], line["rejected_by"]),
             counted(line["excluded"], line["excluded_by"]), line["unaccounted"],
             "yes" if adds_up(line) else "NO"]
            for lang, line in ledger.items()]


def adds_up(line: dict[str, Any]) -> bool:
    """True when a language's line of the ledger has an outcome for every URL learned."""
    return line["learned"] == sum(line[outcome] for outcome in OUTCOMES)


_LEDGERS: WeakKeyDictionary[Crawler, Ledger] = WeakKeyDictionary()


def crawl_ledger(crawler: Crawler) -> Ledger:
    """The ledger of a crawl, shared by the spider (what it learned, what it knew or
    excluded) and ``LedgerKeeper`` (what the pipelines made of each page)."""
    return _LEDGERS.setdefault(crawler, Ledger())


def close_ledger(crawler: Crawler, finish_reason: str) -> dict[str, Any]:
    """Close the crawl's ledger for its summary; the URLs without an outcome go into the
    stats for the ``accounting`` check (up to ``UNACCOUNTED_SHOWN`` by name)."""
    ledger = crawl_ledger(crawler)
    missing = ledger.close(stopped=finish_reason != "finished")
    assert crawler.stats is not None
    if missing:
        crawler.stats.set_value(statkeys.LEDGER_UNACCOUNTED, len(missing))
        crawler.stats.set_value(statkeys.LEDGER_UNACCOUNTED_URLS, missing[:UNACCOUNTED_SHOWN])
    return ledger.summary()


class LedgerKeeper:
    """Settles the ledger from what the pipelines did: a record delivered, a reject, the
    same article under another URL (a duplicate of a record of this run)."""

    def __init__(self, crawler: Crawler) -> None:
        self.ledger = crawl_ledger(crawler)
        crawler.signals.connect(self.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(self.item_dropped, signal=signals.item_dropped)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> LedgerKeeper:
        return cls(crawler)

    def item_scraped(self, item: Any) -> None:
        if isinstance(item, Article):
            self.ledger.settle(item.fetched_form or item.url, "delivered")

    def item_dropped(self, item: Any, exception: Exception) -> None:
        if isinstance(exception, Rejected):
            if isinstance(item, FetchFailure) and item.learned:
                self.ledger.settle_learned(item.learned, "rejected", exception.reason)
            for form in {exception.canonical, exception.url} - {None}:
                self.ledger.settle(str(form), "rejected", exception.reason)
        elif isinstance(exception, Duplicate):  # Scrapy passes the item the pipelines got
            form = fetched_form(item) if isinstance(item, RawArticle) else (
                item.fetched_form or item.url)
            self.ledger.settle(form, "excluded", "same_article")
