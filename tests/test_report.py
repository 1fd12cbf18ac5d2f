"""``scrapy report``: one offline HTML file whose plots show the dataset and the runs.

Checked by parsing the file (four figures with inline SVG, a series per language and per
reject reason, numbers that match the dataset, nothing loaded from the network) and, where
the machine has Chromium, by rendering it headless and looking at the pixels.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from html.parser import HTMLParser
from typing import Any

import pytest
from PIL import Image

from crawler.report import EXTERNAL_REFERENCE
from tests.crawl import ROOT, run_crawl
from tests.replica.handle import ReplicaHandle

FIGURES = ("articles-per-month", "views-distribution", "runs-over-time", "rejects-by-reason")


class Page(HTMLParser):
    """What the report contains: figures with their SVGs and ids, external references."""

    def __init__(self) -> None:
        super().__init__()
        self.figure: str | None = None
        self.svgs: dict[str, int] = Counter()
        self.ids: dict[str, set[str]] = {}
        self.paths: dict[str, int] = Counter()
        self.external: list[str] = []
        self.scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "figure":
            self.figure = values.get("id")
            self.ids[str(self.figure)] = set()
        if tag == "script":
            self.scripts += 1
        for name in ("src", "href"):
            link = values.get(name) or ""
            if tag != "a" and re.match(r"\s*(https?:)?//", link):
                self.external.append(f"<{tag} {name}={link}>")
        if self.figure is None:
            return
        if tag == "svg":
            self.svgs[self.figure] += 1
        if tag == "path":
            self.paths[self.figure] += 1
        if values.get("id"):
            self.ids[self.figure].add(str(values["id"]))

    def handle_endtag(self, tag: str) -> None:
        if tag == "figure":
            self.figure = None


@pytest.fixture(scope="module")
def reported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Two runs of a replica with broken articles (rejects), then ``scrapy report``."""
    output = tmp_path_factory.mktemp("report")
    with ReplicaHandle(articles=24, seed=3, faults="broken:0.15", log=False) as site:
        broken = site.broken_urls()
        run_crawl(site.base_url, output, "mode=full")
        site.raise_views(500)
        time.sleep(1.1)
        run_crawl(site.base_url, output, "mode=full")
    completed = subprocess.run(
        [sys.executable, "-m", "scrapy", "report", "-s", f"ANALYTICS_OUTPUT_DIR={output}"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert completed.returncode == 0, completed.stderr[-3000:]
    report = output / "report.html"
    page = Page()
    page.feed(report.read_text("utf-8"))
    rows = [json.loads(line) for line in
            (output / "dataset" / "articles.jsonl").read_text("utf-8").splitlines()]
    return {"output": output, "report": report, "page": page, "rows": rows, "broken": broken,
            "stdout": completed.stdout}


@pytest.mark.e2e
def test_report_has_the_four_plots_with_their_series(reported):
    page: Page = reported["page"]
    assert list(page.ids) == list(FIGURES)
    for figure in FIGURES:
        assert page.svgs[figure] == 1 and page.paths[figure] > 20, figure
    langs = {row["lang"] for row in reported["rows"]}
    assert langs == {"en", "ru", "hy"}
    assert {f"lang-{lang}" for lang in langs} <= page.ids["articles-per-month"]
    with_views = {row["lang"] for row in reported["rows"] if row["views"] is not None}
    assert {f"views-{lang}" for lang in with_views} <= page.ids["views-distribution"]
    assert "runs-records" in page.ids["runs-over-time"]
    assert {"coverage-views", "coverage-author"} <= page.ids["runs-over-time"]
    rejects = Counter(json.loads(line)["reason"]
                      for path in (reported["output"] / "rejects").glob("*.jsonl")
                      for line in path.read_text().splitlines())
    assert rejects and sum(rejects.values()) == 2 * len(reported["broken"])
    assert {f"reason-{reason}" for reason in rejects} <= page.ids["rejects-by-reason"]


@pytest.mark.e2e
def test_report_numbers_match_the_dataset_and_it_needs_no_network(reported):
    text = reported["report"].read_text("utf-8")
    rows = reported["rows"]
    assert f"{len(rows)} articles of the dataset by month" in text
    with_views = sum(row["views"] is not None for row in rows)
    assert f"{with_views} articles with a views counter" in text
    assert f"{len(rows) - with_views} without one are not drawn" in text
    assert "2 runs: records written by each" in text
    page: Page = reported["page"]
    assert page.external == [] and page.scripts == 0
    assert not EXTERNAL_REFERENCE.search(text)
    assert "file://" in reported["stdout"]


def chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        if found := shutil.which(name):
            return found
    return None


@pytest.mark.e2e
@pytest.mark.skipif(chromium() is None, reason="no Chromium on this machine (parsed instead)")
def test_report_renders_in_headless_chromium(reported, tmp_path):
    """Chromium, offline, draws the page: the figures' area has coloured pixels of each plot."""
    shot = tmp_path / "report.png"
    command = [str(chromium()), "--headless", "--no-sandbox", "--disable-gpu",
               "--hide-scrollbars", "--window-size=1100,3200", "--proxy-server=127.0.0.1:9",
               f"--screenshot={shot}", reported["report"].resolve().as_uri()]
    subprocess.run(command, capture_output=True, timeout=60, check=False, cwd=tmp_path)
    assert shot.exists(), "Chromium wrote no screenshot"
    image = Image.open(shot).convert("RGB")
    colours = {colour: count for count, colour in
               image.getcolors(maxcolors=image.width * image.height) or []}
    white = colours.get((255, 255, 255), 0)
    assert white < image.width * image.height * 0.97  # something is drawn
    # The language colours of the plots (matplotlib draws them exactly) are on screen.
    for colour in ((0x1F, 0x77, 0xB4), (0xD6, 0x27, 0x28), (0xFF, 0x7F, 0x0E)):
        assert colours.get(colour, 0) > 200, colour
