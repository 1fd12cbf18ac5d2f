"""Rebuild, check, export and import of the state from run files written here by hand."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from crawler.disk import write_json_atomic
from crawler.runs.paths import RunPaths
from crawler.state.identity import StateUnusable
from crawler.state.retries import RetrySchedule, found_hash
from crawler.state.store import SCHEMA, StateLocked, StateStore, content_hash
from crawler.state.tools import check, export_state, import_state, preflight, rebuild
from crawler.urls import article_id
from tests.responses import sample_record

RUN1, RUN2, RUN3 = "20261128T060000.000Z", "20261129T060000.000Z", "20261130T060000.000Z"
NUMERIC = "https://caliber.az/en/post/125546/"


def record(name: str, scraped_at: str, **changes: Any) -> dict[str, Any]:
    data = {**sample_record(f"{name}.json"), "scraped_at": scraped_at, **changes}
    return {**data, "id": article_id(data["url"])}


def write_run(output_dir: Path, run_id: str, lines: list[Any],
              summary: dict[str, Any] | None = None,
              rejects: list[dict[str, Any]] | None = None) -> RunPaths:
    """A run's files: its records (a str is written as is), rejects, summary if given."""
    paths = RunPaths(output_dir, run_id)
    paths.articles.parent.mkdir(parents=True, exist_ok=True)
    with paths.articles.open("w", encoding="utf-8") as handle:
        for line in lines:
            handle.write(line if isinstance(line, str) else json.dumps(line) + "\n")
    if rejects:
        paths.rejects.parent.mkdir(parents=True, exist_ok=True)
        paths.rejects.write_text("".join(json.dumps(line) + "\n" for line in rejects))
    if summary is not None:
        write_json_atomic(paths.summary, {"run_id": run_id, "finish_reason": "finished",
                                          "finished_at": "2026-11-28T07:00:00Z", **summary})
    return paths


EN1 = record("en-article", "2026-11-28T06:01:00Z", views=10)
RU1 = record("ru-article", "2026-11-28T06:02:00Z")
EN2 = record("en-article", "2026-11-29T06:01:00Z", views=20, title="Changed title")
HY2 = record("hy-article", "2026-11-29T06:02:00Z")
ALL_WALKS = {"started": ["en", "ru", "hy"], "completed": ["en", "ru"]}
REPLICA = "http://127.0.0.1:8000"
SCHEDULE = RetrySchedule(base_days=1, max_days=30)
#: Day one's rejects: a permanent one, a transient one (not kept), and a line written before
#: rejects carried their time and hash, of the page that day two delivers.
BROKEN = {"url": f"{REPLICA}/en/post/broken", "reason": "missing_date", "found": {"title": "T"},
          "seen_at": "2026-11-28T06:03:00Z", "hash": "h1", "known": False, "since": None}
REJECTS = [BROKEN, {**BROKEN, "url": f"{REPLICA}/en/post/slow", "reason": "fetch_timeout"},
           {"url": HY2["url"].replace("https://caliber.az", REPLICA), "reason": "missing_title",
            "detail": "no title", "found": {}}]


def day_one(output_dir: Path) -> None:
    write_run(output_dir, RUN1, [EN1, RU1], rejects=REJECTS,
              summary={"walks": ALL_WALKS, "url_forms": {NUMERIC: EN1["url"]},
                       "arguments": {"base_url": REPLICA}})


