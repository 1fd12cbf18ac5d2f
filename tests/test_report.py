"""``scrapy report``: one offline HTML file whose plots read well at any scale.

Checked by reading the file as a reader's browser gets it: the figures' SVG (series ids,
the texts matplotlib writes beside each text's outlines, marker positions), the tables,
and a headless Chromium screenshot. Data: the three shapes of ``tests.report_samples``
(12 years in one run, 7 crawls minutes apart and a re-extraction, one run) and two real crawls
of the replica.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from crawler.report.page import EXTERNAL_REFERENCE
from crawler.report.plots import COLOURS, OTHER_COLOUR
from tests.crawl import PAST_LAST, run_crawl
from tests.replica.handle import ReplicaHandle
from tests.report_samples import SAMPLES, report

FIGURES = ("articles-per-period", "views-distribution", "runs-over-time", "rejects-by-reason",
           "views-over-time", "edits-removals")
#: The figures drawn when no article was edited or removed (the last is a line of text).
WITHOUT_EDITS = FIGURES[:-1]
SVG = "{http://www.w3.org/2000/svg}"
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
MIN_RECORDS = 20  # the project's ANALYTICS_MONITOR_COVERAGE_MIN_RECORDS


class Page(HTMLParser):
    """What the report contains: per figure its SVG markup, ids, texts and visible words;
    table cells; external references."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.figure: str | None = None
        self.svgs: dict[str, str] = {}
        self.ids: dict[str, set[str]] = {}
        self.texts: dict[str, list[str]] = {}  # matplotlib's text, one comment per text
        self.words: dict[str, str] = defaultdict(str)  # HTML text of a figure (captions)
        self.cells: list[str] = []
        self.external: list[str] = []
        self.scripts = 0
        self.feed(text)
        for figure in self.ids:
            start = text.index(f'<figure id="{figure}"')
            end = text.index("</figure>", start)
            if "<svg" in text[start:end]:
                self.svgs[figure] = text[text.index("<svg", start):
                                         text.index("</svg>", start) + len("</svg>")]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "figure":
            self.figure = str(values.get("id"))
            self.ids[self.figure], self.texts[self.figure] = set(), []
        if tag == "script":
            self.scripts += 1
        for name in ("src", "href"):
            link = values.get(name) or ""
            if tag != "a" and re.match(r"\s*(https?:)?//", link):
                self.external.append(f"<{tag} {name}={link}>")
        if self.figure is not None and values.get("id"):
            self.ids[self.figure].add(str(values["id"]))

    def handle_endtag(self, tag: str) -> None:
        if tag == "figure":
            self.figure = None

    def handle_comment(self, data: str) -> None:
        if self.figure is not None:
            self.texts[self.figure].append(data.strip())

    def handle_data(self, data: str) -> None:
        if self.figure is not None:
            self.words[self.figure] += data
        self.cells.append(data.strip())

    def svg(self, figure: str) -> ET.Element:
        return ET.fromstring(self.svgs[figure])


def group(root: ET.Element, gid: str) -> ET.Element:
    found = root.find(f".//{SVG}g[@id='{gid}']")
    assert found is not None, gid
    return found


def markers(element: ET.Element) -> list[tuple[float, float]]:
    """Positions of the markers drawn in a series' group (``<use>`` of a marker path)."""
    return [(float(use.get("x", "nan")), float(use.get("y", "nan")))
            for use in element.iter(f"{SVG}use") if use.get("x") is not None]


def bars(page: Page, lang: str) -> list[str]:
    """Period keys of the bars drawn for ``lang`` in the articles plot."""
    return sorted(name.removeprefix(f"lang-{lang}-") for name in page.ids["articles-per-period"]
                  if name.startswith(f"lang-{lang}-"))


