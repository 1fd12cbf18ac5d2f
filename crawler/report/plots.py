"""The four figures of ``scrapy report``, drawn with matplotlib from ``ReportData``.

Each plot keeps to what reads at any scale: bars by a period that is not sparse, one point
per crawl (never a line between crawls) on a time axis with plain labels, coverage only where
the monitors would judge it, re-extractions apart from the crawls, legends beside the axes.
Series carry SVG ids for the tests.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from typing import Any

import matplotlib
from matplotlib.axes import Axes
from matplotlib.dates import AutoDateLocator, DateFormatter
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MaxNLocator, PercentFormatter

from crawler.items import OPTIONAL_FIELDS
from crawler.report.data import ReportData
from crawler.runs.instants import run_start

#: One meaning per colour over the whole report: each language, crawl outcome, optional
#: field, edits and removals has its own, and no two meanings share one.
COLOURS = {
    "lang-en": "#1f77b4", "lang-ru": "#ff7f0e", "lang-hy": "#9467bd",
    "ok": "#2ca02c", "failed": "#d62728", "reextraction": "#333333",
    "field-subtitle": "#17becf", "field-category": "#8c564b", "field-views": "#e377c2",
    "field-author": "#bcbd22", "field-image": "#393b79",
    "edits": "#e7ba52", "removals": "#843c39", "rejects": "#a0a0a0",
}
#: Languages in a fixed order with a fixed colour each (the same in every plot).
LANG_COLOURS = {lang: COLOURS[f"lang-{lang}"] for lang in ("en", "ru", "hy")}
#: Neutral: what has no meaning of its own (text of an empty plot, another language).
OTHER_COLOUR = "#7f7f7f"
OK_COLOUR, FAILED_COLOUR, REEXTRACTION_COLOUR = (COLOURS["ok"], COLOURS["failed"],
                                                 COLOURS["reextraction"])
#: One marker shape and colour per optional field in the coverage plot.
FIELD_STYLES = {name: (marker, COLOURS[f"field-{name}"])
                for name, marker in zip(OPTIONAL_FIELDS, "os^Dv", strict=False)}

matplotlib.rcParams.update({
    "svg.fonttype": "path",  # text as outlines: the SVG needs no font from anywhere
    "svg.hashsalt": "caliber-report",  # stable element ids: same data, same file
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlelocation": "left",
    "timezone": "UTC",
})


def svg(figure: Figure) -> str:
    """A figure as inline SVG markup (no XML declaration or DOCTYPE, deterministic)."""
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    text = buffer.getvalue()
    return text[text.index("<svg"):]


def _empty(axes: Axes, message: str) -> None:
    axes.text(0.5, 0.5, message, ha="center", va="center", transform=axes.transAxes,
              color=OTHER_COLOUR)
    axes.set_xticks([])
    axes.set_yticks([])


def _legend(axes: Axes, title: str | None = None, handles: list[Any] | None = None) -> None:
    """The legend right of the axes, where it can never cover a bar or a point."""
    extra = {"handles": handles} if handles is not None else {}
    axes.legend(**extra, title=title, loc="upper left", bbox_to_anchor=(1.01, 1),
                frameon=False, alignment="left")


def plot_articles(data: ReportData) -> Figure:
    """Bars of articles per period, grouped by language, over the whole date range."""
    figure = Figure(figsize=(9, 3.4))
    axes = figure.subplots()
    name, months = data.period()
    periods = data.per_period(months)
    axes.set_title(f"Articles per {name} by language")
    if not periods:
        _empty(axes, "no articles in the dataset")
        return figure
    langs = data.langs
    width = 0.8 / len(langs)
    for slot, lang in enumerate(langs):
        shift = (slot - (len(langs) - 1) / 2) * width
        bars = axes.bar([index + shift for index in range(len(periods))],
                        [counts[lang] for _, _, counts in periods], width, label=lang,
                        color=LANG_COLOURS.get(lang, OTHER_COLOUR))
        for (_, key, _), bar in zip(periods, bars, strict=True):
            bar.set_gid(f"lang-{lang}-{key}")
    step = -(-len(periods) // 12)  # at most 12 labels, so they never overlap
    axes.set_xticks(range(0, len(periods), step), [label for label, _, _ in periods][::step])
    axes.set_xlim(-0.6, len(periods) - 0.4)
    axes.set_xlabel(f"{name} of publication (Baku time)")
    axes.set_ylabel("articles published")
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    _legend(axes, "language")
    return figure


def plot_views(data: ReportData) -> Figure:
    """Histogram of the latest views, log-spaced bins: one panel per language, side by side
    on shared axes (not stacked: each language's distribution reads from zero)."""
    langs = [lang for lang in data.langs if data.views.get(lang)]
    figure = Figure(figsize=(9, 3.4))
    panels = figure.subplots(1, max(len(langs), 1), sharex=True, sharey=True, squeeze=False)[0]
    panels[0].set_title("Distribution of the latest views")
    if not langs:
        _empty(panels[0], "no views counters in the dataset")
        return figure
    values = [value for lang in langs for value in data.views[lang]]
    low, high = max(min(values), 1), max(max(values), 2)
    bins = [low * (high / low) ** (step / 20) for step in range(21)]
    bins[0], bins[-1] = low * 0.999, high * 1.001
    for axes, lang in zip(panels, langs, strict=True):
        colour = LANG_COLOURS.get(lang, OTHER_COLOUR)
        _, _, bars = axes.hist([max(value, low) for value in data.views[lang]], bins=bins,
                               color=colour, label=lang)
        for number, bar in enumerate(bars):
            bar.set_gid(f"views-{lang}-{number}")
        axes.set_xscale("log")
        axes.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:,.0f}"))
        axes.set_xlabel(f"{lang}: latest views of {len(data.views[lang])} (log)", color=colour)
    panels[0].set_ylabel("articles")
    panels[0].yaxis.set_major_locator(MaxNLocator(integer=True))
    handles = [Patch(color=LANG_COLOURS.get(lang, OTHER_COLOUR), label=lang) for lang in langs]
    _legend(panels[-1], "language", handles=handles)
    return figure


