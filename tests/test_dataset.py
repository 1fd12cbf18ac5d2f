"""``scrapy dataset``: two days of real runs consolidate into one row per article; the
store is incremental, idempotent and atomic; Parquet reads back with the same rows and types.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from jsonschema import Draft202012Validator

from crawler.dataset import ROW_FIELDS, DatasetError, consolidate, row_schema, schema_version
from crawler.runs.files import to_json_line
from crawler.runs.instants import format_instant
from tests.crawl import PAST_LAST, ROOT, run_crawl, scrapy
from tests.replica.handle import ReplicaHandle


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


def iso(value: datetime) -> str:
    """A Parquet timestamp back in the JSON form of its field."""
    if value.tzinfo == UTC or str(value.tzinfo) == "UTC":
        return format_instant(value)  # a fetch's instant, to the millisecond
    return value.isoformat()


def fingerprint(directory: Path) -> dict[str, tuple[str, int]]:
    """Digest and mtime of every published file of a dataset directory."""
    return {path.name: (hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns)
            for path in sorted(directory.iterdir())
            if path.is_file() and not path.name.startswith((".", "store"))}


# --- end to end: two days of crawls against the replica -------------------------------------
@pytest.fixture(scope="module")
def two_days(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Day 1: a full crawl. Day 2: views raised, two articles published, a full crawl again."""
    output = tmp_path_factory.mktemp("two-days")
    with ReplicaHandle(articles=30, seed=5, log=False) as site:
        day1 = run_crawl(site.base_url, output, "mode=full", endings=PAST_LAST)
        assert day1.returncode == 0, day1.log[-3000:]
        truth1 = site.truth()
        site.raise_views(1000)
        published = site.publish(2)
        time.sleep(0.01)  # scraped_at has milliseconds: day 2 is strictly later
        day2 = run_crawl(site.base_url, output, "mode=full", endings=PAST_LAST)
        assert day2.returncode == 0, day2.log[-3000:]
        truth2 = site.truth()
    first = scrapy("dataset", output_dir=output)
    assert first.returncode == 0, first.stderr[-3000:]
    return {"output": output, "truth1": truth1, "truth2": truth2, "published": published,
            "summaries": day2.summaries, "stdout": first.stdout}


@pytest.mark.e2e
def test_two_days_consolidate_into_one_row_per_article_with_latest_views(two_days):
    output = two_days["output"]
    rows = read_jsonl(output / "dataset" / "articles.jsonl")
    truth = {record["url"]: record for record in two_days["truth2"]}
    assert len(rows) == len({row["id"] for row in rows}) == len(truth) == 32
    runs = [read_jsonl(Path(summary["files"]["articles"])) for summary in two_days["summaries"]]
    assert [len(run) for run in runs] == [30, 32]  # day 2 re-read every article
    scraped = [{record["id"]: record["scraped_at"] for record in run} for run in runs]
    old_views = {record["url"]: record["views"] for record in two_days["truth1"]}
    for row in rows:
        assert list(row) == list(ROW_FIELDS)
        expected = truth[row["url"]]
        assert {key: row[key] for key in expected} == expected  # latest views, every field
        assert row["scraped_at"] == row["last_seen"] == scraped[1][row["id"]]
        if row["url"] in two_days["published"]:
            assert row["first_seen"] == row["last_seen"]
        else:
            assert row["first_seen"] == scraped[0][row["id"]] < row["last_seen"]
            if expected["views"] is not None:
                assert row["views"] == old_views[row["url"]] + 1000
    instants = [(datetime.fromisoformat(row["date"]).astimezone(UTC), row["id"]) for row in rows]
    assert instants == sorted(instants)
    validator = Draft202012Validator(json.loads((output / "dataset" / "schema.json").read_text()))
    for row in rows:
        validator.validate(row)
    assert "Dataset v1 (schema 1.1.0) written: 32 articles from 2 run files" in two_days["stdout"]


