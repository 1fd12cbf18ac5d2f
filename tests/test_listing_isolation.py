"""A listing card whose handling raises costs that card only: the spider's listing callback
on a saved listing page, one card's handling made to raise (no input of the site is known to
raise now: the 1 January 0001 card that did is ``test_doors_e2e``'s, fetched as it should)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse

from crawler.items import FetchFailure
from tests.responses import SAMPLES
from tests.test_walk_dupefilter import BASE, PAGE_1, spider_outside_a_run

CARDS = [f"{BASE}/en/post/{slug}" for slug in (
    "populism-instead-of-progress", "caspian-transit-the-corridor-s-arithmetic",
    "armenia-s-renunciation-of-territorial-claims-or-struggle-for-power",
    "fake-arithmetic-of-the-revanchists", "armenian-peacemaker-show-in-france")]
RAISING = CARDS[2]


def test_a_card_whose_handling_raises_is_a_callback_error_reject_of_that_card(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    spider, _, _ = spider_outside_a_run(tmp_path, mode="full")
    asked = spider.ask_article

    def ask_or_raise(url: str, lang: str, source: str, again: bool = False
                     ) -> Iterator[Request | FetchFailure]:
        if url == RAISING:
            raise ZeroDivisionError("a bug about one card")
        return asked(url, lang, source, again)

    monkeypatch.setattr(spider, "ask_article", ask_or_raise)
    page = HtmlResponse(PAGE_1, body=(SAMPLES / "en-listing.html").read_bytes(),
                        encoding="utf-8")
    out = list(spider.parse_listing(page, lang="en"))
    requests = [item.url for item in out if isinstance(item, Request)]
    assert requests == [url for url in CARDS if url != RAISING] + [f"{PAGE_1}?page=2"]
    [failure] = [item for item in out if isinstance(item, FetchFailure)]
    learned = RAISING.replace(BASE, "https://caliber.az")
    assert (failure.url, failure.reason, failure.learned) == (learned, "callback_error", learned)
    assert "ZeroDivisionError: a bug about one card" in failure.detail
    assert f"Listing card not followed (callback_error) <{learned}> on <{PAGE_1}>" in caplog.text
    assert "en" not in spider.endings  # the walk goes on
    line = spider.ledger.summary()["en"]
    assert (line["learned"], line["learned_from"], line["unaccounted"]) == (5, {"card": 5}, 5)
    spider.ledger.settle(learned, "rejected", "callback_error")  # as the rejects pipeline does
    assert spider.ledger.summary()["en"]["rejected_by"] == {"callback_error": 1}
