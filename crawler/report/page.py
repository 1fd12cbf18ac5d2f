"""A static HTML report of the dataset and the runs: ``scrapy report``.

One file that opens in any browser with no network: the plots are matplotlib figures
inlined as SVG (text drawn as paths, so no font is fetched; no script at all), each with a
caption and a small table of the numbers behind it. What it shows:

1. articles per period (month, quarter or year, whichever is not sparse), bars by language;
2. the distribution of the latest views (log-spaced bins, by language);
3. records per crawl (one point each, on a time axis) and field coverage of the crawls with
   enough records for the monitors to judge it (from ``runs/*.json``); a re-extraction
   (``scrapy reextract``) is no crawl: a distinct marker at the time of the crawl it re-reads;
4. rejects by reason (from the crawls' ``rejects/*.jsonl``, which exist even for a crawl
   that crashed; a re-extraction judges the same fetches again and is not counted twice);
5. the open rejects (pages not records yet) as the newest run summary lists them;
6. views over time of the most-read articles, and edits and removals per month
   (``crawler.report.history``, from ``views.parquet``, ``revisions.parquet``, ``removed_at``);
7. why each failed crawl failed (its failed checks, from its summary).

The numbers come from ``crawler.report.data``, the figures from ``crawler.report.plots``.
Every drawn series carries an SVG id (``lang-en-2024``, ``coverage-views``...) so tests
and readers can find it.
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from crawler.dataset import schema_version
from crawler.disk import write_atomic
from crawler.items import OPTIONAL_FIELDS
from crawler.ledger import LEDGER_COLUMNS, ledger_rows
from crawler.report.data import TOP_ARTICLES, ReportData, collect
from crawler.report.history import (
    edits_removals_counts,
    plot_edits_removals,
    plot_views_over_time,
)
from crawler.report.plots import figures, svg
from crawler.runs.instants import run_start
from crawler.runs.reading import is_reextraction
from crawler.site import LAYERS

#: "No value" in the tables (a run without records has no coverage).
MISSING = "\u2013"
#: Where ``scrapy report`` writes by default, under ANALYTICS_OUTPUT_DIR.
REPORT_NAME = "report.html"


def percent(share: float | None) -> str:
    """A share as the plots show it (``53.3%``, ``100%``), or an en dash when there is none."""
    if share is None:
        return MISSING
    return f"{share * 100:.1f}".removesuffix(".0") + "%"


def all_figures(data: ReportData, min_records: int) -> dict[str, Figure | None]:
    """Every plot of the report by figure id, in page order (None: nothing to draw)."""
    return {**figures(data, min_records), "views-over-time": plot_views_over_time(data),
            "edits-removals": plot_edits_removals(data)}


def failed_crawls_section(runs: list[dict[str, Any]]) -> str:
    """Why each failed crawl failed: its failed checks and what each saw."""
    failed = [run for run in runs if run.get("status") == "failed"]
    if not failed:
        return ('<section id="failed-crawls"><h2>Failed crawls</h2><p>None: every crawl '
                "passed its checks.</p></section>")
    rows = [[run["run_id"], run.get("records", {}).get("total", 0), name, why]
            for run in sorted(failed, key=lambda run: run["run_id"])
            for name, why in (run.get("failed_checks") or {"unknown": "no failed check "
                                                            "recorded"}).items()]
    return ('<section id="failed-crawls"><h2>Failed crawls</h2><p>Why each failed crawl '
            "failed: the checks it did not pass (its run summary's failed_checks).</p>"
            f"{_table(['crawl', 'records', 'failed check', 'what it saw'], rows)}</section>")


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


def plural(count: int, noun: str) -> str:
    """``1 run``, ``7 runs``."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _cell(value: Any) -> str:
    return MISSING if value is None else str(value)


def _table(header: list[str], rows: list[list[Any]]) -> str:
    head = "".join(f"<th>{html.escape(str(cell))}</th>" for cell in header)
    head = f"<thead><tr>{head}</tr></thead>" if any(header) else ""
    body = "".join("<tr>" + "".join(f"<td>{html.escape(_cell(cell))}</td>" for cell in row)
                   + "</tr>" for row in rows)
    return f"<table>{head}<tbody>{body}</tbody></table>"


