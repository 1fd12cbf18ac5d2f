"""Rows that come from ``scrapy reextract``: which ones, from which run, and when.

A re-extraction writes the records of an archived run again, with the same ``id`` and
``scraped_at`` as the fetch they come from; the store keeps the later run's record of the
same fetch (its ``latest_key`` is ``scraped_at|run|line``), and a re-extraction always runs
after the run it re-reads. This module only names those rows for the card and the manifest.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from crawler.runs.reading import is_reextraction, run_summaries


@dataclass
class Reextraction:
    """A re-extraction run whose records are rows of the dataset: which rows, and when."""

    run_id: str
    archive_run: str
    reextracted_at: str
    ids: list[str]


def reextracted_rows(connection: sqlite3.Connection, output_dir: Path) -> list[Reextraction]:
    """The rows whose kept record comes from a re-extraction (``"source": "archive"`` in the
    run's summary), by re-extraction run, oldest first."""
    runs: dict[str, Reextraction] = {}
    for summary in run_summaries(output_dir):
        if is_reextraction(summary):
            runs[summary["run_id"]] = Reextraction(
                summary["run_id"], summary["archive_run"], summary.get("started_at") or "", [])
    if runs:
        for article_id, key in connection.execute(
                "SELECT id, latest_key FROM articles ORDER BY id"):
            run = runs.get(key.split("|")[1])
            if run is not None:
                run.ids.append(article_id)
    return [run for run in runs.values() if run.ids]


def reextraction_card(reextracted: list[Reextraction]) -> str:
    """The card's section on re-extracted rows (empty when there are none)."""
    if not reextracted:
        return ""
    lines = ["## Re-extracted rows", "",
             "These rows come from `scrapy reextract`: the page as archived by the run that "
             "fetched it, extracted again by a later version of the crawler (same `id`, same "
             "`scraped_at`). `manifest.json` lists their ids under `reextracted`.", "",
             "| re-extraction run | re-extracted at | archive of run | rows |",
             "|---|---|---|---:|"]
    lines += [f"| {run.run_id} | {run.reextracted_at} | {run.archive_run} | {len(run.ids)} |"
              for run in reextracted]
    return "\n".join(lines) + "\n"