# --- the three shapes of data ----------------------------------------------------------------
@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """Each sample data set written as a crawl writes it, then ``scrapy report`` on it."""
    built = {}
    for name, build in SAMPLES.items():
        output = tmp_path_factory.mktemp(name)
        build(output)
        completed = report(output, *(("--png", str(output / "plots")) if name == "minutes"
                                     else ()))
        assert completed.returncode == 0, completed.stderr[-3000:]
        html_text = (output / "report.html").read_text("utf-8")
        summaries = [json.loads(path.read_text("utf-8"))
                     for path in sorted((output / "runs").glob("*.json"))]
        built[name] = {"output": output, "html": html_text, "page": Page(html_text),
                       "runs": [run for run in summaries if run.get("source") != "archive"],
                       "reextractions": [run for run in summaries
                                         if run.get("source") == "archive"],
                       "stdout": completed.stdout}
    return built


def test_sparse_months_are_counted_by_year_in_bars_grouped_by_language(samples):
    page: Page = samples["decade"]["page"]
    texts = page.texts["articles-per-period"]
    assert "Articles per year by language" in texts
    assert "year of publication (Baku time)" in texts
    years = [str(year) for year in range(2015, 2027)]
    assert [text for text in texts if re.fullmatch(r"\d{4}", text)] == years  # every tick
    for lang in ("en", "ru", "hy"):
        assert bars(page, lang) == years  # one bar per year and language, none missing
    assert not any(re.fullmatch(r"lang-\w+", name) for name in page.ids["articles-per-period"])
    assert "Articles per year by language." in page.words["articles-per-period"]


def test_months_that_are_not_sparse_stay_months(samples):
    for name, months in (("minutes", range(3, 12)), ("single", range(8, 12))):
        page: Page = samples[name]["page"]
        assert "Articles per month by language" in page.texts["articles-per-period"], name
        keys = [f"2026-{month:02d}" for month in months]
        for lang in ("en", "ru", "hy"):
            assert bars(page, lang) == keys, name


def test_runs_minutes_apart_have_clock_time_ticks_a_dated_label_and_no_offset(samples):
    texts = samples["minutes"]["page"].texts["runs-over-time"]
    assert "crawl start, 28 Nov 2026 (UTC)" in texts
    ticks = [text for text in texts if re.fullmatch(r"\d\d:\d\d", text)]
    # (The re-extraction, at 09:40, does not stretch the axis: it is drawn at its crawl.)
    assert ticks == ["07:05", "07:10", "07:15", "07:20", "07:25", "07:30"]
    # No ConciseDateFormatter offset ("2026-Nov-28"), no scientific offset, no seconds.
    assert not any(re.search(r"\d{4}-\w{3}-\d|e[+-]?\d|^\+|\d\d:\d\d:\d\d", text)
                   for text in texts), texts


def test_each_run_is_one_point_and_no_line_joins_runs(samples):
    page: Page = samples["minutes"]["page"]
    root = page.svg("runs-over-time")
    runs = samples["minutes"]["runs"]
    top = group(root, "axes_1")
    for run in runs:
        assert len(markers(group(top, f"records-{run['run_id']}"))) == 1
    stems = group(top, "records-stems").findall(f"{SVG}path")
    assert len(stems) == len(runs)
    for stem in stems:  # each stem goes straight up from zero at its run's time
        xs = {float(x) for x in re.findall(r"[ML] ([\d.]+) ", stem.get("d", ""))}
        assert len(xs) == 1, stem.get("d")
    # Every other line in the plot area is a tick mark or the legend's key (no line_s_).
    for line in top.iter(f"{SVG}g"):
        if re.fullmatch(r"line2d_\d+", line.get("id", "")):
            drawn = [path for path in line.findall(f"{SVG}path")]  # paths outside <defs>
            assert drawn == [], ET.tostring(line)[:200]