def _figure(figure_id: str, title: str, figure: Figure | None, caption: str,
            table: str) -> str:
    """A plot with its caption and numbers; with nothing to draw, the caption alone."""
    if figure is None:
        return (f'<figure id="{figure_id}"><p><strong>{html.escape(title)}.</strong> '
                f"{html.escape(caption)}</p></figure>")
    return (
        f'<figure id="{figure_id}" role="img" aria-label="{html.escape(title)}">'
        f"{svg(figure)}<figcaption><strong>{html.escape(title)}.</strong> "
        f"{html.escape(caption)}<details><summary>numbers</summary>{table}</details>"
        "</figcaption></figure>"
    )


def open_rejects_section(rejects: list[dict[str, Any]]) -> str:
    """The open rejects as a table: pages to tell the site's editors about."""
    if not rejects:
        return ('<section id="open-rejects"><h2>Open rejects</h2><p>None: every article the '
                "last run saw is a record.</p></section>")
    rows = [[entry.get("url"), entry.get("reason"), entry.get("since"), entry.get("attempts"),
             entry.get("next_retry")] for entry in rejects]
    return (
        '<section id="open-rejects"><h2>Open rejects</h2><p>Articles the site shows that are '
        "not records yet (tell its editors); each is retried until it becomes one.</p>"
        f"{_table(['url', 'reason', 'since', 'attempts', 'next retry'], rows)}</section>"
    )


def provenance_section(runs: list[dict[str, Any]]) -> str:
    """Where the newest run's fields came from (layer by field and language), where its
    selectors and structured data disagreed, and every run a monitor flagged."""
    if not runs:
        return ""
    newest = max(runs, key=lambda summary: summary["run_id"])
    provenance = newest.get("provenance") or {}
    compared = provenance.get("compared", {})
    rows = [[name, lang, *(layers.get(layer, 0) for layer in LAYERS),
             compared.get(name, {}).get("pages", MISSING) if lang == "all" else "",
             compared.get(name, {}).get("disagreed", MISSING) if lang == "all" else ""]
            for lang, fields in [("all", provenance.get("by_field", {})),
                                 *sorted(provenance.get("by_lang", {}).items())]
            for name, layers in sorted(fields.items())]
    flagged = [[run_name(run), name, why] for run in sorted(runs, key=lambda r: r["run_id"])
               for name, why in (run.get("warnings") or {}).items()]
    return (
        '<section id="provenance"><h2>Where the fields came from</h2>'
        f"<p>Run {html.escape(run_name(newest))}: records (listing pages for cards) whose "
        "field each layer gave: the site's selectors, the page's structured data, the finder "
        "by the site's rules; and the pages where the selectors and the structured data were "
        "compared, and disagreed.</p>"
        + _table(["field", "language", *LAYERS, "compared", "disagreed"], rows)
        + ("<p>Runs flagged (their records kept):</p>"
           + _table(["run", "monitor", "what to fix"], flagged) if flagged else
           "<p>No run was flagged.</p>")
        + "</section>"
    )


def ledger_section(runs: list[dict[str, Any]]) -> str:
    """The newest crawl's ledger: every article URL it learned and what became of it."""
    newest = max(runs, key=lambda summary: summary["run_id"], default={})
    if not newest.get("ledger"):
        return ""
    return (
        '<section id="ledger"><h2>Ledger of the latest crawl</h2><p>Every article URL the '
        f"crawl {newest['run_id']} learned of, and its one outcome: delivered, known (an "
        "earlier run delivered it), rejected with a reason, or excluded by a named rule.</p>"
        f"{_table(list(LEDGER_COLUMNS), ledger_rows(newest['ledger']))}</section>"
    )


def latest_run(data: ReportData) -> str:
    """The newest crawl in one line (a single crawl is a number here, not a lonely point)."""
    if not data.runs:
        return MISSING
    run = max(data.runs, key=lambda summary: summary["run_id"])
    return (f"{run_start(run['run_id']):%d %b %Y %H:%M} UTC, {run.get('status')}: "
            f"{run.get('records', {}).get('total', 0)} records, "
            f"{run.get('rejects', {}).get('total', 0)} rejects")


