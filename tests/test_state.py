"""The state store on its own: schema migration, lock, reconciliation of an unclosed run."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from crawler.runs.paths import RunPaths
from crawler.state.delivered import delivered_at
from crawler.state.identity import APPLICATION_ID, StateUnusable
from crawler.state.retries import RetrySchedule, found_hash, is_permanent
from crawler.state.store import (
    MIGRATIONS,
    SCHEMA_VERSION,
    StateLocked,
    StateStore,
    content_hash,
)
from tests.responses import sample_record


def record(name: str = "en-article", **changes: object) -> dict:
    data = {**sample_record(f"{name}.json"), "id": f"id-{name}",
            "scraped_at": "2026-11-28T06:00:00Z"}
    return {**data, **changes}


def test_schema_is_created_and_versioned(tmp_path: Path) -> None:
    store = StateStore(tmp_path / "state.sqlite3")
    store.close()
    with sqlite3.connect(tmp_path / "state.sqlite3") as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
    assert {"articles", "url_forms", "views_history", "runs", "walks", "rejects"} <= tables


def test_a_state_of_schema_2_gains_the_rejects_table(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    with sqlite3.connect(path) as db:
        db.executescript(MIGRATIONS[1] + ";" + MIGRATIONS[2])
        db.execute("INSERT INTO walks VALUES ('en', 'run0', 1)")
        db.execute("PRAGMA user_version = 2")
    db.close()
    store = StateStore(path)
    assert store.walk_completed("en") and store.open_rejects() == []
    store.close()


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    with sqlite3.connect(tmp_path / "state.sqlite3") as db:
        db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(StateUnusable, match=r"newer than this crawler.*scrapy state --rebuild"):
        StateStore(tmp_path / "state.sqlite3")


def test_a_file_of_another_application_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE notes (text TEXT)")
    before = path.read_bytes()
    with pytest.raises(StateUnusable, match="is not this crawler's state") as refused:
        StateStore(path)
    assert refused.value.kind == "foreign"
    assert path.read_bytes() == before
    StateStore(tmp_path / "other.sqlite3").close()  # the lock was let go: others open


def test_a_file_that_is_no_sqlite_database_is_foreign(tmp_path: Path) -> None:
    """Junk (or a text file) at the state's path is not ours: refused, never replaced."""
    (tmp_path / "state.sqlite3").write_bytes(b"junk " * 1000)
    with pytest.raises(StateUnusable, match=r"is not this crawler's state \(not an SQLite "
                       r"database: it begins b'junk junk junk j'\)") as refused:
        StateStore(tmp_path / "state.sqlite3")
    assert refused.value.kind == "foreign"


def test_a_zero_byte_state_is_refused_not_taken_as_fresh(tmp_path: Path) -> None:
    (tmp_path / "state.sqlite3").write_bytes(b"")
    with pytest.raises(StateUnusable, match=r"is empty \(0 bytes.*scrapy state --rebuild"):
        StateStore(tmp_path / "state.sqlite3")
    assert (tmp_path / "state.sqlite3").read_bytes() == b""


