"""The dataset card (``dataset/README.md``) and the figures it shows."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from crawler.dataset.schema import (
    arrow_schema,
    revisions_schema,
    row_schema,
    schema_version,
    views_schema,
)
from crawler.dataset.store import SourceState
from crawler.items import OPTIONAL_FIELDS
from crawler.runs.reading import run_summaries
from crawler.site import LANGUAGES
from crawler.sitebinding import host_of


@dataclass
class DatasetStats:
    """Figures of the written dataset, gathered while streaming it out (for card/manifest)."""

    rows: int = 0
    by_lang_year: Counter[tuple[str, str]] = field(default_factory=Counter)
    non_null: Counter[str] = field(default_factory=Counter)
    date_min: str | None = None
    date_max: str | None = None
    first_seen_min: str | None = None
    last_seen_max: str | None = None
    #: Rows edited at least once, rows removed from the site; rows of the history tables.
    edited: int = 0
    removed: int = 0
    observations: int = 0
    revisions: int = 0

    def add(self, row: dict[str, Any]) -> None:
        self.rows += 1
        self.edited += row["revision"] > 1
        self.removed += row["removed_at"] is not None
        self.by_lang_year[(row["lang"], row["date"][:4])] += 1
        for name in OPTIONAL_FIELDS:
            if row.get(name) is not None:
                self.non_null[name] += 1
        if self.date_min is None:
            self.date_min = row["date"]
        self.date_max = row["date"]  # rows come sorted by date
        self.first_seen_min = min(filter(None, (self.first_seen_min, row["first_seen"])))
        self.last_seen_max = max(filter(None, (self.last_seen_max, row["last_seen"])))

    def coverage(self) -> dict[str, float | None]:
        """Share of rows that have each optional field (not null)."""
        return {name: round(self.non_null[name] / self.rows, 4) if self.rows else None
                for name in OPTIONAL_FIELDS}

    def by_lang(self) -> dict[str, int]:
        counts: Counter[str] = Counter()
        for (lang, _year), count in self.by_lang_year.items():
            counts[lang] += count
        return dict(sorted(counts.items()))



def _type_name(arrow_type: pa.DataType) -> str:
    if pa.types.is_timestamp(arrow_type):
        zone = f"tz={arrow_type.tz}" if arrow_type.tz else "no time zone"
        return f"timestamp[{arrow_type.unit}, {zone}]"
    return str(arrow_type)


def columns_table(schema: pa.Schema) -> list[str]:
    """A Markdown table of a Parquet file's columns: name, type, null, description."""
    lines = ["| column | Parquet type | null | description |", "|---|---|---|---|"]
    for column in schema:
        description = column.metadata[b"description"].decode("utf-8").replace("|", "\\|")
        lines.append(f"| `{column.name}` | {_type_name(column.type)} | "
                     f"{'yes' if column.nullable else 'no'} | {description} |")
    return lines


#: Views gained per Baku month over every article (DuckDB, on ``views.parquet``): each
#: article's last counter of a month less its last counter of the month before.
MONTHLY_VIEWS_SQL = """SELECT month, sum(views - coalesce(before, 0)) AS views_gained FROM (
    SELECT month, views, lag(views) OVER (PARTITION BY id ORDER BY month) AS before FROM (
        SELECT id, date_trunc('month', timezone('Asia/Baku', observed_at)) AS month,
               arg_max(views, observed_at) AS views
        FROM 'views.parquet' GROUP BY id, month))
GROUP BY month ORDER BY month"""