@pytest.mark.e2e
def test_parquet_reads_back_same_rows_and_types(two_days):
    directory = two_days["output"] / "dataset"
    table = pq.read_table(directory / "articles.parquet")
    types = {field.name: field.type for field in table.schema}
    assert list(types) == list(ROW_FIELDS)
    assert types["date"] == pa.timestamp("us", tz="Asia/Baku")
    for name in ("scraped_at", "first_seen", "last_seen"):
        assert types[name] == pa.timestamp("us", tz="UTC")
    assert types["views"] == pa.int64()
    assert types["title"] == pa.string()
    assert table.schema.metadata[b"caliber.schema_version"] == schema_version().encode()
    assert table.schema.metadata[b"caliber.dataset_version"] == b"1"
    back = [{name: iso(value) if isinstance(value, datetime) else value
             for name, value in row.items()} for row in table.to_pylist()]
    assert back == read_jsonl(directory / "articles.jsonl")


@pytest.mark.e2e
def test_card_and_manifest_describe_the_dataset(two_days):
    directory = two_days["output"] / "dataset"
    manifest = json.loads((directory / "manifest.json").read_text())
    rows = read_jsonl(directory / "articles.jsonl")
    assert manifest["dataset_version"] == 1 and manifest["schema_version"] == "1.1.0"
    assert manifest["rows"] == len(rows) and [run["lines"] for run in manifest["runs"]] == [30, 32]
    for name, facts in manifest["files"].items():
        assert hashlib.sha256((directory / name).read_bytes()).hexdigest() == facts["sha256"]
    card = (directory / "README.md").read_text()
    assert "[Caliber.az](https://caliber.az)" in card and "hyperlink" in card
    assert "1.1.0" in card and f"| rows | {len(rows)} " in card
    for lang in ("en", "ru", "hy"):
        count = sum(row["lang"] == lang for row in rows)
        assert manifest["by_lang"][lang] == count
    coverage = sum(row["author"] is not None for row in rows)
    assert f"| `author` | {coverage} | {coverage / len(rows):.1%} |" in card
    assert f"| {rows[0]['date'][:4]} |" in card
    assert f"{rows[0]['date']} to {rows[-1]['date']}" in card


@pytest.mark.e2e
def test_second_call_reads_nothing_and_changes_nothing_then_exports_via_feed_storage(
        two_days, tmp_path):
    output = two_days["output"]
    before = fingerprint(output / "dataset")
    export = tmp_path / "exported"
    again = scrapy("dataset", "--export", f"file://{export}/articles-v%(dataset_version)s.parquet",
                   "--export", f"{export}/articles.jsonl", output_dir=output)
    assert again.returncode == 0, again.stderr[-3000:]
    assert "already up to date" in again.stdout and "read 0 new lines" in again.stdout
    assert "Exported to 2 of 2 feeds" in again.stdout
    assert fingerprint(output / "dataset") == before
    exported = pq.read_table(export / "articles-v1.parquet")
    assert exported.equals(pq.read_table(output / "dataset" / "articles.parquet"))
    assert read_jsonl(export / "articles.jsonl") == read_jsonl(output / "dataset" /
                                                                "articles.jsonl")


# --- unit: the store, on synthetic run files ------------------------------------------------
def record(number: int, views: int | None, scraped_at: str, lang: str = "en") -> dict[str, Any]:
    """A valid record of article ``number``."""
    return {
        "url": f"https://caliber.az/{lang}/post/article-{number}", "id": f"{number:020x}",
        "lang": lang, "title": f"Title {number}", "subtitle": None,
        "date": f"20{10 + number % 15:02d}-03-01T16:{number % 60:02d}:00+04:00",
        "category": "ANALYTICS", "views": views, "body": "Text.", "author": None,
        "image": None, "scraped_at": scraped_at,
    }


def write_run(output: Path, run_id: str, records: list[dict[str, Any]], tail: bytes = b"") -> Path:
    path = output / "articles" / f"{run_id}.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("ab") as handle:
        for item in records:
            handle.write(to_json_line(item))
        handle.write(tail)
    return path


def rows_by_id(output: Path) -> dict[str, dict[str, Any]]:
    return {row["id"]: row for row in read_jsonl(output / "dataset" / "articles.jsonl")}


