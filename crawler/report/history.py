"""The report's plots over time: views of the most-read articles, edits and removals per
month (``ReportData.top_series``, ``edits``, ``removals``: ``crawler.report.data``)."""

from __future__ import annotations

from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from crawler.report.data import TOP_ARTICLES, ReportData
from crawler.report.plots import COLOURS, OTHER_COLOUR, _empty, _legend, time_axis

#: Longest title shown in that plot's legend.
TITLE_CHARACTERS = 42


def short_title(title: str) -> str:
    """A title cut to ``TITLE_CHARACTERS`` for a legend."""
    return title if len(title) <= TITLE_CHARACTERS else title[: TITLE_CHARACTERS - 1] + "\u2026"


def plot_views_over_time(data: ReportData) -> Figure:
    """Views of the most-read articles at each observation: one line per article (a series
    of one article), coloured by its language, a marker at each reading."""
    figure = Figure(figsize=(9, 3.4))
    axes = figure.subplots()
    axes.set_title(f"Views over time of the {TOP_ARTICLES} most-read articles")
    series = [entry for entry in data.top_series if entry[3]]
    if not series:
        _empty(axes, "no views counters in the dataset")
        return figure
    markers = ("o", "s", "^", "D", "v")
    for number, (article_id, title, lang, points) in enumerate(series):
        axes.plot([moment for moment, _ in points], [views for _, views in points],
                  marker=markers[number % len(markers)], markersize=5,
                  color=COLOURS.get(f"lang-{lang}", OTHER_COLOUR), linewidth=1.2,
                  label=f"{short_title(title)} ({lang})", gid=f"views-over-time-{article_id}")
    time_axis(axes, [moment for *_, points in series for moment, _ in points])
    axes.set_xlabel(axes.get_xlabel().replace("crawl start", "observed"))
    axes.set_ylabel("views counter")
    axes.set_ylim(bottom=0)
    _legend(axes, "article (language)")
    return figure


def plot_edits_removals(data: ReportData) -> Figure | None:
    """Bars per Baku month: articles edited (a revision) and removed from the site; None
    when there are neither."""
    months = sorted(set(data.edits) | set(data.removals))
    if not months:
        return None
    figure = Figure(figsize=(9, 3.0))
    axes = figure.subplots()
    axes.set_title("Edits and removals per month")
    for shift, (name, counts) in zip((-0.2, 0.2), (("edits", data.edits),
                                                   ("removals", data.removals)), strict=True):
        bars = axes.bar([index + shift for index in range(len(months))],
                        [counts[month] for month in months], 0.4, label=name,
                        color=COLOURS[name])
        for month, bar in zip(months, bars, strict=True):
            bar.set_gid(f"{name}-{month}")
    axes.set_xticks(range(len(months)), months)
    axes.set_xlabel("month (Baku time)")
    axes.set_ylabel("articles")
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    _legend(axes)
    return figure


def edits_removals_counts(data: ReportData) -> list[list[object]]:
    """The numbers behind the edits and removals plot."""
    return [[month, data.edits[month], data.removals[month]]
            for month in sorted(set(data.edits) | set(data.removals))]