def time_axis(axes: Axes, times: list[datetime]) -> None:
    """Run start times that read directly: padded range, plain labels, no offset text.

    Crawls of one day are labelled by clock time (seconds when minutes apart) with the date in
    the axis label; longer spans by day and month, then by month and year.
    """
    first, last = min(times), max(times)
    span = last - first
    pad = span * 0.06 if span else timedelta(minutes=30)  # one run: the hour around it
    axes.set_xlim(first - pad, last + pad)  # type: ignore[arg-type]
    if first.date() == last.date():
        style = "%H:%M:%S" if timedelta(0) < span < timedelta(minutes=10) else "%H:%M"
        label = f"crawl start, {first:%d %b %Y} (UTC)"
    elif span < timedelta(days=3):
        style, label = "%d %b %H:%M", "crawl start (UTC)"
    elif first.year == last.year:
        style, label = "%d %b", f"crawl start, {first.year} (UTC)"
    else:
        style, label = "%b %Y", "crawl start (UTC)"
    axes.xaxis.set_major_locator(AutoDateLocator(minticks=3, maxticks=8, tz=UTC))
    axes.xaxis.set_major_formatter(DateFormatter(style, tz=UTC))
    axes.set_xlabel(label)


def _records(run: dict[str, Any]) -> int:
    return int(run.get("records", {}).get("total", 0))


