"""End to end: a crawl archives every answer; ``scrapy reextract`` fixes a wrong selector
without a request to the site; a killed crawl's archive is repaired and re-extracts whole."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from warcio.archiveiterator import ArchiveIterator

from tests.crawl import (
    KILLED,
    PAST_LAST,
    by_url,
    kill_crawl_after,
    read_lines,
    run_crawl,
    run_reextract,
    scrapy,
    without_crawler_fields,
)
from tests.replica.handle import ReplicaHandle

pytestmark = pytest.mark.e2e
WARCIO = Path(sys.executable).parent / "warcio"


def warcio_check(path: Path) -> subprocess.CompletedProcess[str]:
    """``warcio check`` (every record parses, every digest matches) on one archive."""
    return subprocess.run([str(WARCIO), "check", "-v", str(path)], capture_output=True,
                          text=True, timeout=120, check=False)


def responses(path: Path) -> dict[str, list[tuple[str, str]]]:
    """Target URI -> [(status, WARC-Date)] of every response record, opened by warcio."""
    found: dict[str, list[tuple[str, str]]] = {}
    with path.open("rb") as handle:
        for record in ArchiveIterator(handle):
            if record.rec_type == "response":
                found.setdefault(record.rec_headers.get_header("WARC-Target-URI"), []).append(
                    (record.http_headers.get_statuscode(),
                     record.rec_headers.get_header("WARC-Date")))
    return found


def state_files(output_dir: Path) -> dict[str, bytes]:
    """The state store's files (database, WAL, lock), byte for byte."""
    return {path.name: path.read_bytes() for path in output_dir.glob("state.sqlite3*")}


def run_file(output_dir: Path, run_id: str) -> list[dict[str, Any]]:
    path = output_dir / "articles" / f"{run_id}.jsonl"
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


def test_a_wrong_selector_is_fixed_from_the_archive_without_a_request(tmp_path: Path) -> None:
    with ReplicaHandle(articles=30, seed=16, faults="503:0.1") as replica:
        # Without the fallback layers (which would deliver the subtitle and flag the run).
        crawl = run_crawl(replica.base_url, tmp_path, "mode=full",
                          settings={"ANALYTICS_SELECTORS": '{"subtitle": ".nope"}',
                                    "ANALYTICS_FIELD_LAYERS": "selector"}, endings=PAST_LAST)
        truth = by_url(replica.truth())
        assert crawl.returncode == 3, crawl.log[-3000:]  # the coverage monitor saw it
        assert "field_coverage" in crawl.summary["failed_checks"]
        crawl_run, records = crawl.summary["run_id"], crawl.records
        assert len(records) == len(truth)
        assert all(record["subtitle"] is None for record in records)
        assert any(record["subtitle"] for record in truth.values())

        archive = Path(crawl.summary["files"]["archive"])
        check = warcio_check(archive)
        assert check.returncode == 0, check.stdout[-3000:]
        assert "digest pass" in check.stdout
        answers = responses(archive)
        statuses = {status for answer in answers.values() for status, _ in answer}
        assert any(url.endswith("/robots.txt") for url in answers)
        assert statuses - {"200"}, "error answers (the replica's faults, a 404) are archived"
        dates = {date for got in answers.values() for status, date in got if status == "200"}
        for record in records:  # scraped_at is the instant of the answer it came from
            assert record["scraped_at"] in dates

        before, state = len(replica.requests()), state_files(tmp_path)
        reextract = run_reextract("--all", output_dir=tmp_path)
        time.sleep(0.2)
        assert len(replica.requests()) == before, "re-extraction sent a request"
        assert state_files(tmp_path) == state, "re-extraction changed the state"
    assert reextract.returncode == 0, reextract.stderr[-3000:]
    summaries = [s for s in read_summaries(tmp_path) if s.get("source") == "archive"]
    assert [s["archive_run"] for s in summaries] == [crawl_run]
    assert summaries[0]["status"] == "ok" and summaries[0]["requests"]["total"] == 0
    fixed = run_file(tmp_path, summaries[0]["run_id"])
    assert sorted((r["id"], r["scraped_at"]) for r in fixed) == \
        sorted((r["id"], r["scraped_at"]) for r in records)

    dataset = scrapy("dataset", output_dir=tmp_path)
    assert dataset.returncode == 0, dataset.stderr[-3000:]
    rows = read_lines(tmp_path / "dataset")
    assert len(rows) == len(truth)
    for row in rows:  # the record's fields as the fixed parser reads them, never an edit
        assert {name: value for name, value in without_crawler_fields(row).items()
                if name in truth[row["url"]]} == truth[row["url"]]
        assert row["revision"] == 1 and row["edited_at"] is None
    card = (tmp_path / "dataset" / "README.md").read_text("utf-8")
    assert f"| {summaries[0]['run_id']} |" in card and f"| {len(truth)} |" in card


def read_summaries(output_dir: Path) -> list[dict[str, Any]]:
    return [json.loads(path.read_text("utf-8"))
            for path in sorted((output_dir / "runs").glob("*.json"))]


def test_a_killed_crawl_leaves_an_archive_that_re_extracts_what_it_delivered(
    tmp_path: Path,
) -> None:
    with ReplicaHandle(articles=60, seed=9) as replica:
        kill_crawl_after(replica.base_url, tmp_path, 25, endings=KILLED)
        killed_run = next((tmp_path / "archive").glob("*.warc.gz")).name[: -len(".warc.gz")]
        final = run_crawl(replica.base_url, tmp_path, "refresh_days=0", endings=PAST_LAST)
    assert final.returncode == 0, final.log[-3000:]
    assert warcio_check(tmp_path / "archive" / f"{killed_run}.warc.gz").returncode == 0
    delivered = run_file(tmp_path, killed_run)  # its torn last line was cut by the next run
    assert len(delivered) >= 25

    reextract = run_reextract("--run", killed_run, output_dir=tmp_path)
    assert reextract.returncode == 0, reextract.stderr[-3000:]
    summary = next(s for s in read_summaries(tmp_path) if s.get("archive_run") == killed_run)
    rebuilt = {record["id"]: record for record in run_file(tmp_path, summary["run_id"])}
    for record in delivered:
        assert rebuilt.get(record["id"]) == record


@pytest.mark.parametrize(("arguments", "message"), [
    ((), "--run/--all: given neither; expected --run RUN (repeatable) or --all"),
    (("--all", "--run", "20261128T071500.123Z"), "--run/--all: given both"),
    (("--all",), "--all: given an output directory without archives; expected"),
    (("--run", "20261128T071500.123Z"), "--run: given 20261128T071500.123Z; expected the run id"),
    (("--all", "-s", "ANALYTICS_ARCHIVE_GZIP_LEVEL=12"),
     "ANALYTICS_ARCHIVE_GZIP_LEVEL: given '12'; expected a whole number from 1 to 9"),
])
def test_a_wrong_reextract_is_refused_before_any_work(
    tmp_path: Path, arguments: tuple[str, ...], message: str,
) -> None:
    refused = run_reextract(*arguments, output_dir=tmp_path)
    assert refused.returncode == 2
    assert message in refused.stderr
    assert not (tmp_path / "runs").exists()