def test_coverage_points_only_for_runs_with_the_monitors_minimum(samples):
    page: Page = samples["minutes"]["page"]
    root = page.svg("runs-over-time")
    runs = samples["minutes"]["runs"]
    x_of = {run["run_id"]: markers(group(root, f"records-{run['run_id']}"))[0][0]
            for run in runs}
    judged = {x_of[run["run_id"]] for run in runs if run["records"]["total"] >= MIN_RECORDS}
    assert len(judged) == 3 < len(runs)  # 40, 25 and 30 records; 2, 1, 0 and 3 are not
    for field in ("subtitle", "category", "views", "author", "image"):
        drawn = markers(group(root, f"coverage-{field}"))
        assert {x for x, _ in drawn} == judged, field
    assert "Field coverage of the crawls with 20 records or more" in page.texts["runs-over-time"]
    words = page.words["runs-over-time"]
    assert "at least 20 records" in words and "the 4 smaller crawls are hollow" in words
    # Hollow markers for the small runs, filled for the judged ones.
    fills = {run["run_id"]: group(root, f"records-{run['run_id']}").find(f".//{SVG}use")
             for run in runs}
    for run in runs:
        style = fills[run["run_id"]].get("style", "")  # type: ignore[union-attr]
        assert ("fill: #ffffff" in style) == (run["records"]["total"] < MIN_RECORDS), style


def test_the_minimum_is_the_monitors_setting(samples, tmp_path):
    """Lowered with ``-s ANALYTICS_MONITOR_COVERAGE_MIN_RECORDS=2``, runs of 2 and 3 records
    get their coverage drawn as well (the 1- and 0-record runs still do not)."""
    output = samples["minutes"]["output"]
    destination = tmp_path / "low.html"
    completed = report(output, "-o", str(destination),
                       "-s", "ANALYTICS_MONITOR_COVERAGE_MIN_RECORDS=2")
    assert completed.returncode == 0, completed.stderr[-3000:]
    page = Page(destination.read_text("utf-8"))
    assert len(markers(group(page.svg("runs-over-time"), "coverage-views"))) == 5
    assert "Field coverage of the crawls with 2 records or more" in page.texts["runs-over-time"]


def test_a_reextraction_is_drawn_apart_from_the_crawls_and_not_counted_as_one(samples):
    """The re-extraction of the 25-record crawl (run two hours later, 23 records, 2 rejects):
    a marker of its own at that crawl's time, no stem, no coverage point, its own table row;
    the header counts it apart, and the rejects it wrote again are not counted twice."""
    sample = samples["minutes"]
    (redo,) = sample["reextractions"]
    crawl = next(run for run in sample["runs"] if run["run_id"] == redo["archive_run"])
    root = sample["page"].svg("runs-over-time")
    top = group(root, "axes_1")
    ((crawl_x, crawl_y),) = markers(group(top, f"records-{crawl['run_id']}"))
    ((redo_x, redo_y),) = markers(group(top, f"reextraction-{redo['run_id']}"))
    assert redo_x == crawl_x and redo_y > crawl_y  # 23 records drawn below the crawl's 25
    shape = {gid: group(top, gid).find(f".//{SVG}use").get(XLINK_HREF)  # type: ignore[union-attr]
             for gid in (f"records-{crawl['run_id']}", f"reextraction-{redo['run_id']}")}
    assert len(set(shape.values())) == 2  # a marker path of its own, not a crawl's circle
    assert len(group(top, "records-stems").findall(f"{SVG}path")) == len(sample["runs"]) == 7
    for field in ("subtitle", "views"):  # the three judged crawls; at 07:15 the crawl only
        assert len(markers(group(root, f"coverage-{field}"))) == 3
    assert "re-extraction, drawn at" in sample["page"].texts["runs-over-time"]
    html_text = sample["html"]
    assert "<td>crawls</td><td>7</td>" in html_text
    assert f"<td>re-extractions</td><td>1, of crawl {crawl['run_id']}</td>" in html_text
    assert ("<td>run files consolidated</td><td>7: 6 of crawls, 1 of re-extractions</td>"
            in html_text)  # the failed crawl wrote no records
    assert f"<tr><td>{redo['run_id']} (re-extraction of {crawl['run_id']})</td><td>ok</td>" \
        "<td>\u2013</td><td>23</td><td>100%</td>" in html_text
    words = sample["page"].words["runs-over-time"]
    assert "7 crawls: records written by each" in words and "1 re-extraction (" in words
    # Rejects of the crawls alone: 0+1+2+0+1+2+0, not the re-extraction's 2 on top.
    assert "6 articles that could not become records" in sample["page"].words["rejects-by-reason"]
    # The dataset card counts the same run files and names the same re-extraction.
    card = (sample["output"] / "dataset" / "README.md").read_text("utf-8")
    assert f"| run files consolidated | 7 ({sample['runs'][0]['run_id']} to {redo['run_id']}) |" \
        in card
    assert re.search(rf"\| {redo['run_id']} \| [^|]+ \| {crawl['run_id']} \| 23 \|", card)
    for name in ("decade", "single"):
        assert "<td>re-extractions</td><td>0</td>" in samples[name]["html"]
        assert "re-extraction" not in " ".join(samples[name]["page"].texts["runs-over-time"])


