"""What ``scrapy report`` shows, aggregated from the dataset and the run files.

The dataset is read column by column in batches (``lang``, ``date``, ``views``) and the run
files line by line (``crawler.runs.reading``), so memory depends on the number of months and
runs, not of articles.
"""

from __future__ import annotations

import calendar
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow.compute as pc
import pyarrow.parquet as pq

from crawler.dataset import DatasetPaths, read_manifest
from crawler.runs.instants import RUN_ID_PATTERN
from crawler.runs.reading import (
    is_reextraction,
    latest_open_rejects,
    reject_reasons,
    run_summaries,
)
from crawler.site import LANGUAGES, TIMEZONE

#: Articles drawn in the views-over-time plot: the most-read ones (by latest views).
TOP_ARTICLES = 5

#: Periods the articles plot can count by, finest first: (name, months in one).
PERIODS = (("month", 1), ("quarter", 3), ("year", 12))
#: The finest period with at least this many articles per period and language on average
#: (and at most MAX_PERIODS periods) is drawn; fewer make a comb of zeros and ones.
MIN_ARTICLES_PER_BAR = 3
MAX_PERIODS = 36


@dataclass
class ReportData:
    """Everything the report plots, aggregated (small: months, runs, reasons)."""

    #: month index (year * 12 + month - 1, Baku time) -> articles by language
    per_month: dict[int, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    views: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    views_missing: int = 0
    rows: int = 0
    #: summaries of the crawls, and of the re-extractions (their ``archive_run`` a run id)
    runs: list[dict[str, Any]] = field(default_factory=list)
    reextractions: list[dict[str, Any]] = field(default_factory=list)
    rejects: Counter[str] = field(default_factory=Counter)
    manifest: dict[str, Any] | None = None
    open_rejects: list[dict[str, Any]] = field(default_factory=list)
    #: the most-read articles: (id, title, lang, [(observed_at, views)...]) each
    top_series: list[tuple[str, str, str, list[tuple[Any, int]]]] = field(default_factory=list)
    #: articles edited / removed from the site, by Baku month (``2026-03``)
    edits: Counter[str] = field(default_factory=Counter)
    removals: Counter[str] = field(default_factory=Counter)

    @property
    def langs(self) -> list[str]:
        seen = {lang for counts in self.per_month.values() for lang in counts}
        return sorted(seen, key=lambda lang: (LANGUAGES.index(lang)
                                              if lang in LANGUAGES else 99, lang))

    def period(self) -> tuple[str, int]:
        """The finest period (name, months) whose bars are not mostly zeros and ones."""
        if not self.per_month:
            return PERIODS[0]
        first, last = min(self.per_month), max(self.per_month)
        for name, months in PERIODS:
            periods = last // months - first // months + 1
            if (periods <= MAX_PERIODS
                    and self.rows / periods / len(self.langs) >= MIN_ARTICLES_PER_BAR):
                return name, months
        return PERIODS[-1]

    def per_period(self, months: int) -> list[tuple[str, str, Counter[str]]]:
        """(label, key, articles by language) for every period of the range, empty included."""
        if not self.per_month:
            return []
        first, last = min(self.per_month) // months, max(self.per_month) // months
        counts: dict[int, Counter[str]] = defaultdict(Counter)
        for month, by_lang in self.per_month.items():
            counts[month // months].update(by_lang)
        return [(*period_names(index, months), counts[index])
                for index in range(first, last + 1)]


def period_names(index: int, months: int) -> tuple[str, str]:
    """The label and the id key of period ``index`` (``Mar 2026``/``2026-03``, ``Q1 2026``...)."""
    year, month = divmod(index * months, 12)
    if months == 12:
        return str(year), str(year)
    if months == 3:
        return f"Q{month // 3 + 1} {year}", f"{year}-Q{month // 3 + 1}"
    return f"{calendar.month_abbr[month + 1]} {year}", f"{year}-{month + 1:02d}"


def baku_month(moment: datetime) -> str:
    """``2026-03``: the month of an instant in Baku time."""
    return moment.astimezone(ZoneInfo(TIMEZONE)).strftime("%Y-%m")


def collect_history(data: ReportData, paths: DatasetPaths) -> None:
    """The most-read articles' observations, and the edits and removals by Baku month."""
    if not paths.parquet.exists():
        return
    articles = pq.read_table(paths.parquet, columns=["id", "title", "lang", "views",
                                                     "removed_at"])
    for removed in articles.column("removed_at").drop_null().to_pylist():
        data.removals[baku_month(removed)] += 1
    ranked = sorted((row for row in articles.select(["id", "title", "lang", "views"]).to_pylist()
                     if row["views"] is not None), key=lambda row: (-row["views"], row["id"]))
    top = ranked[:TOP_ARTICLES]
    if top and paths.views.exists():
        views = pq.read_table(paths.views, columns=["id", "observed_at", "views"],
                              filters=pc.field("id").isin([row["id"] for row in top]))
        points: dict[str, list[tuple[datetime, int]]] = {row["id"]: [] for row in top}
        for observation in views.sort_by([("id", "ascending"), ("observed_at", "ascending")]
                                         ).to_pylist():
            points[observation["id"]].append((observation["observed_at"], observation["views"]))
        data.top_series = [(row["id"], row["title"], row["lang"], points[row["id"]])
                           for row in top]
    if paths.revisions.exists():
        for edited in pq.read_table(paths.revisions, columns=["observed_at"]).column(
                "observed_at").to_pylist():
            data.edits[baku_month(edited)] += 1


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
                data.per_month[date.year * 12 + date.month - 1][lang] += 1
                if views is None:
                    data.views_missing += 1
                else:
                    data.views[lang].append(int(views))
    for summary in run_summaries(output_dir):
        if not RUN_ID_PATTERN.match(str(summary.get("run_id", ""))):
            continue
        if not is_reextraction(summary):
            data.runs.append(summary)
        elif RUN_ID_PATTERN.match(str(summary.get("archive_run", ""))):
            data.reextractions.append(summary)
    data.rejects = reject_reasons(output_dir, {run["run_id"] for run in data.reextractions})
    data.open_rejects = latest_open_rejects(output_dir)
    collect_history(data, paths)
    return data
