"""The record contract: schema and item declaration agree; run files are whole lines."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from crawler.disk import write_json_atomic
from crawler.items import Article, field_docs
from crawler.runs.files import LineFile, cut_torn_line
from crawler.runs.instants import new_run_id, run_start
from crawler.runs.paths import RunPaths
from crawler.validation import article_schema
from tests.responses import sample_record
from tests.test_pages import ARTICLES, parse_sample


def test_schema_and_item_declare_the_same_fields_with_the_same_docs() -> None:
    properties = article_schema()["properties"]
    assert list(properties) == list(field_docs(Article))
    assert {name: spec["description"] for name, spec in properties.items()} == field_docs(Article)
    assert article_schema()["required"] == list(field_docs(Article))


@pytest.mark.parametrize("name", ARTICLES)
def test_sample_records_are_valid(name: str) -> None:
    Draft202012Validator(article_schema()).validate(parse_sample(name).to_record())


@pytest.mark.parametrize(
    ("field", "value"),
    [("lang", "az"), ("date", "2023-03-01 16:15"), ("views", -1), ("views", "12"),
     ("title", " padded "), ("scraped_at", "2026-11-28T06:00:00+00:00"), ("id", "x")],
)
def test_schema_refuses_broken_records(field: str, value: object) -> None:
    record = parse_sample("en-article").to_record()
    record[field] = value
    assert not Draft202012Validator(article_schema()).is_valid(record)


def test_run_ids_sort_by_time_and_name_safe_files() -> None:
    moments = [datetime(2026, 12, 31, 23, 59, 59, 999_000, tzinfo=UTC),
               datetime(2027, 1, 1, tzinfo=UTC),
               datetime(2027, 1, 1, 0, 0, 0, 1_999, tzinfo=UTC),  # cut, not rounded
               datetime(2027, 1, 1, 4, 0, 0, 2_000, tzinfo=timezone(timedelta(hours=4)))]
    ids = [new_run_id(moment) for moment in moments]
    assert ids == ["20261231T235959.999Z", "20270101T000000.000Z", "20270101T000000.001Z",
                   "20270101T000000.002Z"]
    assert [run_start(run_id) for run_id in ids] == [
        moment.astimezone(UTC).replace(microsecond=moment.microsecond // 1000 * 1000)
        for moment in moments]
    first = ids[0]
    assert RunPaths(Path("out"), first).articles == Path("out/articles") / f"{first}.jsonl"
    with pytest.raises(ValueError):
        RunPaths(Path("out"), "../../etc/passwd")


def test_line_file_writes_whole_utf8_lines(tmp_path: Path) -> None:
    path = tmp_path / "articles" / "run.jsonl"
    writer = LineFile(path, fsync=True)
    record = sample_record("hy-article.json")
    writer.write(record)
    writer.write({"n": 2})
    writer.close()
    lines = path.read_text("utf-8").splitlines()
    assert json.loads(lines[0]) == record
    assert "Ի" in lines[0]  # no ASCII escaping
    assert json.loads(lines[1]) == {"n": 2}


def test_a_torn_last_line_is_cut_before_appending(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    path.write_bytes(b'{"n": 1}\n{"n": 2, "bo')
    writer = LineFile(path)
    writer.write({"n": 3})
    writer.close()
    assert [json.loads(line) for line in path.read_text().splitlines()] == [{"n": 1}, {"n": 3}]


@pytest.mark.parametrize(
    ("content", "kept", "cut"),
    [(b"", b"", False), (b"a\n", b"a\n", False), (b"torn", b"", True),
     (b"a\n" * 40000 + b"torn", b"a\n" * 40000, True)],
)
def test_cut_torn_line(tmp_path: Path, content: bytes, kept: bytes, cut: bool) -> None:
    path = tmp_path / "f.jsonl"
    path.write_bytes(content)
    assert cut_torn_line(path) is cut
    assert path.read_bytes() == kept


def test_atomic_json_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "runs" / "x.json"
    write_json_atomic(target, {"status": "ok"})
    write_json_atomic(target, {"status": "failed"})
    assert json.loads(target.read_text()) == {"status": "failed"}
    assert os.listdir(target.parent) == ["x.json"]