def run_name(run: dict[str, Any]) -> str:
    """A run's id, and for a re-extraction the crawl whose archive it read."""
    if is_reextraction(run):
        return f"{run['run_id']} (re-extraction of {run['archive_run']})"
    return str(run["run_id"])


def reextractions_fact(reextractions: list[dict[str, Any]]) -> str:
    """How many re-extractions there are, and of which crawls (``1, of 20261128T...``)."""
    if not reextractions:
        return "0"
    crawls = sorted({str(run["archive_run"]) for run in reextractions})
    return (f"{len(reextractions)}, of {'crawl' if len(crawls) == 1 else 'crawls'} "
            + ", ".join(crawls))


def reextractions_caption(reextractions: list[dict[str, Any]]) -> str:
    """What the hexagons of the records plot are, and why they are not crawls."""
    return (f"{plural(len(reextractions), 're-extraction').capitalize()} (scrapy reextract: "
            "a crawl's archived pages extracted again, a correction of that crawl, not a "
            "crawl): a hollow black hexagon each, at the time of the crawl re-read and at the "
            "records rebuilt; not counted as crawls, their coverage in the table only.")


def run_files_fact(manifest: dict[str, Any], reextractions: list[dict[str, Any]]) -> str:
    """The run files in the dataset (as its card counts them), crawls' and re-extractions'."""
    files = [str(run.get("run_id")) for run in manifest.get("runs", [])]
    redone = sum(run["run_id"] in files for run in reextractions)
    if not redone:
        return str(len(files))
    return f"{len(files)}: {len(files) - redone} of crawls, {redone} of re-extractions"