def test_a_damaged_sqlite_file_is_damaged(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    StateStore(path).close()
    path.write_bytes(path.read_bytes()[:16] + b"\xff" * 200)
    with pytest.raises(StateUnusable, match=r"is damaged .*scrapy state --rebuild"):
        StateStore(path)


def test_a_state_from_before_the_mark_is_marked(tmp_path: Path) -> None:
    """A state of this crawler at schema 1 (no application_id yet) is migrated, not refused."""
    path = tmp_path / "state.sqlite3"
    with sqlite3.connect(path) as db:
        db.executescript(MIGRATIONS[1])
        db.execute("PRAGMA user_version = 1")
    StateStore(path).close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_one_run_at_a_time(tmp_path: Path) -> None:
    first = StateStore(tmp_path / "state.sqlite3")
    with pytest.raises(StateLocked, match="in use by a running crawl"):
        StateStore(tmp_path / "state.sqlite3")
    first.close()
    StateStore(tmp_path / "state.sqlite3").close()


def test_deliveries_views_and_content_changes(tmp_path: Path) -> None:
    store = StateStore(tmp_path / "state.sqlite3")
    assert store.record_delivery(record(), "run1") is False
    assert store.is_known(record()["url"])
    assert store.record_delivery(record(views=2000, scraped_at="2026-11-29T06:00:00Z"),
                                 "run2") is False
    assert store.record_delivery(record(title="Changed", scraped_at="2026-11-30T06:00:00Z"),
                                 "run3") is True
    history = store.db.execute("SELECT views FROM views_history WHERE id = ? ORDER BY observed_at",
                               ("id-en-article",)).fetchall()
    assert [views for views, in history] == [1207, 2000, 1207]
    store.remember_url_form("https://caliber.az/en/post/125546/", record()["url"])
    assert store.is_known("https://caliber.az/en/post/125546/")
    store.close()


def test_content_hash_ignores_views_and_fetch_time() -> None:
    assert content_hash(record()) == content_hash(record(views=1, scraped_at="x"))
    assert content_hash(record()) != content_hash(record(body="other"))


def test_an_unclosed_run_is_reconciled_from_its_file(tmp_path: Path) -> None:
    """A run killed after writing lines (one torn) but before recording them."""
    paths = RunPaths(tmp_path, "20261128T060000.000Z")
    store = StateStore(tmp_path / "state.sqlite3")
    store.begin_run(paths, "2026-11-28T06:00:00Z")
    store.close()  # as if killed: the run never closed
    paths.articles.parent.mkdir(parents=True)
    whole = json.dumps(record(), ensure_ascii=False)
    torn = json.dumps(record("ru-article"), ensure_ascii=False)[:50]
    paths.articles.write_text(f"{whole}\n{torn}", encoding="utf-8")

    store = StateStore(tmp_path / "state.sqlite3")
    recovered = store.begin_run(RunPaths(tmp_path, "20261128T070000.000Z"), "2026-11-28T07:00:00Z")
    assert recovered.records == 1 and recovered.damaged.invalid == 0
    assert store.is_known(record()["url"])
    assert not store.is_known(record("ru-article")["url"])
    assert paths.articles.read_text(encoding="utf-8") == f"{whole}\n"
    store.close()


def test_damaged_lines_of_an_unclosed_run_are_skipped_counted_and_not_known(
        tmp_path: Path) -> None:
    """A line that is no record (bytes overwritten, a record without its fields) does not stop
    the recovery; its article is not taken as known, so the next walk fetches it again."""
    paths = RunPaths(tmp_path, "20261128T060000.000Z")
    store = StateStore(tmp_path / "state.sqlite3")
    store.begin_run(paths, "2026-11-28T06:00:00Z")
    store.close()
    paths.articles.parent.mkdir(parents=True)
    whole = json.dumps(record(), ensure_ascii=False).encode()
    damaged = json.dumps(record("ru-article"), ensure_ascii=False).encode()[:40] + b"\xff\x00}"
    paths.articles.write_bytes(whole + b"\n" + damaged + b"\n" + b'{"id": "x"}\n')

    store = StateStore(tmp_path / "state.sqlite3")
    recovery = store.begin_run(RunPaths(tmp_path, "20261128T070000.000Z"), "2026-11-28T07:00:00Z")
    assert recovery.records == 1
    assert recovery.damaged.invalid == 2
    assert [line.split(": ")[0].rsplit("/", 1)[1] for line in recovery.damaged.invalid_shown] == [
        "20261128T060000.000Z.jsonl:2", "20261128T060000.000Z.jsonl:3"]
    assert store.is_known(record()["url"])
    assert not store.is_known(record("ru-article")["url"])
    store.close()


def test_an_unclosed_run_is_recovered_where_its_files_are_now(tmp_path: Path) -> None:
    """The state and its output directory moved together: the run that never closed is read
    from the directory the state is used with now, not the one it recorded."""
    before, after = tmp_path / "before", tmp_path / "after"
    store = StateStore(before / "state.sqlite3")
    store.begin_run(RunPaths(before, "20261128T060000.000Z"), "2026-11-28T06:00:00Z")
    store.close()
    paths = RunPaths(before, "20261128T060000.000Z")
    paths.articles.parent.mkdir(parents=True)
    paths.articles.write_text(json.dumps(record(), ensure_ascii=False) + "\n", encoding="utf-8")
    before.rename(after)

    store = StateStore(after / "state.sqlite3")
    recovery = store.begin_run(RunPaths(after, "20261128T070000.000Z"), "2026-11-28T07:00:00Z")
    assert recovery.records == 1
    assert store.is_known(record()["url"])
    store.close()


def test_walks_complete_only_when_closed_so(tmp_path: Path) -> None:
    store = StateStore(tmp_path / "state.sqlite3")
    store.start_walk("en", "run1")
    store.start_walk("ru", "run1")
    assert not store.walk_completed("en")
    store.close_run("run1", "2026-11-28T06:00:00Z", "finished", ["en"])
    assert store.walk_completed("en")
    assert not store.walk_completed("ru")
    store.close()


def test_walks_completed_before_the_pagination_check_are_walked_again_once(
    tmp_path: Path,
) -> None:
    """A state of schema 1 whose walks completed by the old rule (page 2 may have repeated
    page 1): after the upgrade every language is incomplete, and completes again as usual."""
    path = tmp_path / "state.sqlite3"
    with sqlite3.connect(path) as db:
        db.executescript(MIGRATIONS[1])
        db.executemany("INSERT INTO walks VALUES (?, 'old', 1)", [("en",), ("ru",)])
        db.execute("PRAGMA user_version = 1")
    db.close()
    store = StateStore(path)
    assert not store.walk_completed("en") and not store.walk_completed("ru")
    store.close_run("new", "2026-11-28T06:00:00Z", "finished", ["en"])
    store.close()
    reopened = StateStore(path)  # the migration ran once: the new completion stands
    assert reopened.walk_completed("en") and not reopened.walk_completed("ru")
    reopened.close()


URL = "https://caliber.az/post/some-article"
SCHEDULE = RetrySchedule(base_days=1, max_days=5)


def test_a_reject_is_known_only_from_an_earlier_run_with_the_same_reason_and_page(
    tmp_path: Path,
) -> None:
    store = StateStore(tmp_path / "state.sqlite3")

    def note(reason: str, digest: str, seen_at: str, run_id: str) -> tuple[bool, str]:
        return store.note_reject(URL, "ru", reason, digest, seen_at, run_id, SCHEDULE)

    assert note("missing_date", "a", "2026-11-01T00:00:00Z", "r1") == (
        False, "2026-11-01T00:00:00Z")
    assert note("missing_date", "a", "2026-11-02T00:00:00Z", "r2") == (
        True, "2026-11-01T00:00:00Z")
    # The page changed (another hash), or the reason did: a new alarm, the same "since".
    assert note("missing_date", "b", "2026-11-03T00:00:00Z", "r3")[0] is False
    assert note("missing_title", "b", "2026-11-04T00:00:00Z", "r4") == (
        False, "2026-11-01T00:00:00Z")
    [open_reject] = store.open_rejects()
    assert (open_reject.reason, open_reject.attempts) == ("missing_title", 4)
    assert store.is_open_reject(URL)
    # It becomes a record: closed; a later reject of it starts over.
    store.record_delivery(record(url=URL, scraped_at="2026-11-05T00:00:00Z"), "r5")
    assert not store.is_open_reject(URL) and store.open_rejects() == []
    assert store.closed_rejects("r5") == [{"url": URL, "reason": "missing_title",
                                           "since": "2026-11-01T00:00:00Z",
                                           "closed_at": "2026-11-05T00:00:00Z"}]
    assert note("missing_title", "b", "2026-11-06T00:00:00Z", "r6") == (
        False, "2026-11-06T00:00:00Z")
    store.close()


def test_open_rejects_are_due_next_run_then_after_a_doubling_capped_interval(
    tmp_path: Path,
) -> None:
    store = StateStore(tmp_path / "state.sqlite3")
    seen = ["2026-11-01T00:00:00Z", "2026-11-01T06:00:00Z", "2026-11-02T06:00:00Z",
            "2026-11-04T06:00:00Z", "2026-11-08T06:00:00Z", "2026-11-13T06:00:00Z"]
    due = []
    for run, seen_at in enumerate(seen):
        store.note_reject(URL, "ru", "missing_date", "a", seen_at, f"r{run}", SCHEDULE)
        due.append(store.open_rejects()[0].next_retry)
    # At once, then 1, 2, 4 days, then the cap of 5.
    assert due == ["2026-11-01T00:00:00Z", "2026-11-02T06:00:00Z", "2026-11-04T06:00:00Z",
                   "2026-11-08T06:00:00Z", "2026-11-13T06:00:00Z", "2026-11-18T06:00:00Z"]
    assert store.open_rejects(("ru",), due_by="2026-11-18T05:59:59Z") == []
    assert store.open_rejects(("en",), due_by="2026-12-01T00:00:00Z") == []
    assert len(store.open_rejects(("ru",), due_by="2026-11-18T06:00:00Z")) == 1
    # A shorter schedule in force applies to the open rejects at once.
    store.reschedule_rejects(RetrySchedule(base_days=0, max_days=0))
    assert store.open_rejects()[0].next_retry == seen[-1]
    store.close()


def test_permanent_rejects_and_the_hash_of_what_a_page_showed() -> None:
    assert all(is_permanent(reason) for reason in
               ("missing_date", "missing_title", "bad_date", "schema_title", "fetch_http_404",
                "fetch_http_410"))
    assert not any(is_permanent(reason) for reason in
                   ("fetch_timeout", "fetch_http_503", "fetch_http_429", "fetch_truncated",
                    "fetch_connection_lost", "fetch_too_large"))
    page = {"title": "T", "views_text": "Views: 10", "scraped_at": "2026-11-01T00:00:00Z",
            "fetched_url": "http://127.0.0.1:1/post/t", "base_url": "http://127.0.0.1:1"}
    again = {**page, "views_text": "Views: 12", "scraped_at": "2026-11-02T00:00:00Z",
             "fetched_url": "https://caliber.az/post/t", "base_url": "https://caliber.az"}
    assert found_hash(page) == found_hash(again) != found_hash({**page, "title": "U"})


def test_a_page_naming_a_known_article_is_it_by_title_and_date(tmp_path: Path) -> None:
    """What the state delivered at a URL (any of its forms) against a page naming it: the
    same title and date is the article, edited or not; a delivery from before titles were
    kept is compared by its edit hash, and one from before that by its content hash."""
    store = StateStore(tmp_path / "state.sqlite3")
    store.record_delivery(record(), "run1")
    store.remember_url_form("https://caliber.az/en/post/125546/", record()["url"])
    delivered = delivered_at(store, "https://caliber.az/en/post/125546/")
    assert delivered is not None and delivered.title == record()["title"]
    assert delivered.shows(record(body="A corrected paragraph.", title=f" {record()['title']}"))
    assert not delivered.shows(record(title="An impostor"))
    assert not delivered.shows(record(date="2026-11-28T10:00:00+04:00"))
    store.db.execute("UPDATE articles SET title = NULL")  # delivered before schema 6
    untitled = delivered_at(store, record()["url"])
    assert untitled is not None and untitled.shows(record(views=5))
    assert not untitled.shows(record(body="A corrected paragraph."))
    store.db.execute("UPDATE articles SET edit_hash = NULL")  # and before schema 5
    unhashed = delivered_at(store, record()["url"])
    assert unhashed is not None and unhashed.shows(record(views=5))
    assert not unhashed.shows(record(body="A corrected paragraph."))
    assert delivered_at(store, "https://caliber.az/en/post/never") is None
    store.close()
