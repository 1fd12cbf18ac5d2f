"""The project on a real scrapyd: build and deploy the egg with ``scrapyd-deploy`` (what
``make deploy`` runs), schedule crawls of the replica through the shipped entry point as
the systemd unit and the cron line run it (its env file, basic auth) and read the verdict,
the records, the summaries and the notifications.

The egg is zipped, so this also proves that the JSON Schema loads from inside it, and the
output paths come from the environment of the scrapyd process (the server's way)."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from crawler.state.store import lock_state
from tests.crawl import (
    PAST_LAST,
    ROOT,
    assert_ledger_adds_up,
    assert_summary_endings,
    by_url,
    read_lines,
    without_crawler_fields,
)
from tests.receivers import SmtpReceiver, WebhookReceiver, free_port
from tests.replica.handle import ReplicaHandle, stop_process

pytestmark = pytest.mark.e2e

BIN = Path(sys.executable).parent
USER, PASSWORD = "operator", "s3cret"
DEPLOY = ROOT / "deploy"
RELAXED = "-s ANALYTICS_LOOPBACK_UNTHROTTLED=1"


@dataclass
class Server:
    url: str
    output: Path
    log: Path
    home: Path


def project_copy(where: Path) -> Path:
    """The files an egg is built from (a copy, so the build leaves the work tree alone)."""
    for name in ("setup.py", "pyproject.toml", "scrapy.cfg"):
        shutil.copy(ROOT / name, where / name)
    shutil.copytree(ROOT / "crawler", where / "crawler",
                    ignore=shutil.ignore_patterns("__pycache__"))
    return where


def write_config(home: Path, port: int) -> None:
    """The shipped scrapyd.conf with this test's port, directories and a real password."""
    shipped = (DEPLOY / "scrapyd.conf").read_text()
    config = (shipped.replace("6800", str(port)).replace("change-me", PASSWORD)
              .replace("/var/log/scrapyd", str(home / "logs"))
              .replace("/var/lib/scrapyd", str(home)))
    (home / "scrapyd.conf").write_text(config + "poll_interval = 0.2\n")


@contextmanager
def running_scrapyd(home: Path, port: int) -> Iterator[Server]:
    """scrapyd started from ``home`` (its scrapyd.conf), stopped at the end."""
    output = home / "output"
    env = {**os.environ, "ANALYTICS_OUTPUT_DIR": str(output),
           "ANALYTICS_STATE_PATH": str(output / "state.sqlite3"), "PYTHONPATH": ""}
    log = home / "scrapyd.log"
    with log.open("a") as sink:
        process = subprocess.Popen([str(BIN / "scrapyd")], cwd=home, env=env, stdout=sink,
                                   stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url, process, log)
        yield Server(url, output, log, home)
    finally:
        stop_process(process, grace=10)


def deploy_egg(url: str, source: Path) -> None:
    deploy = subprocess.run(
        [str(BIN / "scrapyd-deploy")], cwd=project_copy(source),
        env={**os.environ, "SCRAPYD_URL": url, "SCRAPYD_USERNAME": USER,
             "SCRAPYD_PASSWORD": PASSWORD},
        capture_output=True, text=True, timeout=60, check=False)
    assert deploy.returncode == 0, deploy.stdout + deploy.stderr
    assert json.loads(deploy.stdout)["status"] == "ok", deploy.stdout


@pytest.fixture(scope="module")
def scrapyd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A scrapyd on 127.0.0.1 with basic auth, polling fast, the project deployed."""
    home = tmp_path_factory.mktemp("scrapyd")
    port = free_port()
    write_config(home, port)
    with running_scrapyd(home, port) as server:
        deploy_egg(server.url, tmp_path_factory.mktemp("src"))
        yield server


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


def env_file(server: Server, crawl_args: str, password: str = PASSWORD) -> Path:
    """A schedule's env file as ``deploy/schedule.env.example`` has it, for ``server``."""
    path = server.home / f"schedule-{time.monotonic_ns()}.env"
    shipped = (DEPLOY / "schedule.env.example").read_text()
    path.write_text(shipped.replace("http://127.0.0.1:6800", server.url)
                    .replace("SCRAPYD_PASSWORD=change-me", f"SCRAPYD_PASSWORD={password}")
                    .replace("CRAWL_ARGS=-a mode=incremental -a lang=en,ru,hy",
                             f"CRAWL_ARGS={crawl_args}"))
    return path