def legend_clear_of_axes(root: ET.Element) -> list[tuple[float, float]]:
    """(right edge of the axes, leftmost point of its legend) for each axes with a legend."""
    pairs = []
    for axes in root.iter(f"{SVG}g"):
        if not re.fullmatch(r"axes_\d+", axes.get("id", "")):
            continue
        background = axes.find(f"{SVG}g/{SVG}path")
        assert background is not None
        right = max(float(x) for x in re.findall(r"[ML] ([\d.]+) ", background.get("d", "")))
        for legend in axes.findall(f"{SVG}g"):
            if not legend.get("id", "").startswith("legend_"):
                continue
            xs = [x for x, _ in markers(legend)] + [
                float(match) for element in legend.iter()
                for match in re.findall(r"translate\(([\d.]+) ", element.get("transform", ""))
                if element.get("transform", "").startswith("translate(")
                and element.tag == f"{SVG}g"]
            pairs.append((right, min(xs)))
    return pairs


def test_legends_are_beside_the_plot_never_on_the_data(samples):
    page: Page = samples["minutes"]["page"]
    checked = 0
    for figure in ("articles-per-period", "views-distribution", "runs-over-time"):
        for right, leftmost in legend_clear_of_axes(page.svg(figure)):
            assert leftmost > right, (figure, right, leftmost)
            checked += 1
    assert checked == 4  # articles, views, records and coverage each have one


def test_tables_show_percentages_and_a_dash(samples):
    html_text = samples["minutes"]["html"]
    cells = samples["minutes"]["page"].cells
    assert "None" not in cells and not any(re.fullmatch(r"0\.\d+", cell) for cell in cells)
    for run in samples["minutes"]["runs"]:
        coverage = run["field_coverage"]
        row = re.search(rf"<tr><td>{run['run_id']}</td>(.*?)</tr>", html_text)
        assert row is not None
        values = re.findall(r"<td>(.*?)</td>", row.group(1))[3:]
        if run["records"]["total"] == 0:
            assert values == ["\u2013"] * 5
        else:
            expected = [f"{coverage[name] * 100:.1f}".removesuffix(".0") + "%"
                        for name in ("subtitle", "category", "views", "author", "image")]
            assert values == expected
    assert "<td>0%</td>" in html_text and re.search(r"<td>\d{1,2}\.\d%</td>", html_text)


def test_no_rejects_is_one_line_of_text_not_an_empty_plot(samples):
    for name in ("decade", "single"):
        page: Page = samples[name]["page"]
        assert "rejects-by-reason" not in page.svgs
        assert page.words["rejects-by-reason"].strip() == \
            "Rejects by reason. No rejects in any crawl (1 crawl)."
    page = samples["minutes"]["page"]
    assert {"reason-missing_title", "reason-missing_body"} <= page.ids["rejects-by-reason"]


def test_one_run_is_a_number_in_the_header_and_a_plot_scaled_to_it(samples):
    for name, records in (("decade", 120), ("single", 40)):
        sample = samples[name]
        assert re.search(rf"<td>latest crawl</td><td>28 Nov 2026 07:15 UTC, ok: {records} "
                         r"records, 0 rejects</td>", sample["html"]), name
        texts = sample["page"].texts["runs-over-time"]
        assert "crawl start, 28 Nov 2026 (UTC)" in texts
        ticks = [text for text in texts if re.fullmatch(r"\d\d:\d\d", text)]
        assert ticks and all("06:45" <= tick <= "07:45" for tick in ticks), ticks
        assert not any(re.fullmatch(r"\d{4}", text) for text in texts)  # no years of axis


