"""A static HTML report of the dataset and the runs: ``scrapy report``.

One file that opens in any browser with no network: the plots are matplotlib figures
inlined as SVG (text drawn as paths, so no font is fetched; no script at all), each with a
caption and a small table of the numbers behind it. What it shows:

1. articles per month, by language (from the dataset's ``date``);
2. the distribution of the latest views (log-spaced bins, by language);
3. records per run and field coverage per run, over time (from ``runs/*.json``);
4. rejects by reason (from ``rejects/*.jsonl``, which exist even for a run that crashed).

The dataset is read column by column in batches (``lang``, ``date``, ``views``) and the run
files line by line, so memory depends on the number of months and runs, not of articles.
Every drawn series carries an SVG id (``lang-en``, ``reason-missing_title``...) so tests
and readers can find it.
"""

from __future__ import annotations

import html
import io
import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import matplotlib
import pyarrow.parquet as pq
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from crawler.dataset import DatasetPaths, read_manifest, schema_version
from crawler.items import OPTIONAL_FIELDS
from crawler.runfiles import RUN_ID_PATTERN

#: Languages in a fixed order with a fixed colour each (the same in every plot).
LANG_COLOURS = {"en": "#1f77b4", "ru": "#d62728", "hy": "#ff7f0e"}
OTHER_COLOUR = "#7f7f7f"
#: Where ``scrapy report`` writes by default, under ANALYTICS_OUTPUT_DIR.
REPORT_NAME = "report.html"

matplotlib.rcParams.update({
    "svg.fonttype": "path",  # text as outlines: the SVG needs no font from anywhere
    "svg.hashsalt": "caliber-report",  # stable element ids: same data, same file
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
})


def run_time(run_id: str) -> datetime:
    """The start of a run, from its id (``20261128T071500.123Z``)."""
    return datetime.strptime(run_id, "%Y%m%dT%H%M%S.%fZ").replace(tzinfo=UTC)


@dataclass
class ReportData:
    """Everything the report plots, aggregated (small: months, runs, reasons)."""

    per_month: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    views: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    views_missing: int = 0
    rows: int = 0
    runs: list[dict[str, Any]] = field(default_factory=list)
    rejects: Counter[str] = field(default_factory=Counter)
    manifest: dict[str, Any] | None = None

    @property
    def langs(self) -> list[str]:
        seen = {lang for counts in self.per_month.values() for lang in counts}
        return sorted(seen, key=lambda lang: (list(LANG_COLOURS).index(lang)
                                              if lang in LANG_COLOURS else 99, lang))


def collect(output_dir: Path) -> ReportData:
    """Read the dataset, the run summaries and the rejects into plot-sized aggregates."""
    data = ReportData()
    paths = DatasetPaths(output_dir)
    data.manifest = read_manifest(paths)
    if paths.parquet.exists():
        parquet = pq.ParquetFile(paths.parquet)
        for batch in parquet.iter_batches(batch_size=10_000, columns=["lang", "date", "views"]):
            columns = batch.to_pydict()
            for lang, date, views in zip(columns["lang"], columns["date"], columns["views"],
                                         strict=True):
                data.rows += 1
                data.per_month[date.strftime("%Y-%m")][lang] += 1
                if views is None:
                    data.views_missing += 1
                else:
                    data.views[lang].append(int(views))
    for path in sorted((output_dir / "runs").glob("*.json")):
        if not RUN_ID_PATTERN.match(path.stem):
            continue
        try:
            summary = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError):
            continue
        data.runs.append(summary)
    for path in sorted((output_dir / "rejects").glob("*.jsonl")):
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                try:
                    data.rejects[str(json.loads(line).get("reason", "unknown"))] += 1
                except (ValueError, AttributeError):
                    continue
    return data


# --- figures -------------------------------------------------------------------------------
def svg(figure: Figure) -> str:
    """A figure as inline SVG markup (no XML declaration or DOCTYPE, deterministic)."""
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    text = buffer.getvalue()
    return text[text.index("<svg"):]


def _empty(axes: Any, message: str) -> None:
    axes.text(0.5, 0.5, message, ha="center", va="center", transform=axes.transAxes,
              color=OTHER_COLOUR)
    axes.set_xticks([])
    axes.set_yticks([])


def plot_articles_per_month(data: ReportData) -> Figure:
    """Lines of articles per month, one per language, over the whole date range."""
    figure = Figure(figsize=(9, 3.4))
    axes = figure.subplots()
    months = sorted(data.per_month)
    if not months:
        _empty(axes, "no articles in the dataset")
        return figure
    start, end = (datetime.strptime(month, "%Y-%m") for month in (months[0], months[-1]))
    every: list[datetime] = []
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        every.append(datetime(year, month, 1))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    for lang in data.langs:
        counts = [data.per_month.get(moment.strftime("%Y-%m"), Counter())[lang]
                  for moment in every]
        axes.step(every, counts, where="post",  # type: ignore[arg-type]
                  label=lang, gid=f"lang-{lang}", color=LANG_COLOURS.get(lang, OTHER_COLOUR),
                  linewidth=1.2)
    locator = AutoDateLocator()
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    axes.set_ylabel("articles published")
    axes.set_ylim(bottom=0)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.legend(title="language", frameon=False, ncols=len(data.langs))
    axes.set_title("Articles per month by language")
    return figure


