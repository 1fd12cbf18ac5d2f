"""Run the real ``scrapy crawl analytics`` as a subprocess and read what it wrote."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from warcio.archiveiterator import ArchiveIterator

from crawler.site import is_article_path

if TYPE_CHECKING:
    from tests.replica.handle import ReplicaHandle

ROOT = Path(__file__).resolve().parents[1]
#: Fields the crawler sets itself; the replica's truth has every other field.
CRAWLER_FIELDS = ("id", "scraped_at")
#: How a whole walk of the default replica (``--pagination query``) ends in every language:
#: past the last page (en answers 404 there, ru and hy an empty page).
PAST_LAST = "past_last"
#: An incremental walk that stopped at the cards of an earlier run.
FRONTIER = "frontier"
#: The endings a test expects: one for every language walked, or per language one (or the
#: few a race between the languages allows).
Endings = str | Mapping[str, str | tuple[str, ...]]


@dataclass(frozen=True)
class NoEnding:
    """A crawl that records no walk ending, and why; it writes no run summary either."""

    because: str


#: Refused (a wrong argument, setting or state) before its first request: no summary.
REFUSED = NoEnding("refused before its first request")
#: Killed (SIGKILL) before its close: the next run recovers it.
KILLED = NoEnding("killed before its close")


def read_lines(directory: Path, files: str = "*.jsonl") -> list[dict[str, Any]]:
    """Every JSON line of every file in ``directory`` (or of those ``files`` names; each
    line must parse whole)."""
    if not directory.exists():
        return []
    return [json.loads(line) for path in sorted(directory.glob(files))
            for line in path.read_text("utf-8").splitlines()]


@dataclass
class CrawlResult:
    """What one crawl left behind."""

    returncode: int
    log: str
    output_dir: Path

    @property
    def records(self) -> list[dict[str, Any]]:
        return read_lines(self.output_dir / "articles")

    @property
    def rejects(self) -> list[dict[str, Any]]:
        return read_lines(self.output_dir / "rejects")

    @property
    def summaries(self) -> list[dict[str, Any]]:
        paths = sorted((self.output_dir / "runs").glob("*.json"))
        return [json.loads(path.read_text("utf-8")) for path in paths]

    @property
    def summary(self) -> dict[str, Any]:
        return self.summaries[-1]


def assert_walk_endings(result: CrawlResult, endings: Endings | NoEnding,
                        summaries_before: int) -> None:
    """The run recorded, for each language it walked, the ending the test chose (names of
    ``crawler.walk.ENDINGS``) and the URL it ended on; a ``NoEnding`` run wrote no summary
    (``summaries_before`` were there already), and a refused one exited neither 0 nor 3."""
    if isinstance(endings, NoEnding):
        assert endings is not REFUSED or result.returncode not in (0, 3), result.log[-3000:]
        assert len(result.summaries) == summaries_before, (endings.because, result.log[-3000:])
        return
    assert len(result.summaries) > summaries_before, (
        f"exit {result.returncode}, no run summary: {result.log[-3000:]}")
    assert_summary_endings(result.summary, endings, result.log)


def assert_summary_endings(summary: dict[str, Any], endings: Endings, log: str = "") -> None:
    """The run ``summary`` records, for each language walked, one of the ``endings`` chosen,
    and the URL it ended on (``assert_walk_endings`` for a crawl run any other way)."""
    walks = summary["walks"]
    expected = ({lang: endings for lang in walks["started"]} if isinstance(endings, str)
                else dict(endings))
    recorded = {lang: ending["ending"] for lang, ending in walks["ended"].items()}
    assert recorded.keys() == expected.keys() and all(
        recorded[lang] in ((chosen,) if isinstance(chosen, str) else chosen)
        for lang, chosen in expected.items()), (walks["ended"], log[-2000:])
    assert all(ending["url"].startswith("http") for ending in walks["ended"].values())


def crawl_command(base_url: str, output_dir: Path, *arguments: str,
                  settings: dict[str, Any] | None = None, options: tuple[str, ...] = ()
                  ) -> list[str]:
    """``scrapy crawl analytics -a base_url=... <arguments>`` writing under ``output_dir``
    (its state there too), with ``settings`` and further command-line ``options``."""
    command = [sys.executable, "-m", "scrapy", "crawl", "analytics", *options,
               "-a", f"base_url={base_url}",
               "-s", f"ANALYTICS_OUTPUT_DIR={output_dir}",
               "-s", f"ANALYTICS_STATE_PATH={output_dir / 'state.sqlite3'}"]
    for name, value in (settings or {}).items():
        command += ["-s", f"{name}={value}"]
    for argument in arguments:
        command += ["-a", argument]
    return command


def summary_paths(output_dir: Path) -> set[Path]:
    return set((output_dir / "runs").glob("*.json"))


def assert_crawl_recorded(result: CrawlResult, before: set[Path],
                          endings: Endings | NoEnding) -> None:
    """What every crawl of a test must leave: each run summary it wrote (beyond ``before``)
    with a ledger that adds up, and the walk endings the test chose (or none, and why)."""
    for path in sorted(summary_paths(result.output_dir) - before):
        assert_ledger_adds_up(json.loads(path.read_text("utf-8")))
    assert_walk_endings(result, endings, len(before))


def run_crawl(base_url: str, output_dir: Path, *arguments: str, endings: Endings | NoEnding,
              relaxed: bool = True, settings: dict[str, Any] | None = None,
              options: tuple[str, ...] = (), timeout: float = 300) -> CrawlResult:
    """``crawl_command`` run to its end, its ledger and its walks' ``endings`` asserted
    (``assert_crawl_recorded``: every test chooses them).

    ``relaxed`` turns politeness off for the loopback replica (tests not about politeness);
    ``options`` are further command-line options such as ``("-O", "file.jsonl")``.
    """
    command = crawl_command(base_url, output_dir, *arguments, options=options, settings={
        "ANALYTICS_LOOPBACK_UNTHROTTLED": relaxed, **(settings or {})})
    before = summary_paths(output_dir)
    completed = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                               env={**os.environ, "PYTHONPATH": str(ROOT)}, check=False)
    result = CrawlResult(completed.returncode, completed.stdout + completed.stderr, output_dir)
    assert_crawl_recorded(result, before, endings)
    return result


def assert_ledger_adds_up(summary: dict[str, Any]) -> None:
    """Every article URL the run learned of has exactly one outcome, in every language
    (learned = delivered + known + rejected + excluded), and every record is one of them."""
    ledger = summary["ledger"]
    for lang, line in ledger.items():
        outcomes = {name: line[name] for name in ("delivered", "known", "rejected", "excluded")}
        assert line["unaccounted"] == 0 and line["learned"] == sum(outcomes.values()), (
            f"{summary['run_id']} {lang}: learned {line['learned']} != {outcomes}; "
            f"{summary['failed_checks'].get('accounting')}")
        assert sum(line["excluded_by"].values()) == line["excluded"]
        assert sum(line["rejected_by"].values()) == line["rejected"]
    assert "accounting" not in summary["failed_checks"], summary["failed_checks"]
    delivered = sum(line["delivered"] for line in ledger.values())
    assert summary["records"]["total"] <= delivered, (summary["records"], ledger)


def delivered_lines(output_dir: Path) -> int:
    """Whole lines of every run file under ``output_dir/articles``."""
    return sum(path.read_bytes().count(b"\n") for path in (output_dir / "articles").glob("*.jsonl"))


def kill_crawl_after(base_url: str, output_dir: Path, lines: int, *, endings: NoEnding
                     ) -> None:
    """Start an incremental crawl (no views refresh, a short delay) and SIGKILL it once
    ``lines`` records in all are on disk under ``output_dir``: ``endings`` is ``KILLED``, no
    ending recorded (no summary written; the next run recovers the run)."""
    command = crawl_command(base_url, output_dir, "refresh_days=0", settings={
        "DOWNLOAD_DELAY": 0.01, "AUTOTHROTTLE_ENABLED": 0})
    before = summary_paths(output_dir)
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while delivered_lines(output_dir) < lines and time.time() < deadline:
        time.sleep(0.002)
    process.send_signal(signal.SIGKILL)
    assert process.wait() == -signal.SIGKILL, "the crawl ended before it was killed"
    assert_crawl_recorded(CrawlResult(-signal.SIGKILL, "", output_dir), before, endings)


def scrapy(*arguments: str, output_dir: Path) -> subprocess.CompletedProcess[str]:
    """``scrapy <arguments> -s ANALYTICS_OUTPUT_DIR=<output_dir>`` as a subprocess."""
    return subprocess.run(
        [sys.executable, "-m", "scrapy", *arguments, "-s", f"ANALYTICS_OUTPUT_DIR={output_dir}"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )


def without_crawler_fields(record: dict[str, Any]) -> dict[str, Any]:
    """A record as the truth has it: without the fields the crawler sets."""
    return {key: value for key, value in record.items() if key not in CRAWLER_FIELDS}


def by_url(records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {record["url"]: record for record in records}


def run_state(output_dir: Path, *options: str, timeout: float = 120) -> CrawlResult:
    """``scrapy state <options>`` on the output and state of ``run_crawl(..., output_dir)``."""
    command = [sys.executable, "-m", "scrapy", "state", *options,
               "-s", f"ANALYTICS_OUTPUT_DIR={output_dir}",
               "-s", f"ANALYTICS_STATE_PATH={output_dir / 'state.sqlite3'}"]
    completed = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                               env={**os.environ, "PYTHONPATH": str(ROOT)}, check=False)
    return CrawlResult(completed.returncode, completed.stdout + completed.stderr, output_dir)


@contextmanager
def crawl_under_way(replica: ReplicaHandle, output_dir: Path, *, endings: Endings
                    ) -> Iterator[None]:
    """A slow crawl (0.3 s a request) holding the state of ``output_dir``, its first request
    made, while the block runs; then it must finish well, ending its walks as ``endings``."""
    command = crawl_command(replica.base_url, output_dir, settings={"DOWNLOAD_DELAY": 0.3})
    before = summary_paths(output_dir)
    crawl = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 30
        while not replica.requests() and time.time() < deadline:
            time.sleep(0.1)
        yield
    finally:
        _, log = crawl.communicate(timeout=120)
        assert crawl.returncode == 0, log[-3000:]
        assert_crawl_recorded(CrawlResult(0, log, output_dir), before, endings)


def archived_articles(archive: Path) -> set[str]:
    """The article URLs ``archive`` holds an answer of that is no redirect (read by warcio)."""
    with archive.open("rb") as handle:
        return {record.rec_headers.get_header("WARC-Target-URI")
                for record in ArchiveIterator(handle)
                if record.rec_type == "response" and is_article_path(
                    urlsplit(record.rec_headers.get_header("WARC-Target-URI")).path)
                and not record.http_headers.get_statuscode().startswith("3")}


def run_reextract(*arguments: str, output_dir: Path) -> subprocess.CompletedProcess[str]:
    """``scrapy reextract <arguments>``, the ledger of every re-extraction it wrote asserted:
    it adds up (``assert_ledger_adds_up``) and learned every article its archive answered."""
    before = set((output_dir / "runs").glob("*.json"))
    completed = scrapy("reextract", *arguments, output_dir=output_dir)
    for path in sorted(set((output_dir / "runs").glob("*.json")) - before):
        summary = json.loads(path.read_text("utf-8"))
        assert_ledger_adds_up(summary)
        learned = sum(line["learned"] for line in summary["ledger"].values())
        assert learned == len(archived_articles(Path(summary["archive"]))), summary["ledger"]
    return completed