def test_incremental_reads_only_new_lines_and_waits_for_a_whole_last_line(tmp_path):
    t1, t2, t3 = "2026-11-01T06:00:00Z", "2026-11-02T06:00:00Z", "2026-11-03T06:00:00Z"
    write_run(tmp_path, "20261101T060000.000Z", [record(n, 10, t1) for n in range(5)])
    first = consolidate(tmp_path)
    assert (first.rows, first.read.lines, first.dataset_version) == (5, 5, 1)
    partial = json.dumps(record(1, 99, t2)).encode()
    path = write_run(tmp_path, "20261102T060000.000Z", [record(0, 50, t2)], tail=partial[:30])
    second = consolidate(tmp_path)
    assert (second.read.lines, second.dataset_version) == (1, 2)  # the torn line waits
    assert rows_by_id(tmp_path)[f"{0:020x}"]["views"] == 50
    assert rows_by_id(tmp_path)[f"{1:020x}"]["views"] == 10
    with path.open("ab") as handle:
        handle.write(partial[30:] + b"\n")
    third = consolidate(tmp_path)
    assert (third.read.lines, third.read.files, third.dataset_version) == (1, 1, 3)
    rows = rows_by_id(tmp_path)
    assert rows[f"{1:020x}"]["views"] == 99 and rows[f"{1:020x}"]["first_seen"] == t1
    assert rows[f"{1:020x}"]["last_seen"] == t2
    # A run file arriving late with an older fetch does not win over a newer one.
    write_run(tmp_path, "20261103T060000.000Z", [record(1, 5, t1.replace("06", "05", 1)),
                                                 record(2, 77, t3)])
    consolidate(tmp_path)
    rows = rows_by_id(tmp_path)
    assert rows[f"{1:020x}"]["views"] == 99 and rows[f"{1:020x}"]["first_seen"] < t1
    assert rows[f"{2:020x}"]["views"] == 77 and rows[f"{2:020x}"]["last_seen"] == t3
    assert consolidate(tmp_path).written is False


def test_invalid_lines_are_skipped_and_counted(tmp_path):
    t1 = "2026-11-01T06:00:00Z"
    bad = dict(record(3, 1, t1), lang="de")
    write_run(tmp_path, "20261101T060000.000Z", [record(1, 1, t1), bad], tail=b"{oops\n")
    result = consolidate(tmp_path)
    assert (result.rows, result.read.lines, result.read.invalid) == (1, 3, 2)
    manifest = json.loads((tmp_path / "dataset" / "manifest.json").read_text())
    assert manifest["runs"] == [{"run_id": "20261101T060000.000Z", "bytes": manifest["runs"][0][
        "bytes"], "lines": 3, "invalid": 2}]


def test_the_card_lists_the_open_rejects_of_the_last_run(tmp_path):
    t1 = "2026-11-01T06:00:00Z"
    write_run(tmp_path, "20261101T060000.000Z", [record(1, 1, t1)])
    broken = {"url": "https://caliber.az/post/no-date", "reason": "missing_date", "since": t1,
              "attempts": 1, "next_retry": t1}
    for run_id, open_rejects in (("20261101T060000.000Z", []),
                                 ("20261102T060000.000Z", [broken])):
        (tmp_path / "runs").mkdir(exist_ok=True)
        (tmp_path / "runs" / f"{run_id}.json").write_text(
            json.dumps({"run_id": run_id, "open_rejects": open_rejects}))
    consolidate(tmp_path)
    card = (tmp_path / "dataset" / "README.md").read_text()
    assert f"| https://caliber.az/post/no-date | `missing_date` | {t1} |" in card


def test_a_replaced_run_file_is_refused_until_rebuild(tmp_path):
    t1 = "2026-11-01T06:00:00Z"
    path = write_run(tmp_path, "20261101T060000.000Z", [record(n, 1, t1) for n in range(3)])
    consolidate(tmp_path)
    path.unlink()
    write_run(tmp_path, "20261101T060000.000Z", [record(9, 1, t1)])
    with pytest.raises(DatasetError, match="--rebuild"):
        consolidate(tmp_path)
    rebuilt = consolidate(tmp_path, rebuild=True)
    assert rebuilt.rows == 1 and list(rows_by_id(tmp_path)) == [f"{9:020x}"]


def test_a_failure_while_writing_leaves_the_previous_dataset_intact(tmp_path):
    t1, t2 = "2026-11-01T06:00:00Z", "2026-11-02T06:00:00Z"
    write_run(tmp_path, "20261101T060000.000Z", [record(n, 1, t1) for n in range(4)])
    consolidate(tmp_path)
    directory = tmp_path / "dataset"
    before = fingerprint(directory)
    write_run(tmp_path, "20261102T060000.000Z", [record(n, 2, t2) for n in range(6)])
    obstacle = directory / ".articles.parquet.tmp"
    obstacle.mkdir()  # the Parquet file cannot be written: a crash in the middle
    with pytest.raises(OSError):
        consolidate(tmp_path)
    assert fingerprint(directory) == before
    assert not [p for p in directory.glob(".*.tmp") if p.is_file()]
    obstacle.rmdir()
    after = consolidate(tmp_path)  # the store did not advance: the new run is read now
    assert (after.dataset_version, after.rows, after.read.lines) == (2, 6, 6)
    assert {row["views"] for row in rows_by_id(tmp_path).values()} == {2}