def installed(command: str, env: Path, home: Path) -> str:
    """A shipped command line with this checkout and this test's files for the installed ones."""
    return (command.replace("/opt/caliber-analytics/.venv/bin/python", sys.executable)
            .replace("/opt/caliber-analytics", str(ROOT))
            .replace("/etc/caliber-analytics/all.env", str(env))
            .replace("/etc/caliber-analytics/%i.env", str(env))
            .replace("/var/log/caliber-analytics", str(home))
            .replace("/tmp/caliber-analytics-all.lock", str(home / "all.lock")))


def unit_command(env: Path, home: Path, *extra: str) -> list[str]:
    """The ``ExecStart=`` of ``deploy/caliber-analytics@.service``, as systemd splits it."""
    unit = (DEPLOY / "caliber-analytics@.service").read_text()
    line = next(line for line in unit.splitlines() if line.startswith("ExecStart="))
    return [*shlex.split(installed(line.removeprefix("ExecStart="), env, home)), *extra]


def schedule(server: Server, crawl_args: str, *extra: str, password: str = PASSWORD,
             timeout: float = 90) -> subprocess.CompletedProcess[str]:
    """The systemd unit's command with an env file holding ``crawl_args``, polling fast."""
    env = env_file(server, crawl_args, password)
    command = unit_command(env, server.home, "--poll", "0.2", "--timeout", "60", *extra)
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False,
                          env={**os.environ, "PYTHONPATH": ""})


def run_id_of(result: subprocess.CompletedProcess[str]) -> str:
    scheduled = json.loads(result.stdout.splitlines()[0])
    assert scheduled["jobid"] == scheduled["run_id"]
    run_id: str = scheduled["run_id"]
    return run_id


def test_a_scheduled_run_on_scrapyd_delivers_the_truth(scrapyd: Server) -> None:
    with ReplicaHandle(articles=24, seed=5) as site:
        result = schedule(scrapyd, f"-a base_url={site.base_url} -a mode=full {RELAXED}")
        truth = site.truth()
    assert result.returncode == 0, result.stdout + result.stderr
    run_id = run_id_of(result)
    assert re.search(rf"^Run {run_id} OK: 24 records", result.stdout, re.M), result.stdout
    summary = json.loads((scrapyd.output / "runs" / f"{run_id}.json").read_text("utf-8"))
    assert_ledger_adds_up(summary)
    assert summary["status"] == "ok", summary["failed_checks"]
    assert_summary_endings(summary, PAST_LAST)
    assert summary["arguments"]["mode"] == "full"
    assert summary["host"] == "127.0.0.1"
    assert summary["records"]["total"] == len(truth) == 24
    records = read_lines(scrapyd.output / "articles")
    assert by_url([without_crawler_fields(r) for r in records]) == by_url(truth)
    # The records were validated against the schema read from inside the zipped egg.
    assert summary["rejects"]["total"] == 0


def test_the_crontab_line_under_sh_keeps_every_argument(scrapyd: Server) -> None:
    """The shipped line, run by /bin/sh as cron runs it: -a lang=en reaches the crawl."""
    crontab = (DEPLOY / "crontab").read_text().splitlines()
    line = next(line for line in crontab if line[:1].isdigit())
    command = installed(line.split(None, 6)[6], Path("ENV"), scrapyd.home)
    with ReplicaHandle(articles=12, seed=3) as site:
        env = env_file(scrapyd, f"-a base_url={site.base_url} -a mode=full -a lang=en "
                                f"{RELAXED}")
        command = command.replace("ENV", str(env)).replace("--wait", "--wait --poll 0.2")
        result = subprocess.run(["/bin/sh", "-c", command], capture_output=True, text=True,
                                timeout=90, check=False, env={**os.environ, "PYTHONPATH": ""})
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == result.stderr == ""  # an ok run: nothing for cron to mail
    logged = (scrapyd.home / "all.log").read_text()
    run_id = json.loads(logged.splitlines()[-2])["run_id"]
    assert f"Run {run_id} OK" in logged.splitlines()[-1]
    summary = json.loads((scrapyd.output / "runs" / f"{run_id}.json").read_text("utf-8"))
    assert_ledger_adds_up(summary)
    assert summary["arguments"]["lang"] == ["en"]
    assert_summary_endings(summary, PAST_LAST)
    assert set(summary["records"]["by_lang"]) == {"en"}


