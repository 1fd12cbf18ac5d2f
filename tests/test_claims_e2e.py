"""End to end: which page's record a URL names does not depend on the order the pages come in
(``crawler.claims``): the page fetched at a URL owns it, an impostor naming it keeps its own,
and another name of the same article is one record with it."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from tests.crawl import FRONTIER, PAST_LAST, read_lines, run_crawl
from tests.hostile import HostileSite, article_page, listing_page

pytestmark = pytest.mark.e2e
LISTING = "/en/category/analytics"
OWNER = "https://caliber.az/en/post/real"


class Ordered:
    """``real`` (its own canonical URL), ``impostor`` (other content, naming ``real``) and
    ``alias`` (``real``'s page under another URL): the ``late`` pages are answered only once
    the others were."""

    def __init__(self, real_first: bool) -> None:
        self.late = {"real"} if not real_first else {"impostor", "alias"}
        self.early_left = 3 - len(self.late)
        self.lock = threading.Lock()
        self.early_done = threading.Event()

    def route(self, path: str) -> tuple[int, dict[str, str], bytes]:
        if path.startswith(LISTING):
            cards = ["/en/post/real", "/en/post/impostor", "/en/post/alias"]
            return 200, {}, listing_page(cards if "page=" not in path else [])
        slug = path.rsplit("/", 1)[-1]
        if slug in self.late:
            assert self.early_done.wait(timeout=30)
            time.sleep(0.2)  # the early answers reach the crawler first
        page = {"real": article_page("real"), "alias": article_page("real"),
                "impostor": article_page("impostor", canonical=OWNER)}[slug]
        if slug not in self.late:
            with self.lock:
                self.early_left -= 1
                if self.early_left == 0:
                    self.early_done.set()
        return 200, {}, page


@pytest.mark.parametrize("real_first", [True, False], ids=["owner_first", "impostor_first"])
def test_the_owner_keeps_its_url_in_either_order(tmp_path: Path, real_first: bool) -> None:
    site = Ordered(real_first)
    with HostileSite(site.route) as server:
        result = run_crawl(server.base_url, tmp_path, "lang=en", "mode=full", endings=PAST_LAST)
    assert result.returncode == 0, result.log[-3000:]
    assert {record["url"]: record["title"] for record in result.records} == {
        OWNER: "Story real", "https://caliber.az/en/post/impostor": "Story impostor"}
    assert result.rejects == []
    summary = result.summary
    assert summary["canonical_conflicts"] == {"claimed": 1}
    ledger = summary["ledger"]["en"]
    assert (ledger["learned"], ledger["delivered"], ledger["excluded_by"]) == (
        3, 2, {"same_article": 1})


def test_an_incremental_run_takes_a_page_naming_a_known_article_only_if_it_is_it(
        tmp_path: Path) -> None:
    """Day 1 delivers ``real`` and ``other``. Day 2 lists two new URLs naming ``real``: an
    impostor (a new article, its own title) is delivered under its own URL (``claimed``),
    and ``real``'s page under another URL, edited since (a paragraph corrected), is ``real``
    (known): the same title and date as the state's delivery."""
    day = {"cards": ["/en/post/real", "/en/post/other"]}
    edited = article_page("real").replace(b"faster than most forecasts expected",
                                          b"faster than any forecast expected")
    pages = {"real": article_page("real"), "other": article_page("other"), "alias": edited,
             "impostor": article_page("impostor", canonical=OWNER)}

    def route(path: str) -> tuple[int, dict[str, str], bytes]:
        if path.startswith(LISTING):
            return 200, {}, listing_page(day["cards"] if "page=" not in path else [])
        return 200, {}, pages[path.rsplit("/", 1)[-1]]

    with HostileSite(route) as server:
        first = run_crawl(server.base_url, tmp_path, "lang=en", "mode=full", endings=PAST_LAST)
        assert first.returncode == 0, first.log[-3000:]
        day["cards"] = ["/en/post/impostor", "/en/post/alias", *day["cards"]]
        asked_before = len(server.requested)
        second = run_crawl(server.base_url, tmp_path, "lang=en", "refresh_days=0",
                           endings=FRONTIER)
        asked = server.requested[asked_before:]
    assert second.returncode == 0, second.log[-3000:]
    assert sorted(path for path in asked if "/post/" in path) == [
        "/en/post/alias", "/en/post/impostor"]  # real's page is not fetched on day 2
    summary = second.summary
    assert summary["status"] == "ok" and summary["url_forms"] == {
        "https://caliber.az/en/post/alias": OWNER}  # the alias: known, another URL of real
    day2 = read_lines(tmp_path / "articles", f"{summary['run_id']}.jsonl")
    assert [(record["url"], record["title"]) for record in day2] == [
        ("https://caliber.az/en/post/impostor", "Story impostor")]
    assert summary["canonical_conflicts"] == {"claimed": 1}
    ledger = summary["ledger"]["en"]
    assert (ledger["learned"], ledger["delivered"], ledger["known"], ledger["rejected"],
            ledger["excluded"]) == (4, 1, 3, 0, 0)
