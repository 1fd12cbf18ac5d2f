"""Output directories of the shapes ``scrapy report`` must read well at, without crawling.

Three data sets, written as a crawl writes them (run files, run summaries, rejects):

- ``decade``: one run of 120 articles published over 12 years (months would be sparse);
- ``minutes``: 7 crawls a few minutes apart, some of 0-3 records, one failed, with rejects,
  and a re-extraction of the crawl of 25 records (subtitles found by a fixed selector, two
  pages now rejected);
- ``single``: one run of 40 articles from the last four months, no rejects.

``python -m tests.report_samples DIR`` writes them under DIR and runs ``scrapy report
--png`` on each, so the report and its four plots can be looked at (``DIR/<name>/``).
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from crawler.items import OPTIONAL_FIELDS
from crawler.runs.files import to_json_line
from tests.crawl import ROOT

LANGS = ("en", "ru", "hy")
#: Reasons a rejected article is written with (those of the crawler's pipelines).
REJECT_REASONS = ("missing_title", "missing_body", "bad_date")


def article(number: int, published: datetime, scraped: datetime, rng: random.Random
            ) -> dict[str, Any]:
    """A valid record of article ``number``, with its optional fields filled at random."""
    lang = LANGS[number % len(LANGS)]
    return {
        "url": f"https://caliber.az/{lang}/post/sample-{number}", "id": f"{number:020x}",
        "lang": lang, "title": f"Title {number}",
        "subtitle": f"Subtitle {number}" if rng.random() < 0.7 else None,
        "date": published.strftime("%Y-%m-%dT%H:%M:00+04:00"),
        "category": "ANALYTICS" if rng.random() < 0.9 else None,
        "views": int(10 ** rng.uniform(1.5, 4.5)) if rng.random() < 0.8 else None,
        "body": "Text.", "author": "A. Author" if rng.random() < 0.3 else None,
        "image": None, "scraped_at": scraped.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def write_run(output: Path, started: datetime, records: list[dict[str, Any]],
              rejects: int = 0, failed: bool = False, archive_run: str | None = None,
              gone: tuple[str, ...] = ()) -> str:
    """The run's articles file, rejects file and summary (the fields the report reads);
    with ``archive_run``, a re-extraction of that run (``scrapy reextract``); ``gone``: known
    articles its refreshes found gone (410)."""
    run_id = started.strftime("%Y%m%dT%H%M%S.000Z")
    for directory in ("articles", "rejects", "runs"):
        (output / directory).mkdir(parents=True, exist_ok=True)
    (output / "articles" / f"{run_id}.jsonl").write_bytes(
        b"".join(to_json_line(record) for record in records))
    reasons = [REJECT_REASONS[number % len(REJECT_REASONS)] for number in range(rejects)]
    (output / "rejects" / f"{run_id}.jsonl").write_bytes(b"".join(
        to_json_line({"url": f"https://caliber.az/en/post/broken-{number}", "reason": reason})
        for number, reason in enumerate(reasons)))
    total = len(records)
    summary: dict[str, Any] = {
        "run_id": run_id, "spider": "analytics", "status": "failed" if failed else "ok",
        "failed_checks": {"finished_normally": "sample failure"} if failed else {},
        "started_at": started.isoformat(), "finish_reason": "finished",
        "records": {"total": total, "by_lang": dict(Counter(r["lang"] for r in records))},
        "rejects": {"total": rejects, "by_reason": dict(Counter(reasons))},
        "field_coverage": {name: round(sum(r[name] is not None for r in records) / total, 4)
                           if total else None for name in OPTIONAL_FIELDS},
    }
    if archive_run is not None:
        summary.update(source="archive", archive_run=archive_run)
    if gone:
        summary["refresh"] = {"gone": [{"url": url, "status": 410, "in_a_row": 1,
                                        "seen_at": started.strftime("%Y-%m-%dT%H:%M:%SZ")}
                                       for url in gone]}
    (output / "runs" / f"{run_id}.json").write_text(json.dumps(summary), "utf-8")
    return run_id


def decade(output: Path) -> None:
    """One run of 120 articles spread evenly over 2015-2026 (0-4 a month)."""
    rng = random.Random(12)
    started = datetime(2026, 11, 28, 7, 15, tzinfo=UTC)
    first = datetime(2015, 1, 10, 9, 0)
    records = [article(number, first + timedelta(days=number * 36.4), started, rng)
               for number in range(120)]
    write_run(output, started, records)


def minutes(output: Path) -> None:
    """7 crawls four to five minutes apart: 40, 2, 1, 25, 0 (failed), 3, 30 records; then a
    re-extraction of the 25-record crawl that finds every subtitle and rejects two pages."""
    rng = random.Random(7)
    sizes = (40, 2, 1, 25, 0, 3, 30)
    number = 0
    crawls: dict[int, tuple[str, list[dict[str, Any]]]] = {}
    for index, size in enumerate(sizes):
        started = datetime(2026, 11, 28, 7, 2, tzinfo=UTC) + timedelta(minutes=4.5 * index)
        records = []
        for _ in range(size):
            published = datetime(2026, 3, 1, 10) + timedelta(days=number * 2.5)
            records.append(article(number, published, started, rng))
            number += 1
        crawls[size] = (write_run(output, started, records, rejects=index % 3,
                                  failed=size == 0), records)
    archive_run, records = crawls[25]
    write_run(output, datetime(2026, 11, 28, 9, 40, tzinfo=UTC),
              [dict(record, subtitle=f"Subtitle of {record['id']}") for record in records[2:]],
              rejects=2, archive_run=archive_run)


def single(output: Path) -> None:
    """One run of 40 articles published from August to November 2026."""
    rng = random.Random(1)
    started = datetime(2026, 11, 28, 7, 15, tzinfo=UTC)
    records = [article(number, datetime(2026, 8, 3, 12) + timedelta(days=number * 2.9),
                       started, rng) for number in range(40)]
    write_run(output, started, records)


def history(output: Path) -> None:
    """Four daily crawls of 30 articles: day 1 all of them; days 2 and 4 refresh them with more
    views (article 3 edited on day 2, article 0 gone from day 2 on: removed), day 3 a
    failed crawl with no records."""
    rng = random.Random(27)
    day1 = datetime(2026, 10, 30, 6, 0, tzinfo=UTC)
    first = [article(number, datetime(2026, 9, 1, 10) + timedelta(days=number * 1.9), day1, rng)
             for number in range(30)]
    write_run(output, day1, first)
    for day, gained in ((1, 400), (3, 900)):
        started = day1 + timedelta(days=day)
        refreshed = []
        for record in first[1:]:
            views = record["views"] + gained * (1 + int(record["id"], 16) % 3) \
                if record["views"] is not None else None
            refreshed.append(dict(record, views=views,
                                  scraped_at=started.strftime("%Y-%m-%dT%H:%M:%SZ")))
        refreshed[2] = dict(refreshed[2], title=f"{refreshed[2]['title']} (revised)",
                            body="Text, revised.")
        write_run(output, started, refreshed, gone=(first[0]["url"],))
    write_run(output, day1 + timedelta(days=2), [], failed=True)


SAMPLES = {"decade": decade, "minutes": minutes, "single": single, "history": history}


def report(output: Path, *options: str) -> subprocess.CompletedProcess[str]:
    """``scrapy report <options>`` on ``output`` as a subprocess."""
    return subprocess.run(
        [sys.executable, "-m", "scrapy", "report", *options,
         "-s", f"ANALYTICS_OUTPUT_DIR={output}"],
        cwd=ROOT, capture_output=True, text=True, timeout=180, check=False)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m tests.report_samples DIR", file=sys.stderr)
        return 2
    for name, build in SAMPLES.items():
        output = Path(argv[0]).resolve() / name
        build(output)
        completed = report(output, "--png", str(output / "plots"))
        print(completed.stdout.strip() or completed.stderr[-2000:])
        if completed.returncode:
            return completed.returncode
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