#: The card's loading examples: DuckDB (monthly counts in Baku time), pandas, Spark.
LOADING = f"""```python
import duckdb  # articles per Baku month: date_local is the Baku wall clock, whatever TimeZone
duckdb.sql('''SELECT date_trunc('month', date_local) AS month, lang, count(*) AS articles
              FROM 'articles.parquet' GROUP BY ALL ORDER BY ALL''')
duckdb.sql('''{MONTHLY_VIEWS_SQL}''')  # views gained per Baku month

import pandas as pd  # views is Int64 (<NA> where the page shows no counter), no options needed
articles = pd.read_parquet('articles.parquet')
views = pd.read_parquet('views.parquet')  # one row per observation
articles.groupby(articles['date_local'].dt.to_period('M')).size()
```

```python
# Spark 3.4+: date_local reads as TIMESTAMP_NTZ (the wall clock, unshifted); date and the
# *_at columns are instants (TIMESTAMP), shown in spark.sql.session.timeZone
from pyspark.sql import functions as F
articles = spark.read.parquet('articles.parquet')
articles.groupBy(F.date_trunc('month', 'date_local').alias('month')).count().orderBy('month')
spark.read.parquet('views.parquet').groupBy('id').agg(F.max_by('views', 'observed_at'))
```"""


def dataset_card(stats: DatasetStats, version: int, sources: list[SourceState],
                 open_rejects: list[dict[str, Any]] | None = None,
                 reextracted_section: str = "",
                 hosts: dict[str, list[str]] | None = None) -> str:
    """The dataset card (``dataset/README.md``): what is in it, how much, and its terms;
    ``reextracted_section`` (``reextraction_card``) stands before the loading examples.

    Deterministic: built from the data only (no clock), so an unchanged dataset has an
    unchanged card.
    """
    schema = row_schema()
    arrow = arrow_schema()
    langs = sorted({lang for lang, _ in stats.by_lang_year})
    years = sorted({year for _, year in stats.by_lang_year})
    lines = [
        "---",
        f"pretty_name: Caliber.az Analytics articles (schema {schema_version()})",
        "language:", *[f"- {lang}" for lang in langs or LANGUAGES],
        "license: other",
        "license_name: caliber-az-source-attribution",
        "configs:",
        "- config_name: default",
        "  data_files: articles.parquet",
        "- config_name: views",
        "  data_files: views.parquet",
        "- config_name: revisions",
        "  data_files: revisions.parquet",
        "---",
        "",
        "# Caliber.az Analytics articles",
        "",
        "Every article of the Analytics section of [Caliber.az](https://caliber.az) that the "
        "crawler has seen, once, with its latest views and content, when it was first and last "
        "seen, its edits and its removal from the site; every views counter read over time.",
        "",
        "| | |",
        "|---|---|",
        f"| dataset version | {version} (grows by one each time new runs are consolidated) |",
        f"| schema | `{schema['$id']}` (version {schema_version()}), in `schema.json` |",
        f"| rows | {stats.rows} (one per `id`) |",
        f"| publication dates | {stats.date_min or '-'} to {stats.date_max or '-'} |",
        f"| seen between | {stats.first_seen_min or '-'} and {stats.last_seen_max or '-'} |",
        f"| run files consolidated | {len(sources)}"
        + (f" ({sources[0].run_id} to {sources[-1].run_id})" if sources else "") + " |",
        f"| edited | {stats.edited} articles ({stats.revisions} edits in `revisions.parquet`) |",
        f"| removed from the site | {stats.removed} articles (`removed_at` set) |",
        f"| views observations | {stats.observations} (`views.parquet`) |",
        "| files | `articles.parquet` (typed), `articles.jsonl` (same rows, same order), "
        "`views.parquet`, `revisions.parquet`, one file each per dataset version |",
        "",
        "## Source and licence",
        "",
        "The texts are the work of Caliber.az and are collected from its public pages. The site "
        "asks that any use of its material carry a **hyperlink to "
        "[Caliber.az](https://caliber.az)**: keep the `url` of every article you use and link "
        "to it. This dataset grants no rights of its own over the texts.",
        "",
        "## Files and columns",
        "",
        "### `articles.parquet` (and `articles.jsonl`)",
        "",
        "One row per article, sorted by `date` (the publication instant), then `id`. A row has "
        "the latest content a fetch showed; an edit (other title, subtitle, body, author or "
        "image, compared with whitespace and Unicode form ignored) raises `revision`.",
        "",
        *columns_table(arrow),
        "",
        "### `views.parquet`",
        "",
        "One row per reading of an article's views counter (every fetch that showed one), "
        "sorted by `id`, then `observed_at`.",
        "",
        *columns_table(views_schema()),
        "",
        "### `revisions.parquet`",
        "",
        "One row per edit a refresh showed, sorted by `id`, then `observed_at`; the earlier "
        "text stays readable in the run's archive (`scrapy reextract`).",
        "",
        *columns_table(revisions_schema()),
    ]
    lines += ["", "## Articles per language and year", ""]
    if years:
        lines.append("| year | " + " | ".join(langs) + " | total |")
        lines.append("|---|" + "---:|" * (len(langs) + 1))
        for year in years:
            counts = [stats.by_lang_year[(lang, year)] for lang in langs]
            lines.append(f"| {year} | " + " | ".join(map(str, counts)) + f" | {sum(counts)} |")
        totals = [stats.by_lang()[lang] for lang in langs]
        lines.append("| **all** | " + " | ".join(map(str, totals)) + f" | {stats.rows} |")
    else:
        lines.append("No articles yet.")
    lines += ["", "## Field coverage", "",
              "Share of rows where the optional field is not null (the required fields are "
              "always present).", "", "| field | rows with it | coverage |", "|---|---:|---:|"]
    for name, share in stats.coverage().items():
        percent = f"{share:.1%}" if share is not None else "-"
        lines.append(f"| `{name}` | {stats.non_null[name]} | {percent} |")
    lines += hosts_lines(hosts or {})
    lines += open_rejects_lines(open_rejects or [])
    if reextracted_section:
        lines += ["", reextracted_section.rstrip("\n")]
    lines += [
        "",
        "## Loading",
        "",
        LOADING,
        "",
        "Made by `scrapy dataset` of the caliber-analytics crawler; `manifest.json` lists the "
        "run files read and the digest of every file.",
        "",
    ]
    return "\n".join(lines)



