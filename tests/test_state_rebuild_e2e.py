"""The state rebuilt from the run files, checked against them, and refused when unusable."""

from __future__ import annotations

import sqlite3
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from crawler.state.store import StateStore
from tests.crawl import (
    FRONTIER,
    PAST_LAST,
    REFUSED,
    crawl_under_way,
    read_lines,
    run_crawl,
    run_state,
)
from tests.replica.handle import ReplicaHandle
from tests.test_incremental_e2e import LANGUAGES, requests_since, run_records

pytestmark = pytest.mark.e2e
STATE = "state.sqlite3"


def delete_state(output_dir: Path) -> None:
    for suffix in ("", "-wal", "-shm", ".lock"):
        (output_dir / f"{STATE}{suffix}").unlink(missing_ok=True)


def test_a_rebuilt_state_gives_day_two_its_floor_and_agrees_with_the_run_files(
    tmp_path: Path,
) -> None:
    with ReplicaHandle(articles=45, seed=21) as replica:
        undated = replica.truth()[5]["url"]
        replica.set_defect(undated, "nodate")  # a permanent reject: retried when due
        day1 = run_crawl(replica.base_url, tmp_path, "mode=full", endings=PAST_LAST)
        assert day1.returncode == 0, day1.log[-3000:]
        assert day1.summary["walks"]["completed"] == ["en", "hy", "ru"]
        assert day1.summary["url_forms"], "the replica links some cards to numeric URLs"
        [opened] = day1.summary["open_rejects"]
        delete_state(tmp_path)

        rebuilt = run_state(tmp_path, "--rebuild")
        assert rebuilt.returncode == 0, rebuilt.log[-3000:]
        assert "44 articles from 44 deliveries of 1 runs" in rebuilt.log
        assert "0 invalid lines skipped" in rebuilt.log
        assert "walks completed: en, hy, ru; 1 open rejects" in rebuilt.log

        new_urls = replica.publish(4)
        started = time.time()
        day2 = run_crawl(replica.base_url, tmp_path, "refresh_days=0", endings=FRONTIER)
        assert day2.returncode == 0, day2.log[-3000:]
        log = requests_since(replica, started)
    # The floor: robots.txt, a listing page per language, the k new, the reject's retry.
    assert len(log) == 1 + LANGUAGES + 4 + 1, [entry["path"] for entry in log]
    assert urlsplit(undated).path in {entry["path"] for entry in log}
    assert sorted(record["url"] for record in run_records(day2)) == sorted(new_urls)
    assert [(urlsplit(r["url"]).path, r["since"]) for r in day2.summary["known_rejects"]] == [
        (urlsplit(opened["url"]).path, opened["since"])]  # the same reject, known since day 1
    delivered = Counter(record["id"] for record in read_lines(tmp_path / "articles"))
    assert len(delivered) == 48 and max(delivered.values()) == 1

    agreed = run_state(tmp_path, "--check")
    assert agreed.returncode == 0, agreed.log[-3000:]
    assert "agrees with the run files" in agreed.log

    Path(day2.summary["files"]["articles"]).unlink()
    differs = run_state(tmp_path, "--check")
    assert differs.returncode == 3, differs.log[-3000:]
    unexplained = [line for line in differs.log.splitlines()
                   if "known to the state but in no run file" in line]
    assert sorted(line.split()[-1] for line in unexplained) == sorted(new_urls)


def foreign_state(path: Path) -> None:
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE notes (text TEXT)")


def future_state(path: Path) -> None:
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA application_id = 1128352833")  # crawler.state.identity.APPLICATION_ID
        db.execute("PRAGMA user_version = 999")


def damaged_state(path: Path) -> None:
    """A state of ours whose pages after the header were overwritten."""
    StateStore(path).close()
    path.write_bytes(path.read_bytes()[:100] + b"\xff" * 8000)


UNUSABLE_STATES = {
    "damaged": (damaged_state, "is damaged"),
    "empty": (lambda path: path.write_bytes(b""), "is empty (0 bytes"),
    "junk": (lambda path: path.write_bytes(b"\x00junk" * 4096), "is not this crawler's state"),
    "foreign": (foreign_state, "is not this crawler's state"),
    "future": (future_state, "newer than this crawler"),
    "missing": (lambda path: None, "is missing, but"),
}


def test_an_unusable_state_stops_the_crawl_before_any_request(tmp_path: Path) -> None:
    with ReplicaHandle(articles=6, seed=4) as replica:
        first = run_crawl(replica.base_url, tmp_path, endings=PAST_LAST)
        assert first.returncode == 0, first.log[-3000:]
        before = len(replica.requests())
        for name, (make, message) in UNUSABLE_STATES.items():
            delete_state(tmp_path)
            make(tmp_path / STATE)
            refused = run_crawl(replica.base_url, tmp_path, endings=REFUSED)
            assert refused.returncode == 2, (name, refused.log[-3000:])
            lines = [line for line in refused.log.splitlines() if "refused" in line]
            assert len(lines) == 1 and message in lines[0], (name, refused.log[-3000:])
            assert str(tmp_path / STATE) in lines[0] and "scrapy state --rebuild" in lines[0]
            assert "Traceback" not in refused.log
            assert len(replica.requests()) == before, name
        bad_setting = run_crawl(replica.base_url, tmp_path,
                                settings={"ANALYTICS_STATE_FRESH_START": "maybe"}, endings=REFUSED)
        assert bad_setting.returncode == 2 and "ANALYTICS_STATE_FRESH_START" in bad_setting.log
        assert len(replica.requests()) == before
        fresh = run_crawl(replica.base_url, tmp_path, settings={"ANALYTICS_STATE_FRESH_START": 1},
                          endings=PAST_LAST)
        assert fresh.returncode == 0, fresh.log[-3000:]
    assert len(fresh.records) == 12  # on purpose: every article delivered again


def test_a_rebuild_while_a_crawl_runs_is_refused(tmp_path: Path) -> None:
    with ReplicaHandle(articles=6, seed=4) as replica, \
            crawl_under_way(replica, tmp_path, endings=PAST_LAST):
        refused = run_state(tmp_path, "--rebuild")
        assert refused.returncode == 4, refused.log[-3000:]
        assert "in use by a running crawl" in refused.log
    assert not (tmp_path / f"{STATE}.previous").exists()
    assert len(read_lines(tmp_path / "articles")) == 6