def test_rebuild_replays_deliveries_forms_and_walks(tmp_path: Path) -> None:
    day_one(tmp_path)
    write_run(tmp_path, RUN2, [EN2, "not json\n", json.dumps({"id": "x"}) + "\n", HY2,
                               json.dumps(RU1)[:40]])  # did not close: no summary, torn line
    write_run(tmp_path, RUN3, [record("en-legacy-article", "2026-11-30T06:00:00Z")],
              summary={"source": "archive"})  # a re-extraction delivers nothing
    counts, built = rebuild(tmp_path / "state.sqlite3", tmp_path, SCHEDULE)

    assert (counts.files, counts.lines, counts.invalid, counts.archive_runs) == (5, 10, 3, 1)
    assert [line.split(": ")[0] for line in counts.invalid_shown] == [
        f"{tmp_path}/articles/{RUN2}.jsonl:{n}" for n in (2, 3, 5)]
    assert (built.runs, built.crashed_runs, built.deliveries, built.articles) == (2, 1, 4, 3)
    assert (built.url_forms, built.permanent_rejects, built.open_rejects) == (1, 2, 1)
    assert built.walks_completed == []
    store = StateStore(tmp_path / "state.sqlite3")
    try:
        assert store.is_known(NUMERIC) and store.is_known(HY2["url"])
        assert not store.is_known(record("en-legacy-article", "x")["url"])
        history = store.db.execute("SELECT views, observed_at FROM views_history WHERE id = ? "
                                   "ORDER BY observed_at", (EN1["id"],)).fetchall()
        assert history == [(10, EN1["scraped_at"]), (20, EN2["scraped_at"])]
        row = store.db.execute("SELECT first_seen, last_seen, views, content_hash, delivered_run "
                               "FROM articles WHERE id = ?", (EN1["id"],)).fetchone()
        assert row == (EN1["scraped_at"], EN2["scraped_at"], 20, content_hash(EN2), RUN2)
        assert not any(store.walk_completed(lang) for lang in ("en", "ru", "hy"))
        unclosed = store.db.execute("SELECT count(*) FROM runs WHERE closed_at IS NULL")
        assert unclosed.fetchone()[0] == 0  # nothing left for the next run to reconcile
        assert [(r.url, r.lang, r.reason, r.first_seen, r.attempts, r.next_retry)
                for r in store.open_rejects()] == [
            ("https://caliber.az/en/post/broken", "en", "missing_date", BROKEN["seen_at"], 1,
             BROKEN["seen_at"])]
        closed = store.db.execute("SELECT first_seen, found_hash, closed_run FROM rejects "
                                  "WHERE url = ?", (HY2["url"],)).fetchone()
        assert closed == ("2026-11-28T06:00:00Z", found_hash({}), RUN2)
    finally:
        store.close()
    assert check(tmp_path / "state.sqlite3", tmp_path)[1] == []


def test_walks_completed_come_from_the_last_summary(tmp_path: Path) -> None:
    day_one(tmp_path)
    built = rebuild(tmp_path / "state.sqlite3", tmp_path, SCHEDULE)[1]
    assert built.walks_completed == ["en", "ru"]