def test_an_interrupted_publication_is_repaired(tmp_path):
    write_run(tmp_path, "20261101T060000.000Z", [record(1, 1, "2026-11-01T06:00:00Z")])
    consolidate(tmp_path)
    (tmp_path / "dataset" / "articles.parquet").unlink()  # as if the rename never happened
    repaired = consolidate(tmp_path)
    assert repaired.written and repaired.dataset_version == 1
    assert pq.read_table(tmp_path / "dataset" / "articles.parquet").num_rows == 1


def test_row_schema_extends_the_record_schema_with_the_same_version():
    schema = row_schema()
    assert schema["version"] == schema_version() == "1.1.0"
    assert schema["$id"].endswith(":1.1.0")
    assert list(schema["properties"]) == list(ROW_FIELDS)
    assert set(schema["required"]) == set(ROW_FIELDS)


MEMORY_PROBE = """
import json, resource, sys, time
from pathlib import Path
from crawler.dataset import consolidate
started = time.perf_counter()
result = consolidate(Path(sys.argv[1]))
print(json.dumps({"rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                  "rows": result.rows, "lines": result.read.lines,
                  "seconds": time.perf_counter() - started}))
"""


def test_memory_stays_flat_with_the_number_of_run_files(tmp_path):
    """Peak memory for 40 run files is within a few MB of that for 4 (same articles)."""
    figures = []
    for files in (4, 40):
        output = tmp_path / f"runs-{files}"
        for day in range(files):
            stamp = f"2026-{1 + day // 28:02d}-{1 + day % 28:02d}T06:00:00Z"
            run_id = stamp.replace("-", "").replace(":", "").replace("Z", ".000Z")
            write_run(output, run_id, [record(n, day, stamp, lang="ru")
                                       for n in range(day * 10, day * 10 + 600)])
        probe = subprocess.run([sys.executable, "-c", MEMORY_PROBE, str(output)], cwd=ROOT,
                               capture_output=True, text=True, timeout=120, check=True)
        figures.append(json.loads(probe.stdout))
    small, large = figures
    assert (small["lines"], large["lines"]) == (2400, 24000)
    assert large["rows"] == 600 + 39 * 10
    assert large["rss_kb"] - small["rss_kb"] < 20_000, figures


def mutations(base: dict[str, Any]) -> list[Any]:
    """Valid and invalid variants of a record: every field given every kind of wrong value."""
    wrong_values: list[Any] = [None, True, 0, -1, 1.5, "", " x", "x", "de", "https://caliber.az/en/post/a",
                    "2023-03-01T16:15:00+04:00", "2026-11-28T06:00:00Z", "0" * 20, [], {}]
    variants: list[Any] = [base, [], "text", {}]
    for name in base:
        variants.append({key: value for key, value in base.items() if key != name})
        variants += [dict(base, **{name: value}) for value in wrong_values]
    variants.append(dict(base, extra="field"))
    return variants


def test_the_record_check_agrees_with_jsonschema():
    from crawler.validation import RecordCheck, article_schema, fast_record_check

    schema = article_schema()
    check = RecordCheck(schema)
    assert check.fast is not None
    validator = Draft202012Validator(schema)
    base = record(7, 12, "2026-11-01T06:00:00Z")
    base.update(subtitle="Sub", author="A. Author", image="https://caliber.az/a.jpg")
    verdicts = [(check.first_error(item) is None, validator.is_valid(item))
                for item in mutations(base)]
    assert all(ours == theirs for ours, theirs in verdicts), [
        item for item, (ours, theirs) in zip(mutations(base), verdicts, strict=True)
        if ours != theirs]
    assert sum(ours for ours, _ in verdicts) > 10 and sum(not ours for ours, _ in verdicts) > 100
    assert fast_record_check(dict(schema, allOf=[])) is None  # unknown keyword: fall back