def render(data: ReportData, output_dir: Path, min_records: int) -> str:
    """The whole report as one HTML document."""
    manifest = data.manifest or {}
    langs = data.langs
    period, months = data.period()
    period_table = _table([period, *langs, "total"], [
        [label, *(counts[lang] for lang in langs), sum(counts.values())]
        for label, _, counts in data.per_period(months)])
    views_all = sorted(value for values in data.views.values() for value in values)
    views_rows = [[lang, len(data.views[lang]), min(data.views[lang]),
                   sorted(data.views[lang])[len(data.views[lang]) // 2],
                   max(data.views[lang])] for lang in langs if data.views.get(lang)]
    runs_table = _table(["run", "status", "failed checks", "records", *OPTIONAL_FIELDS], [
        [run_name(run), run.get("status"), ", ".join(run.get("failed_checks") or {}) or None,
         run.get("records", {}).get("total"),
         *(percent(run.get("field_coverage", {}).get(name)) for name in OPTIONAL_FIELDS)]
        for run in sorted(data.runs + data.reextractions, key=lambda run: run["run_id"])])
    small = sum(int(run.get("records", {}).get("total", 0)) < min_records for run in data.runs)
    rejects_table = _table(["reason", "rejects"], [list(item) for item in
                                                   data.rejects.most_common()])
    plots = all_figures(data, min_records)
    zero = sum(int(run.get("records", {}).get("total", 0)) == 0 for run in data.runs)
    observations = sum(len(points) for *_, points in data.top_series)
    sections = [
        _figure("articles-per-period", f"Articles per {period} by language",
                plots["articles-per-period"],
                f"{data.rows} articles of the dataset by {period} of publication (Baku time), "
                f"one bar per language; counted by {period} so that bars are not mostly "
                "zeros and ones.", period_table),
        _figure("views-distribution", "Distribution of the latest views",
                plots["views-distribution"],
                f"{len(views_all)} articles with a views counter"
                + (f" (median {views_all[len(views_all) // 2]})" if views_all else "")
                + f"; {data.views_missing} without one are not drawn.",
                _table(["language", "articles", "min", "median", "max"], views_rows)),
        _figure("runs-over-time", "Records and field coverage per crawl",
                plots["runs-over-time"],
                f"{plural(len(data.runs), 'crawl')}: records written by each, one point per "
                "crawl (failed crawls in red"
                + (f"; {plural(zero, 'crawl')} with no records, a cross on the zero line"
                   if zero else "") + "). Below, the share of a crawl's records having "
                f"each optional field, for crawls of at least {min_records} records, the least "
                "the field_coverage monitor judges (ANALYTICS_MONITOR_COVERAGE_MIN_RECORDS)"
                + (f"; the {plural(small, 'smaller crawl')} are hollow above and not drawn "
                   "below" if small else "") + "."
                + (f" {reextractions_caption(data.reextractions)}" if data.reextractions
                   else ""), runs_table),
        _figure("rejects-by-reason", "Rejects by reason", plots["rejects-by-reason"],
                f"{sum(data.rejects.values())} articles that could not become records, by "
                "reason, over every crawl's rejects file." if data.rejects else
                f"No rejects in any crawl ({plural(len(data.runs), 'crawl')}).", rejects_table),
        _figure("views-over-time", "Views over time of the most-read articles",
                plots["views-over-time"],
                f"The {TOP_ARTICLES} articles with the most views, their counter at each of "
                f"the {observations} readings (views.parquet), one line per article in the "
                "colour of its language.",
                _table(["article", "language", "readings", "first", "latest"], [
                    [title, lang, len(points), points[0][1] if points else None,
                     points[-1][1] if points else None]
                    for _, title, lang, points in data.top_series])),
        _figure("edits-removals", "Edits and removals per month", plots["edits-removals"],
                f"{sum(data.edits.values())} edits (revisions.parquet) and "
                f"{sum(data.removals.values())} articles removed from the site (removed_at), "
                "by month (Baku time)." if data.edits or data.removals else
                "No article was edited or removed from the site.",
                _table(["month", "edits", "removals"], edits_removals_counts(data))),
    ]
    facts = _table(["", ""], [
        ["articles (rows)", data.rows],
        ["dataset version", manifest.get("dataset_version")],
        ["schema version", manifest.get("schema_version", schema_version())],
        ["publication dates", " to ".join(map(str, manifest.get("date_range") or [MISSING]))],
        ["run files consolidated", run_files_fact(manifest, data.reextractions)],
        ["crawls", len(data.runs)],
        ["re-extractions", reextractions_fact(data.reextractions)],
        ["latest crawl", latest_run(data)],
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
        f"to it).</p>{facts}{''.join(sections)}{failed_crawls_section(data.runs)}"
        f"{provenance_section(data.runs + data.reextractions)}"
        f"{ledger_section(data.runs)}"
        f"{open_rejects_section(data.open_rejects)}"
        "</body></html>\n"
    )


#: External references the report must not have (it opens offline).
EXTERNAL_REFERENCE = re.compile(
    r"<(script|link|img|iframe|source|video|audio)\b[^>]*\b(src|href)\s*=\s*[\"']?\s*(https?:)?//"
    r"|@import|url\(\s*[\"']?\s*(https?:)?//", re.IGNORECASE)


def write_report(output_dir: Path, min_records: int, destination: Path | None = None) -> Path:
    """Write the report for ``output_dir`` (default ``<output_dir>/report.html``), atomically.

    ``min_records``: ANALYTICS_MONITOR_COVERAGE_MIN_RECORDS, below which a run's coverage
    is not drawn (as the monitors do not judge it).
    """
    destination = destination or output_dir / REPORT_NAME
    text = render(collect(output_dir), output_dir, min_records)
    if EXTERNAL_REFERENCE.search(text):  # a plot or template change must never add one
        raise ValueError("the report would load something from the network")
    write_atomic(destination, text)
    return destination


def write_plots(output_dir: Path, min_records: int, directory: Path) -> list[Path]:
    """Each drawn plot of the report as ``<directory>/<figure id>.png`` (for slides, issues)."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, figure in all_figures(collect(output_dir), min_records).items():
        if figure is not None:
            path = directory / f"{name}.png"
            figure.savefig(path, format="png", dpi=120, bbox_inches="tight")
            written.append(path)
    return written