def test_png_option_writes_each_drawn_plot(samples):
    plots = samples["minutes"]["output"] / "plots"
    assert sorted(path.name for path in plots.iterdir()) == sorted(f"{f}.png"
                                                                   for f in WITHOUT_EDITS)
    for path in plots.iterdir():
        image = Image.open(path).convert("RGB")
        assert image.width > 600 and len(image.getcolors(maxcolors=1 << 20) or []) > 20
        assert f"Plot written: {path}" in samples["minutes"]["stdout"]


# --- a real browser --------------------------------------------------------------------------
def chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        if found := shutil.which(name):
            return found
    return None


def screenshot(report_html: Path, directory: Path) -> dict[Any, int]:
    """Chromium, offline, draws the page: a screenshot that is not blank; its colours. In CI
    (``CI`` set) a missing Chromium fails the test; elsewhere it skips."""
    browser = chromium()
    if browser is None:
        if os.environ.get("CI"):
            pytest.fail("CI has no Chromium: .ci/run installs Debian's chromium package")
        pytest.skip("no Chromium on this machine (CI installs it; apt-get install chromium)")
    shot = directory / "report.png"
    command = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
               "--no-first-run", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--hide-scrollbars",
               f"--user-data-dir={directory / 'profile'}", "--proxy-server=127.0.0.1:9",
               "--window-size=1100,4200", f"--screenshot={shot}", report_html.resolve().as_uri()]
    completed = subprocess.run(command, capture_output=True, text=True, timeout=120,
                               check=False, cwd=directory)
    assert shot.exists(), f"Chromium wrote no screenshot: {completed.stderr[-2000:]}"
    image = Image.open(shot).convert("RGB")
    assert image.size == (1100, 4200)
    colours = {colour: count for count, colour in
               image.getcolors(maxcolors=image.width * image.height) or []}
    assert len(colours) > 100  # text, bars and markers, not a blank or one-colour page
    assert colours.get((255, 255, 255), 0) < image.width * image.height * 0.97
    return colours


def rgb(colour: str) -> tuple[int, int, int]:
    return (int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16))


def test_report_renders_in_headless_chromium(samples, tmp_path):
    colours = screenshot(samples["minutes"]["output"] / "report.html", tmp_path)
    # The language colours of the plots (matplotlib draws them exactly) are on screen.
    for lang in ("en", "ru", "hy"):
        assert colours.get(rgb(COLOURS[f"lang-{lang}"]), 0) > 200, lang


def test_the_plots_over_time_render_in_headless_chromium(samples, tmp_path):
    """The history sample: views over time, edits and removals, a failed zero-record crawl."""
    colours = screenshot(samples["history"]["output"] / "report.html", tmp_path)
    for meaning in ("edits", "removals", "lang-en", "lang-ru"):
        assert colours.get(rgb(COLOURS[meaning]), 0) > 200, meaning
    assert colours.get(rgb(COLOURS["failed"]), 0) > 20  # the cross of the failed crawl


def test_one_meaning_per_colour() -> None:
    assert len(set(COLOURS.values())) == len(COLOURS)
    assert OTHER_COLOUR not in COLOURS.values()


