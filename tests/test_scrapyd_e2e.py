"""The project on a real scrapyd: build and deploy the egg with ``scrapyd-deploy`` (what
``make deploy`` runs), schedule crawls of the replica through ``deploy/schedule.py`` (what
the timer and cron run, basic auth included) and read the records and the summaries.

The egg is zipped, so this also proves that the JSON Schema loads from inside it, and the
output paths come from the environment of the scrapyd process (the server's way)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.crawl import ROOT, by_url, read_lines, without_crawler_fields
from tests.replica.handle import ReplicaHandle, stop_process

pytestmark = pytest.mark.e2e

BIN = Path(sys.executable).parent
USER, PASSWORD = "operator", "s3cret"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@dataclass
class Server:
    url: str
    output: Path
    log: Path


def project_copy(where: Path) -> Path:
    """The files an egg is built from (a copy, so the build leaves the work tree alone)."""
    for name in ("setup.py", "pyproject.toml", "scrapy.cfg"):
        shutil.copy(ROOT / name, where / name)
    shutil.copytree(ROOT / "crawler", where / "crawler",
                    ignore=shutil.ignore_patterns("__pycache__"))
    return where


@pytest.fixture(scope="module")
def scrapyd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A scrapyd on 127.0.0.1 with basic auth, polling fast, the project deployed."""
    home = tmp_path_factory.mktemp("scrapyd")
    port = free_port()
    (home / "scrapyd.conf").write_text(
        "[scrapyd]\n"
        f"bind_address = 127.0.0.1\nhttp_port = {port}\n"
        f"username = {USER}\npassword = {PASSWORD}\n"
        "poll_interval = 0.2\nitems_dir =\n"
        f"eggs_dir = {home / 'eggs'}\nlogs_dir = {home / 'logs'}\ndbs_dir = {home / 'dbs'}\n"
    )
    output = home / "output"
    env = {**os.environ, "ANALYTICS_OUTPUT_DIR": str(output),
           "ANALYTICS_STATE_PATH": str(output / "state.sqlite3"), "PYTHONPATH": ""}
    log = home / "scrapyd.log"
    with log.open("w") as sink:
        process = subprocess.Popen([str(BIN / "scrapyd")], cwd=home, env=env, stdout=sink,
                                   stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url, process, log)
        deploy = subprocess.run(
            [str(BIN / "scrapyd-deploy")], cwd=project_copy(tmp_path_factory.mktemp("src")),
            env={**os.environ, "SCRAPYD_URL": url, "SCRAPYD_USERNAME": USER,
                 "SCRAPYD_PASSWORD": PASSWORD},
            capture_output=True, text=True, timeout=60, check=False)
        assert deploy.returncode == 0, deploy.stdout + deploy.stderr
        assert json.loads(deploy.stdout)["status"] == "ok", deploy.stdout
        yield Server(url, output, log)
    finally:
        stop_process(process, grace=10)


def wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"scrapyd exited: {log.read_text()[-2000:]}")
        try:
            urllib.request.urlopen(url + "/", timeout=1).close()
            return
        except urllib.error.HTTPError:  # 401 without credentials: it is up
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"scrapyd did not answer: {log.read_text()[-2000:]}")


def schedule(server: Server, *options: str,
             password: str = PASSWORD) -> subprocess.CompletedProcess[str]:
    """``deploy/schedule.py --wait`` as the timer runs it, politeness lifted for loopback."""
    command = [sys.executable, str(ROOT / "deploy" / "schedule.py"), "--wait", "--poll", "0.2",
               "--timeout", "45", "-s", "ANALYTICS_LOOPBACK_UNTHROTTLED=1", *options]
    env = {**os.environ, "SCRAPYD_URL": server.url, "SCRAPYD_USERNAME": USER,
           "SCRAPYD_PASSWORD": password}
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=60,
                          check=False)


def test_a_scheduled_run_on_scrapyd_delivers_the_truth(scrapyd: Server) -> None:
    with ReplicaHandle(articles=24, seed=5) as site:
        result = schedule(scrapyd, "-a", f"base_url={site.base_url}", "-a", "mode=full")
        truth = site.truth()
    assert result.returncode == 0, result.stdout + result.stderr
    scheduled = json.loads(result.stdout.splitlines()[0])
    run_id = scheduled["run_id"]
    assert scheduled["jobid"] == run_id
    assert f"Run {run_id} OK" in result.stdout
    summary = json.loads((scrapyd.output / "runs" / f"{run_id}.json").read_text("utf-8"))
    assert summary["status"] == "ok", summary["failed_checks"]
    assert summary["arguments"]["mode"] == "full"
    assert summary["records"]["total"] == len(truth) == 24
    records = read_lines(scrapyd.output / "articles")
    assert by_url([without_crawler_fields(r) for r in records]) == by_url(truth)
    # The records were validated against the schema read from inside the zipped egg.
    assert summary["rejects"]["total"] == 0


def test_a_failed_run_is_loud_through_scrapyd(scrapyd: Server) -> None:
    """scrapyd lists the job as finished; the schedule script exits 3 with the reason."""
    with ReplicaHandle(articles=24, seed=5, faults="broken:0.4") as site:
        result = schedule(scrapyd, "-a", f"base_url={site.base_url}", "-a", "mode=full",
                          "-a", "lang=ru")
    assert result.returncode == 3, result.stdout + result.stderr
    run_id = json.loads(result.stdout.splitlines()[0])["run_id"]
    assert f"Run {run_id} FAILED" in result.stderr and "rejects_ratio" in result.stderr
    summary = json.loads((scrapyd.output / "runs" / f"{run_id}.json").read_text("utf-8"))
    assert summary["status"] == "failed" and "rejects_ratio" in summary["failed_checks"]


def test_scrapyd_refuses_a_wrong_password(scrapyd: Server) -> None:
    result = schedule(scrapyd, "-a", "mode=full", password="wrong")
    assert result.returncode == 2
    assert "401" in result.stderr