def test_a_failed_run_is_loud_through_scrapyd(scrapyd: Server) -> None:
    """scrapyd lists the job as finished; the entry point exits 3 with the crawl's line."""
    with ReplicaHandle(articles=24, seed=5, faults="broken:0.4") as site:
        result = schedule(scrapyd, f"-a base_url={site.base_url} -a mode=full -a lang=ru "
                                   f"{RELAXED}")
    assert result.returncode == 3, result.stdout + result.stderr
    run_id = run_id_of(result)
    assert f"Run {run_id} FAILED" in result.stderr and "rejects_ratio" in result.stderr
    summary = json.loads((scrapyd.output / "runs" / f"{run_id}.json").read_text("utf-8"))
    assert_ledger_adds_up(summary)
    assert summary["status"] == "failed" and "rejects_ratio" in summary["failed_checks"]
    assert_summary_endings(summary, PAST_LAST)  # the walk was whole; its articles were not


def test_a_refused_run_reports_the_crawls_reason_and_exit_code(scrapyd: Server) -> None:
    result = schedule(scrapyd, "-a mode=fulll")
    assert result.returncode == 2, result.stdout + result.stderr
    run_id = run_id_of(result)
    assert result.stderr.strip() == (f"Run {run_id} REFUSED (exit 2): mode: 'fulll' is not "
                                     "one of incremental, full")
    assert not (scrapyd.output / "runs" / f"{run_id}.json").exists()


def test_a_run_on_a_held_state_reports_exit_4(scrapyd: Server) -> None:
    lock = lock_state(scrapyd.output / "state.sqlite3")
    try:
        result = schedule(scrapyd, "-a mode=full -a base_url=http://127.0.0.1:9")
    finally:
        lock.release()
    assert result.returncode == 4, result.stdout + result.stderr
    run_id = run_id_of(result)
    assert result.stderr.startswith(f"Run {run_id} REFUSED (exit 4): the state ")
    assert "is in use by a running crawl" in result.stderr
    assert not (scrapyd.output / "runs" / f"{run_id}.json").exists()  # refused: no ending


def test_the_placeholder_password_is_refused(scrapyd: Server, tmp_path: Path) -> None:
    result = schedule(scrapyd, "-a mode=full", password="change-me")
    assert result.returncode == 2
    assert "SCRAPYD_PASSWORD is the shipped placeholder" in result.stderr
    assert result.stdout == ""  # nothing was scheduled
    # scrapyd.service's ExecStartPre refuses the shipped scrapyd.conf, not one with a password.
    service = (DEPLOY / "scrapyd.service").read_text()
    line = next(line for line in service.splitlines() if line.startswith("ExecStartPre="))
    check = shlex.split(installed(line.removeprefix("ExecStartPre="), tmp_path, tmp_path))
    shipped = subprocess.run([*check[:-1], str(DEPLOY / "scrapyd.conf")], capture_output=True,
                             text=True, timeout=30, check=False)
    assert shipped.returncode == 2 and "shipped placeholder 'change-me'" in shipped.stderr
    own = subprocess.run([*check[:-1], str(scrapyd.home / "scrapyd.conf")], capture_output=True,
                         text=True, timeout=30, check=False)
    assert own.returncode == 0, own.stderr


def test_scrapyd_refuses_a_wrong_password(scrapyd: Server) -> None:
    result = schedule(scrapyd, "-a mode=full", password="wrong")
    assert result.returncode == 2
    assert "401" in result.stderr