def test_the_history_sample_shows_views_over_time_edits_removals_and_why_a_crawl_failed(
        samples):
    sample = samples["history"]
    page: Page = sample["page"]
    assert list(page.svgs) == list(FIGURES[:3]) + list(FIGURES[4:])  # no rejects
    series = {name for name in page.ids["views-over-time"]
              if name.startswith("views-over-time-")}
    assert len(series) == 5
    for name in series:  # one line through the four days' readings: 3 markers each
        assert len(markers(group(page.svg("views-over-time"), name))) == 3
    assert {"edits-2026-10", "removals-2026-10"} <= page.ids["edits-removals"]
    assert "1 edits (revisions.parquet) and 1 articles removed" in page.words["edits-removals"]
    failed = next(run for run in sample["runs"] if run["status"] == "failed")
    html_text = sample["html"]
    assert (f"<tr><td>{failed['run_id']}</td><td>0</td><td>finished_normally</td>"
            "<td>sample failure</td></tr>") in html_text
    assert f"records-{failed['run_id']}" in page.ids["runs-over-time"]
    assert "1 crawl with no records, a cross on the zero line" in page.words["runs-over-time"]
    assert "no records (a cross" in " ".join(page.texts["runs-over-time"])


# --- two real crawls of the replica ----------------------------------------------------------
@pytest.fixture(scope="module")
def reported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Two runs of a replica with broken articles (rejects), then ``scrapy report``."""
    output = tmp_path_factory.mktemp("report")
    with ReplicaHandle(articles=24, seed=3, faults="broken:0.15", log=False) as site:
        broken = site.broken_urls()
        run_crawl(site.base_url, output, "mode=full", endings=PAST_LAST)
        site.raise_views(500)
        time.sleep(1.1)
        run_crawl(site.base_url, output, "mode=full", endings=PAST_LAST)
    completed = report(output)
    assert completed.returncode == 0, completed.stderr[-3000:]
    path = output / "report.html"
    rows = [json.loads(line) for line in
            (output / "dataset" / "articles.jsonl").read_text("utf-8").splitlines()]
    return {"output": output, "report": path, "page": Page(path.read_text("utf-8")),
            "rows": rows, "broken": broken, "stdout": completed.stdout}


@pytest.mark.e2e
def test_report_has_the_four_plots_with_their_series(reported):
    page: Page = reported["page"]
    assert list(page.ids) == list(FIGURES)
    assert list(page.svgs) == list(WITHOUT_EDITS)
    rows = reported["rows"]
    langs = {row["lang"] for row in rows}
    assert langs == {"en", "ru", "hy"}
    for lang in langs:
        assert bars(page, lang)
    with_views = {row["lang"] for row in rows if row["views"] is not None}
    for lang in with_views:
        assert any(name.startswith(f"views-{lang}-") for name in page.ids["views-distribution"])
    assert sum(name.startswith("records-20") for name in page.ids["runs-over-time"]) == 2
    assert {"coverage-views", "coverage-author"} <= page.ids["runs-over-time"]
    rejects = Counter(json.loads(line)["reason"]
                      for path in (reported["output"] / "rejects").glob("*.jsonl")
                      for line in path.read_text().splitlines())
    assert rejects and sum(rejects.values()) == 2 * len(reported["broken"])
    assert {f"reason-{reason}" for reason in rejects} <= page.ids["rejects-by-reason"]


@pytest.mark.e2e
def test_report_numbers_match_the_dataset_and_it_needs_no_network(reported):
    text = Path(reported["report"]).read_text("utf-8")
    rows = reported["rows"]
    assert f"{len(rows)} articles of the dataset by " in text
    with_views = sum(row["views"] is not None for row in rows)
    assert f"{with_views} articles with a views counter" in text
    assert f"{len(rows) - with_views} without one are not drawn" in text
    assert "2 crawls: records written by each" in text
    page: Page = reported["page"]
    assert page.external == [] and page.scripts == 0
    assert not EXTERNAL_REFERENCE.search(text)
    assert "file://" in reported["stdout"]


@pytest.mark.e2e
def test_report_lists_the_open_rejects(reported):
    """The broken pages, still broken on the last run: URL, reason and since when."""
    text = reported["report"].read_text("utf-8")
    section = text[text.index('<section id="open-rejects">'):]
    rows = re.findall(r"<tr><td>([^<]+)</td><td>([^<]+)</td><td>([^<]+)</td>", section)
    assert sorted(url for url, _, _ in rows) == sorted(reported["broken"])
    assert {reason for _, reason, _ in rows} == {"missing_title"}
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", since) for _, _, since in rows)