def plot_runs(data: ReportData, min_records: int) -> Figure:
    """Records per crawl (top) and the optional fields' coverage per crawl (bottom), over time.

    One point per crawl, never a line between crawls (they are separate events, not a
    series). Coverage is drawn only for crawls of ``min_records`` or more, the least the
    field_coverage monitor judges: a crawl of one record is at 0% or 100% whatever the site.
    A re-extraction corrects a crawl's records: a hollow hexagon at that crawl's time.
    """
    figure = Figure(figsize=(9, 5.2))
    top, bottom = figure.subplots(2, 1, sharex=True)
    top.set_title("Records per crawl")
    bottom.set_title(f"Field coverage of the crawls with {min_records} records or more")
    if not data.runs and not data.reextractions:
        _empty(top, "no run summaries")
        _empty(bottom, "no run summaries")
        return figure
    times = [run_start(run["run_id"]) for run in data.runs]
    records = [_records(run) for run in data.runs]
    failed = [run.get("status") == "failed" for run in data.runs]
    redone = [(run_start(run["archive_run"]), run) for run in data.reextractions]
    top.vlines(times, 0, records, colors="#c8c8c8", linewidth=1, gid="records-stems")
    for run, moment, count, bad in zip(data.runs, times, records, failed, strict=True):
        colour = FAILED_COLOUR if bad else OK_COLOUR
        top.plot([moment], [count], marker="X" if count == 0 else "o", linestyle="none",
                 markersize=8 if count == 0 else 6, zorder=4,
                 markeredgecolor=colour, clip_on=False,
                 markerfacecolor=colour if count >= min_records else "white",
                 gid=f"records-{run['run_id']}")
    for moment, run in redone:
        top.plot([moment], [_records(run)], marker="h", linestyle="none", markersize=13,
                 markeredgecolor=REEXTRACTION_COLOUR, markerfacecolor="none",
                 markeredgewidth=1.5, clip_on=False, gid=f"reextraction-{run['run_id']}")
    kinds = {"ok crawl": ("o", OK_COLOUR, OK_COLOUR, bool(records) and not all(failed)),
             "failed crawl": ("o", FAILED_COLOUR, FAILED_COLOUR, any(failed)),
             f"under {min_records} records:\ncoverage not judged":
                 ("o", OTHER_COLOUR, "white", min(records, default=min_records) < min_records),
             "re-extraction, drawn at\nthe crawl it re-reads":
                 ("h", REEXTRACTION_COLOUR, "none", bool(redone)),
             "no records (a cross\non the zero line)": ("X", OTHER_COLOUR, OTHER_COLOUR,
                                                      0 in records)}
    key = [Line2D([], [], marker=marker, linestyle="none", color=edge, markerfacecolor=face,
                  label=label) for label, (marker, edge, face, shown) in kinds.items() if shown]
    _legend(top, handles=key)
    top.set_ylabel("records")
    top.set_ylim(0, max(max(records + [_records(run) for _, run in redone]) * 1.12, 1))
    top.yaxis.set_major_locator(MaxNLocator(integer=True))
    judged = [(moment, run) for moment, run, count in zip(times, data.runs, records, strict=True)
              if count >= min_records]
    for name, (marker, colour) in FIELD_STYLES.items():
        points = [(moment, run.get("field_coverage", {}).get(name)) for moment, run in judged]
        drawn = [(moment, share * 100) for moment, share in points if share is not None]
        if drawn:
            bottom.plot([moment for moment, _ in drawn], [share for _, share in drawn],
                        marker=marker, color=colour, linestyle="none", markersize=5,
                        alpha=0.85, label=name, gid=f"coverage-{name}")
    if judged:
        _legend(bottom, "optional field")
    else:
        bottom.text(0.5, 0.5, f"no crawl has {min_records} records or more", ha="center",
                    va="center", transform=bottom.transAxes, color=OTHER_COLOUR)
    bottom.set_ylabel("% of the crawl's records")
    bottom.set_ylim(-4, 104)
    bottom.yaxis.set_major_formatter(PercentFormatter())
    time_axis(bottom, times + [moment for moment, _ in redone])
    return figure


def plot_rejects(data: ReportData) -> Figure | None:
    """Horizontal bars: rejected articles by reason, over every run (None: no rejects)."""
    reasons = data.rejects.most_common()
    if not reasons:
        return None
    figure = Figure(figsize=(9, 0.4 * len(reasons) + 1))
    axes = figure.subplots()
    names = [name for name, _ in reasons][::-1]
    counts = [count for _, count in reasons][::-1]
    bars = axes.barh(names, counts, color=COLOURS["rejects"], height=0.5)
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    for name, bar in zip(names, bars, strict=True):
        bar.set_gid(f"reason-{name}")
    axes.bar_label(bars, padding=3)
    axes.set_xlabel("rejected articles (all runs)")
    axes.set_title("Rejects by reason")
    return figure


def figures(data: ReportData, min_records: int) -> dict[str, Figure | None]:
    """The four plots by figure id (None where there is nothing to draw)."""
    return {"articles-per-period": plot_articles(data), "views-distribution": plot_views(data),
            "runs-over-time": plot_runs(data, min_records),
            "rejects-by-reason": plot_rejects(data)}