def test_failed_runs_are_notified_once_per_new_problem(scrapyd: Server, tmp_path: Path) -> None:
    """By e-mail and webhook: the failed run, the refused run; not their repeats."""
    output = tmp_path / "notified"
    with SmtpReceiver() as smtp, WebhookReceiver() as hook, \
            ReplicaHandle(articles=24, seed=5, faults="broken:0.4") as site:
        settings = (f"-s ANALYTICS_OUTPUT_DIR={output} "
                    f"-s ANALYTICS_STATE_PATH={output / 'state.sqlite3'} "
                    f"-s ANALYTICS_NOTIFY_SMTP_URL={smtp.url} "
                    f"-s ANALYTICS_NOTIFY_EMAIL_TO=ops@example.org "
                    f"-s ANALYTICS_NOTIFY_WEBHOOK_URL={hook.url}")
        crawl = f"-a base_url={site.base_url} -a mode=full -a lang=ru {RELAXED} {settings}"
        failed = schedule(scrapyd, crawl)
        repeat = schedule(scrapyd, crawl)  # the same broken pages: known rejects, run ok
        refused = schedule(scrapyd, f"-a lang=de {settings}")
        refused_again = schedule(scrapyd, f"-a lang=de {settings}")
        mails, hooks = list(smtp.messages), list(hook.messages)
    assert [failed.returncode, repeat.returncode, refused.returncode,
            refused_again.returncode] == [3, 0, 2, 2], failed.stderr + repeat.stderr
    assert len(mails) == len(hooks) == 2
    written = sorted((output / "runs").glob("*.json"))
    assert len(written) == 2  # the refused runs wrote none
    for path in written:
        assert_ledger_adds_up(json.loads(path.read_text("utf-8")))
        assert_summary_endings(json.loads(path.read_text("utf-8")), PAST_LAST)
    run_id = run_id_of(failed)
    verdict = failed.stderr.strip()
    body = mails[0].get_content()
    assert mails[0]["Subject"].startswith(f"caliber-analytics: run {run_id} FAILED (127.0.0.1)")
    assert "- rejects_ratio: " in body and f"Verdict: {verdict}" in body
    assert f"Run files: {output / 'runs' / f'{run_id}.json'}" in body
    assert f"Verdict: {verdict}" in hooks[0]["text"]
    refusal = refused.stderr.strip()
    assert "lang: unknown language de" in refusal
    assert f"Verdict: {refusal}" in mails[1].get_content()
    assert f"Verdict: {refusal}" in hooks[1]["text"]


def test_a_job_lost_to_a_scrapyd_restart_is_reported_within_a_poll(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    """scrapyd stopped mid-wait: the polls are retried; once it is back without the job,
    the entry point says the job vanished, exit 1, without waiting out its timeout."""
    home = tmp_path_factory.mktemp("restarted")
    port = free_port()
    write_config(home, port)
    with ReplicaHandle(articles=24, seed=5) as site:
        with running_scrapyd(home, port) as server:
            deploy_egg(server.url, tmp_path_factory.mktemp("src"))
            env = env_file(server, f"-a base_url={site.base_url} -a mode=full")  # polite: slow
            waiting = subprocess.Popen(
                unit_command(env, home, "--poll", "0.5", "--grace", "60"),
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                env={**os.environ, "PYTHONPATH": ""})
            try:
                assert waiting.stdout is not None
                run_id = json.loads(waiting.stdout.readline())["run_id"]
                time.sleep(2)
            except BaseException:
                waiting.kill()
                raise
        crawl = crawl_processes(run_id)
        stopped_at = time.monotonic()
        time.sleep(2)  # a few polls fail
        try:
            with running_scrapyd(home, port):
                out, err = waiting.communicate(timeout=30)
                reported_after = time.monotonic() - stopped_at
        finally:
            for pid in crawl:
                os.kill(pid, 9)
    assert waiting.returncode == 1, out + err
    assert err.strip().startswith(f"no verdict for run {run_id}: the job vanished from scrapyd")
    assert reported_after < 2 + 15  # scrapyd's start, then one poll


def crawl_processes(run_id: str) -> list[int]:
    """The pids of the crawl of ``run_id`` still running (scrapyd does not stop them)."""
    pids = []
    for entry in Path("/proc").iterdir():
        try:
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if entry.name.isdigit() and f"_job={run_id}".encode() in command:
            pids.append(int(entry.name))
    return pids


def test_polls_of_a_scrapyd_that_never_answers_again_end_after_the_grace() -> None:
    from crawler.scheduling import Scrapyd, Waiter

    started = time.monotonic()
    outcome = Waiter(Scrapyd(f"http://127.0.0.1:{free_port()}"), "p", "job", poll=0.2,
                     grace=1.0).wait("analytics", timeout=60)
    assert outcome.code == 1 and time.monotonic() - started < 10
    assert "has not answered for 1 s" in outcome.line