def plot_views(data: ReportData) -> Figure:
    """Histogram of the latest views, log-spaced bins, stacked by language."""
    figure = Figure(figsize=(9, 3.4))
    axes = figure.subplots()
    langs = [lang for lang in data.langs if data.views.get(lang)]
    if not langs:
        _empty(axes, "no views counters in the dataset")
        return figure
    values = [value for lang in langs for value in data.views[lang]]
    low, high = max(min(values), 1), max(max(values), 2)
    bins = [low * (high / low) ** (step / 30) for step in range(31)]
    bins[0], bins[-1] = low * 0.999, high * 1.001
    clipped = [[max(value, low) for value in data.views[lang]] for lang in langs]
    _, _, patches = axes.hist(clipped, bins=bins, stacked=True, label=langs,
                              color=[LANG_COLOURS.get(lang, OTHER_COLOUR) for lang in langs])
    for lang, bars in zip(langs, patches, strict=True):  # type: ignore[arg-type]
        for bar in bars:
            bar.set_gid(f"views-{lang}")
    axes.set_xscale("log")
    axes.set_xlabel("latest views (log scale)")
    axes.set_ylabel("articles")
    axes.legend(title="language", frameon=False)
    axes.set_title("Distribution of the latest views")
    return figure


def plot_runs(data: ReportData) -> Figure:
    """Records per run (top) and the optional fields' coverage per run (bottom), over time."""
    figure = Figure(figsize=(9, 5.2))
    top, bottom = figure.subplots(2, 1, sharex=True)
    runs = [run for run in data.runs if RUN_ID_PATTERN.match(str(run.get("run_id", "")))]
    if not runs:
        _empty(top, "no run summaries")
        _empty(bottom, "no run summaries")
        return figure
    times = [run_time(run["run_id"]) for run in runs]
    records = [int(run.get("records", {}).get("total", 0)) for run in runs]
    failed = [run.get("status") == "failed" for run in runs]
    top.plot(times, records, marker="o", color="#2ca02c", gid="runs-records", linewidth=1)
    failed_times = [moment for moment, bad in zip(times, failed, strict=True) if bad]
    if failed_times:
        top.scatter(failed_times, [count for count, bad in zip(records, failed, strict=True)
                                   if bad], color="#d62728", zorder=3, label="failed run",
                    gid="runs-failed")
        top.legend(frameon=False)
    top.set_ylabel("records")
    top.set_ylim(bottom=0)
    top.set_title("Records per run")
    for name in OPTIONAL_FIELDS:
        shares = [run.get("field_coverage", {}).get(name) for run in runs]
        points = [(moment, share) for moment, share in zip(times, shares, strict=True)
                  if share is not None]
        if points:
            bottom.plot([p[0] for p in points], [p[1] * 100 for p in points], marker=".",
                        label=name, gid=f"coverage-{name}", linewidth=1)
    bottom.set_ylabel("% of the run's records")
    bottom.set_ylim(-2, 102)
    bottom.set_title("Field coverage per run")
    bottom.legend(frameon=False, ncols=len(OPTIONAL_FIELDS), fontsize=8)
    locator = AutoDateLocator()
    bottom.xaxis.set_major_locator(locator)
    bottom.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    return figure


def plot_rejects(data: ReportData) -> Figure:
    """Horizontal bars: rejected articles by reason, over every run."""
    reasons = data.rejects.most_common()
    figure = Figure(figsize=(9, max(1.8, 0.4 * len(reasons) + 1)))
    axes = figure.subplots()
    if not reasons:
        _empty(axes, "no rejects in any run")
        axes.set_title("Rejects by reason")
        return figure
    names = [name for name, _ in reasons][::-1]
    counts = [count for _, count in reasons][::-1]
    bars = axes.barh(names, counts, color="#9467bd", height=0.5)
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    for name, bar in zip(names, bars, strict=True):
        bar.set_gid(f"reason-{name}")
    axes.bar_label(bars, padding=3)
    axes.set_xlabel("rejected articles (all runs)")
    axes.set_title("Rejects by reason")
    return figure


# --- the page ------------------------------------------------------------------------------
STYLE = """
body { font: 15px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 62rem;
       padding: 0 1rem; color: #222; }
figure { margin: 2rem 0; } figure svg { max-width: 100%; height: auto; }
figcaption { color: #444; margin-top: .4rem; }
table { border-collapse: collapse; margin: .5rem 0; font-size: 13px; }
td, th { border: 1px solid #ccc; padding: .15rem .5rem; text-align: right; }
th:first-child, td:first-child { text-align: left; }
details { margin-top: .3rem; }
"""