def test_a_stale_wal_of_the_replaced_state_is_not_applied_to_the_new_one(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    old = StateStore(path)
    old.record_delivery(record("hy-article", "2026-11-20T00:00:00Z"), RUN1)
    shutil.copy(tmp_path / "state.sqlite3-wal", tmp_path / "saved-wal")
    old.close()  # checkpoints and removes its WAL; put it back as a crash would leave it
    shutil.copy(tmp_path / "saved-wal", tmp_path / "state.sqlite3-wal")
    day_one(tmp_path)
    rebuild(path, tmp_path, SCHEDULE)
    assert not (tmp_path / "state.sqlite3-wal").exists()
    assert (tmp_path / "state.sqlite3.previous").exists()
    assert check(path, tmp_path)[1] == []
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert sorted(row[0] for row in db.execute("SELECT id FROM articles")) == sorted(
            [EN1["id"], RU1["id"]])
    assert not list(tmp_path.glob(".state.sqlite3.rebuild*"))  # no temporary left


def test_rebuild_replaces_a_damaged_or_empty_state_never_a_file_not_ours(
        tmp_path: Path) -> None:
    day_one(tmp_path)
    path = tmp_path / "state.sqlite3"
    StateStore(path).close()
    damaged = path.read_bytes()[:16] + b"\xff" * 4000  # an SQLite file, its pages gone
    path.write_bytes(damaged)
    rebuild(path, tmp_path, SCHEDULE)
    assert (tmp_path / "state.sqlite3.previous").read_bytes() == damaged
    path.write_bytes(b"")
    rebuild(path, tmp_path, SCHEDULE)
    SCHEMA.open_verified(path).close()
    for text in (b"junk" * 2000, b"my notes: not a database\n"):
        path.write_bytes(text)
        with pytest.raises(StateUnusable, match="not this crawler's state"):
            rebuild(path, tmp_path, SCHEDULE)
        assert path.read_bytes() == text
    path.unlink()
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE notes (text TEXT)")
    before = path.read_bytes()
    with pytest.raises(StateUnusable, match="not this crawler's state"):
        rebuild(path, tmp_path, SCHEDULE)
    assert path.read_bytes() == before


def test_records_lost_from_a_damaged_line_are_fetched_again_after_a_rebuild(
        tmp_path: Path) -> None:
    """A closed run whose file lost a record to a damaged line: the rebuilt state does not
    know it, and no walk counts as complete, so the next run walks every listing whole."""
    day_one(tmp_path)
    assert rebuild(tmp_path / "state.sqlite3", tmp_path, SCHEDULE)[1].walks_completed == [
        "en", "ru"]
    articles = tmp_path / "articles" / f"{RUN1}.jsonl"
    whole = articles.read_bytes().splitlines(keepends=True)
    articles.write_bytes(whole[0] + b"\x00" * len(whole[1]) + b"\n")
    counts, built = rebuild(tmp_path / "state.sqlite3", tmp_path, SCHEDULE)
    assert counts.invalid == 1 and built.walks_completed == []
    store = StateStore(tmp_path / "state.sqlite3")
    try:
        assert store.is_known(EN1["url"]) and not store.is_known(RU1["url"])
    finally:
        store.close()


def test_rebuild_is_refused_while_the_state_is_held(tmp_path: Path) -> None:
    day_one(tmp_path)
    held = StateStore(tmp_path / "state.sqlite3")
    try:
        with pytest.raises(StateLocked):
            rebuild(tmp_path / "state.sqlite3", tmp_path, SCHEDULE)
    finally:
        held.close()


def test_check_lists_what_the_state_and_the_files_disagree_on(tmp_path: Path) -> None:
    day_one(tmp_path)
    path = tmp_path / "state.sqlite3"
    rebuild(path, tmp_path, SCHEDULE)
    store = StateStore(path)
    store.record_delivery(HY2, RUN2)  # known, but in no run file
    store.record_delivery(record("ru-article", "2026-11-29T00:00:00Z"), RUN2)  # newer than files
    store.db.execute("DELETE FROM articles WHERE id = ?", (EN1["id"],))
    store.db.execute("DELETE FROM url_forms WHERE url = ?", (NUMERIC,))
    store.close()
    differences = check(path, tmp_path)[1]
    assert [line.split(": ")[0] for line in differences] == [
        "delivered in the run files but unknown to the state",
        "known to the state but in no run file",
        "last delivery differs (seen at, content)",
        "URL forms met in the runs but unknown to the state",
    ]
    assert EN1["url"] in differences[0] and HY2["url"] in differences[1]


def test_export_and_import_carry_the_state_to_another_node(tmp_path: Path) -> None:
    day_one(tmp_path)
    rebuild(tmp_path / "state.sqlite3", tmp_path, SCHEDULE)
    backup = tmp_path / "backup" / "state.sqlite3"
    backup.parent.mkdir()
    export_state(tmp_path / "state.sqlite3", backup)
    export_state(tmp_path / "state.sqlite3", backup)  # an earlier export is overwritten
    node = tmp_path / "node"
    import_state(node / "state.sqlite3", backup)
    store = StateStore(node / "state.sqlite3")
    try:
        assert store.is_known(NUMERIC) and store.walk_completed("en")
    finally:
        store.close()


def test_export_and_import_refuse_files_that_are_not_states(tmp_path: Path) -> None:
    day_one(tmp_path)
    rebuild(tmp_path / "state.sqlite3", tmp_path, SCHEDULE)
    notes = tmp_path / "notes.txt"
    notes.write_text("keep me")
    with pytest.raises(FileExistsError, match=r"not an export of the state.*name a new file"):
        export_state(tmp_path / "state.sqlite3", notes)
    assert notes.read_text() == "keep me"
    with pytest.raises(StateUnusable):
        import_state(tmp_path / "state.sqlite3", notes)
    with pytest.raises(FileNotFoundError):
        import_state(tmp_path / "state.sqlite3", tmp_path / "nowhere.sqlite3")
    assert check(tmp_path / "state.sqlite3", tmp_path)[1] == []


def test_preflight_refuses_a_missing_state_beside_run_files(tmp_path: Path) -> None:
    preflight(tmp_path / "empty" / "state.sqlite3", tmp_path / "empty", fresh_start=False)
    day_one(tmp_path)
    with pytest.raises(StateUnusable, match=r"is missing, but .* holds run files"):
        preflight(tmp_path / "state.sqlite3", tmp_path, fresh_start=False)
    assert not (tmp_path / "state.sqlite3").exists()
    preflight(tmp_path / "state.sqlite3", tmp_path, fresh_start=True)
    assert (tmp_path / "state.sqlite3").exists()