def crawled_hosts(output_dir: Path, run_ids: list[str]) -> dict[str, list[str]]:
    """Host -> the runs among ``run_ids`` that crawled it (their summaries' ``host``, or the
    host of their ``base_url``), oldest first."""
    wanted = set(run_ids)
    hosts: dict[str, list[str]] = {}
    for summary in run_summaries(output_dir):
        if summary.get("run_id") not in wanted:
            continue
        host = summary.get("host") or host_of(str(summary.get("arguments", {}).get(
            "base_url") or "")) or "unknown (no run summary)"
        hosts.setdefault(str(host), []).append(str(summary["run_id"]))
    return hosts


def hosts_lines(hosts: dict[str, list[str]]) -> list[str]:
    """The card's section on which host each consolidated run crawled (one site per
    output directory: ``crawler.sitebinding``)."""
    lines = ["", "## Hosts crawled", "", "| host | runs | first run | last run |",
             "|---|---:|---|---|"]
    for host, runs in sorted(hosts.items()):
        lines.append(f"| {host} | {len(runs)} | {runs[0]} | {runs[-1]} |")
    return lines if hosts else []


def open_rejects_lines(rejects: list[dict[str, Any]]) -> list[str]:
    """The card's section on articles the site shows that are not rows yet (open rejects)."""
    lines = ["", "## Articles not in the dataset yet", ""]
    if not rejects:
        return [*lines, "None: every article the last run saw is a row."]
    lines += ["Pages of the section that the last run could not make a record of (the site's "
              "editors may fix them); each is retried until it becomes a row.", "",
              "| url | reason | since |", "|---|---|---|"]
    return lines + [f"| {entry['url']} | `{entry['reason']}` | {entry['since']} |"
                    for entry in rejects]