def _table(header: list[str], rows: list[list[Any]]) -> str:
    head = "".join(f"<th>{html.escape(str(cell))}</th>" for cell in header)
    head = f"<thead><tr>{head}</tr></thead>" if any(header) else ""
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(cell))}</td>" for cell in row)
                   + "</tr>" for row in rows)
    return f"<table>{head}<tbody>{body}</tbody></table>"


def _figure(figure_id: str, title: str, figure: Figure, caption: str, table: str) -> str:
    return (
        f'<figure id="{figure_id}" role="img" aria-label="{html.escape(title)}">'
        f"{svg(figure)}<figcaption><strong>{html.escape(title)}.</strong> "
        f"{html.escape(caption)}<details><summary>numbers</summary>{table}</details>"
        "</figcaption></figure>"
    )


def render(data: ReportData, output_dir: Path) -> str:
    """The whole report as one HTML document."""
    manifest = data.manifest or {}
    langs = data.langs
    years: dict[str, Counter[str]] = defaultdict(Counter)
    for month, counts in data.per_month.items():
        years[month[:4]].update(counts)
    month_table = _table(["year", *langs, "total"], [
        [year, *(years[year][lang] for lang in langs), sum(years[year].values())]
        for year in sorted(years)])
    views_all = sorted(value for values in data.views.values() for value in values)
    views_rows = [[lang, len(data.views[lang]), min(data.views[lang]),
                   sorted(data.views[lang])[len(data.views[lang]) // 2],
                   max(data.views[lang])] for lang in langs if data.views.get(lang)]
    runs_table = _table(["run", "status", "records", *OPTIONAL_FIELDS], [
        [run.get("run_id"), run.get("status"), run.get("records", {}).get("total"),
         *(run.get("field_coverage", {}).get(name) for name in OPTIONAL_FIELDS)]
        for run in data.runs])
    rejects_table = _table(["reason", "rejects"], [list(item) for item in
                                                   data.rejects.most_common()])
    figures = [
        _figure("articles-per-month", "Articles per month by language",
                plot_articles_per_month(data),
                f"{data.rows} articles of the dataset by month of publication (Baku time), one "
                "line per language.", month_table),
        _figure("views-distribution", "Distribution of the latest views", plot_views(data),
                f"{len(views_all)} articles with a views counter"
                + (f" (median {views_all[len(views_all) // 2]})" if views_all else "")
                + f"; {data.views_missing} without one are not drawn.",
                _table(["language", "articles", "min", "median", "max"], views_rows)),
        _figure("runs-over-time", "Records and field coverage per run", plot_runs(data),
                f"{len(data.runs)} runs: records written by each (failed runs in red) and the "
                "share of its records having each optional field.", runs_table),
        _figure("rejects-by-reason", "Rejects by reason", plot_rejects(data),
                f"{sum(data.rejects.values())} articles that could not become records, by "
                "reason, over every run's rejects file.", rejects_table),
    ]
    facts = _table(["", ""], [
        ["articles (rows)", data.rows],
        ["dataset version", manifest.get("dataset_version", "-")],
        ["schema version", manifest.get("schema_version", schema_version())],
        ["publication dates", " to ".join(map(str, manifest.get("date_range") or ["-"]))],
        ["run files consolidated", len(manifest.get("runs", []))],
        ["run summaries", len(data.runs)],
        ["output directory", str(output_dir)],
    ])
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        "<title>Caliber.az Analytics: dataset report</title>"
        f"<style>{STYLE}</style></head><body>"
        "<h1>Caliber.az Analytics: dataset report</h1>"
        "<p>What the consolidated dataset holds and how the runs that fed it went. Source: "
        "<a href=\"https://caliber.az\">Caliber.az</a> (any use of its material must link "
        f"to it).</p>{facts}{''.join(figures)}</body></html>\n"
    )


#: External references the report must not have (it opens offline).
EXTERNAL_REFERENCE = re.compile(
    r"<(script|link|img|iframe|source|video|audio)\b[^>]*\b(src|href)\s*=\s*[\"']?\s*(https?:)?//"
    r"|@import|url\(\s*[\"']?\s*(https?:)?//", re.IGNORECASE)


def write_report(output_dir: Path, destination: Path | None = None) -> Path:
    """Write the report for ``output_dir`` (default ``<output_dir>/report.html``), atomically."""
    destination = destination or output_dir / REPORT_NAME
    text = render(collect(output_dir), output_dir)
    if EXTERNAL_REFERENCE.search(text):  # a plot or template change must never add one
        raise ValueError("the report would load something from the network")
    destination.parent.mkdir(parents=True, exist_ok=True)
    temporary = destination.with_name(f".{destination.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(destination)
    return destination
