"""One scheduled crawl on scrapyd, and one verdict for it whatever happened.

What ``deploy/schedule.py`` runs, for the systemd timer and the cron line alike: it reads
its env file itself (``KEY=VALUE`` lines, no shell: ``CRAWL_ARGS`` keeps its spaces under
any ``/bin/sh``), schedules the crawl (``schedule.json``; the job id is the run id, so the
job, its log and ``runs/<run id>.json`` share one name) and, with ``--wait``, waits for the
job and reports the crawl's own verdict line from the job's log with the crawl's exit
code: 0 ok, 3 its monitors failed it, 2 or 4 refused before its first request (the line
says why). 1 is no verdict: the crawl crashed, the job vanished from scrapyd (restarted),
or scrapyd stopped answering for longer than ``--grace`` seconds. Failed polls are retried
until then. An outcome with no verdict is notified by the ``ANALYTICS_NOTIFY_*`` settings
of the env file; a verdict was notified by the crawl itself (``crawler.notify``).
"""

from __future__ import annotations

import argparse
import base64
import configparser
import json
import os
import re
import shlex
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crawler.commands.exitcodes import ExitCode
from crawler.runs.instants import new_run_id

#: The env file's password shipped in ``deploy/``: refused, never sent.
PLACEHOLDER_PASSWORD = "change-me"
#: What an env file may set: scrapyd's address and credentials, the crawl's options and
#: the notifications of outcomes without a verdict.
ENV_KEYS = ("SCRAPYD_URL", "SCRAPYD_USERNAME", "SCRAPYD_PASSWORD", "CRAWL_ARGS",
            "ANALYTICS_NOTIFY_WEBHOOK_URL", "ANALYTICS_NOTIFY_SMTP_URL",
            "ANALYTICS_NOTIFY_EMAIL_TO", "ANALYTICS_NOTIFY_EMAIL_FROM")


class EnvFileError(ValueError):
    """An env file line that is not ``KEY=VALUE`` of a known key; the message says where."""


def read_env_file(path: Path) -> dict[str, str]:
    """``KEY=VALUE`` lines (``#`` comments, blank lines; a value may be quoted whole with
    ``'`` or ``"``); nothing is expanded or executed, unlike a shell's ``. file``."""
    values = {}
    for number, raw in enumerate(path.read_text("utf-8").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or key not in ENV_KEYS:
            raise EnvFileError(f"{path}:{number}: {raw!r} is not KEY=VALUE of a known key "
                               f"({', '.join(ENV_KEYS)})")
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key] = value
    return values


class Scrapyd:
    """The few calls of scrapyd's JSON API this needs, with basic auth when configured."""

    def __init__(self, url: str, username: str = "", password: str = "",
                 timeout: float = 30) -> None:
        self.url = url.rstrip("/") + "/"
        self.timeout = timeout
        self.headers = {}
        if username:
            token = base64.b64encode(f"{username}:{password}".encode()).decode()
            self.headers["Authorization"] = f"Basic {token}"

    def call(self, path: str, data: list[tuple[str, str]] | None = None) -> bytes:
        """GET (or POST form ``data``) ``path`` on the server; HTTP errors raise."""
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(urllib.parse.urljoin(self.url, path.lstrip("/")),
                                         data=body, headers=self.headers)
        with urllib.request.urlopen(request, timeout=self.timeout) as answer:
            content: bytes = answer.read()
        return content

    def json(self, path: str, data: list[tuple[str, str]] | None = None) -> dict[str, Any]:
        answer: dict[str, Any] = json.loads(self.call(path, data))
        if answer.get("status") != "ok":
            raise RuntimeError(f"scrapyd refused {path}: {answer.get('message', answer)}")
        return answer


def schedule(server: Scrapyd, project: str, spider: str, run_id: str,
             arguments: dict[str, str], settings: dict[str, str]) -> str:
    """Queue the crawl; the job id is the run id (``ANALYTICS_RUN_ID``)."""
    data = [("project", project), ("spider", spider), ("jobid", run_id),
            ("setting", f"ANALYTICS_RUN_ID={run_id}")]
    data += [("setting", f"{name}={value}") for name, value in settings.items()]
    data += list(arguments.items())
    jobid: str = server.json("schedule.json", data)["jobid"]
    return jobid


@dataclass(frozen=True)
class Outcome:
    """The verdict of one scheduled run: exit code and the line that says it."""

    code: int
    line: str


def job_state(jobs: Mapping[str, Any], jobid: str) -> tuple[str, dict[str, Any]] | None:
    """(``pending``/``running``/``finished``, the job's entry), or None: not on scrapyd."""
    for state in ("pending", "running", "finished"):
        for job in jobs.get(state, []):
            if job.get("id") == jobid:
                return state, dict(job)
    return None


def verdict(log: str, run_id: str) -> Outcome | None:
    """The crawl's own verdict line for ``run_id`` in its log, with its exit code."""
    match = re.search(rf"Run {re.escape(run_id)} (OK|FAILED|REFUSED \(exit (\d)\))[^\n]*", log)
    if match is None:
        return None
    if match.group(2):
        return Outcome(int(match.group(2)), match.group(0))
    return Outcome(ExitCode.OK if match.group(1) == "OK" else ExitCode.RUN_FAILED, match.group(0))


def last_error(log: str) -> str:
    """The log's last error line (or its last line), to say how a crawl without a verdict
    ended."""
    lines = [line for line in log.splitlines() if line.strip()]
    errors = [line for line in lines if " ERROR: " in line or "Error" in line]
    return (errors or lines or ["the log is empty"])[-1].strip()


class Waiter:
    """Polls scrapyd for one job until it has a verdict, retrying failed polls."""

    def __init__(self, server: Scrapyd, project: str, jobid: str, poll: float, grace: float,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.server, self.project, self.jobid = server, project, jobid
        self.poll, self.grace, self.sleep = poll, grace, sleep

    def log_path(self, spider: str) -> str:
        """Where scrapyd keeps the job's log (also after a restart forgot the job)."""
        quote = urllib.parse.quote
        return f"logs/{quote(self.project)}/{quote(spider)}/{quote(self.jobid)}.log"

    def wait(self, spider: str, timeout: float) -> Outcome:
        deadline = time.monotonic() + timeout
        failing_since: float | None = None
        while True:
            try:
                jobs = self.server.json(f"listjobs.json?project={urllib.parse.quote(self.project)}")
            except (OSError, RuntimeError, ValueError) as error:
                now = time.monotonic()
                failing_since = failing_since or now
                if now - failing_since >= self.grace:
                    return Outcome(ExitCode.FAILED, (
                        f"no verdict for run {self.jobid}: scrapyd at {self.server.url} has not "
                        f"answered for {now - failing_since:.0f} s ({error}); the crawl may "
                        "still run there: see its runs/ directory"))
            else:
                failing_since = None
                found = job_state(jobs, self.jobid)
                if found is None:  # scrapyd lists a job from its scheduling on: it is gone
                    return self.vanished(spider)
                if found[0] == "finished":
                    return self.read_verdict(found[1].get("log_url") or self.log_path(spider))
            if time.monotonic() > deadline:
                return Outcome(ExitCode.FAILED, f"no verdict for run {self.jobid}: job still "
                                                f"not finished after {timeout:.0f} s")
            self.sleep(self.poll)

    def read_log(self, path: str) -> str | None:
        try:
            return self.server.call(path).decode("utf-8", "replace")
        except (OSError, RuntimeError):
            return None

    def read_verdict(self, log_path: str) -> Outcome:
        log = self.read_log(log_path)
        if log is None:
            return Outcome(ExitCode.FAILED, f"no verdict for run {self.jobid}: its log "
                                            f"{log_path} cannot be read from scrapyd")
        found = verdict(log, self.jobid)
        if found is not None:
            return found
        return Outcome(ExitCode.FAILED, f"no verdict for run {self.jobid}: the crawl ended "
                                        f"without one (crashed?); its log's last error: "
                                        f"{last_error(log)}")

    def vanished(self, spider: str) -> Outcome:
        """A job scrapyd no longer lists (it restarted): its log may still hold a verdict."""
        log = self.read_log(self.log_path(spider))
        found = verdict(log, self.jobid) if log is not None else None
        if found is not None:
            return found
        return Outcome(ExitCode.FAILED, (
            f"no verdict for run {self.jobid}: the job vanished from scrapyd at "
            f"{self.server.url} (restarted?) before it finished; see its runs/ directory"))


def scrapyd_conf_problem(path: Path) -> str | None:
    """Why a scrapyd.conf must not be started with (no password, or the shipped one), or
    None: an egg uploaded to scrapyd runs as its user, so its API needs a real password."""
    config = configparser.ConfigParser(interpolation=None)
    try:
        config.read_string(path.read_text("utf-8"))
    except (OSError, configparser.Error) as error:
        return f"{path}: {error}"
    username = config.get("scrapyd", "username", fallback="").strip()
    password = config.get("scrapyd", "password", fallback="").strip()
    if not username or not password:
        return f"{path}: set username and password in [scrapyd] (no password: anyone who " \
               "reaches the port can upload an egg, which runs as the service's user)"
    if password == PLACEHOLDER_PASSWORD:
        return f"{path}: password is the shipped placeholder {PLACEHOLDER_PASSWORD!r}; set one " \
               "of your own (and the same as SCRAPYD_PASSWORD in the schedules' env files)"
    return None


def pairs(values: list[str], what: str) -> dict[str, str]:
    """``NAME=VALUE`` options to a dict."""
    result = {}
    for value in values:
        name, sep, rest = value.partition("=")
        if not sep or not name:
            raise SystemExit(f"schedule.py: {what} {value!r} is not NAME=VALUE")
        result[name] = rest
    return result


def parser() -> argparse.ArgumentParser:
    options = argparse.ArgumentParser(prog="schedule.py", description=__doc__.split("\n\n")[0])
    options.add_argument("--env-file", type=Path, metavar="FILE",
                         help="KEY=VALUE file: SCRAPYD_URL, SCRAPYD_USERNAME, SCRAPYD_PASSWORD, "
                              "CRAWL_ARGS (-a/-s options, before those given here), "
                              "ANALYTICS_NOTIFY_*")
    options.add_argument("--check-scrapyd-conf", type=Path, metavar="FILE",
                         help="only check that FILE (scrapyd.conf) sets a password of its own: "
                              "exit 2 with the reason if not (scrapyd.service's ExecStartPre)")
    options.add_argument("--url", help="scrapyd (default SCRAPYD_URL, http://127.0.0.1:6800)")
    options.add_argument("--project", default="caliber_analytics")
    options.add_argument("--spider", default="analytics")
    options.add_argument("-a", "--arg", action="append", default=[], metavar="NAME=VALUE",
                         help="spider argument, e.g. -a lang=en -a mode=full")
    options.add_argument("-s", "--setting", action="append", default=[], metavar="NAME=VALUE",
                         help="Scrapy setting for this run")
    options.add_argument("--wait", action="store_true",
                         help="wait for the job and exit with the crawl's verdict")
    options.add_argument("--timeout", type=float, default=6 * 3600,
                         help="seconds --wait waits at most (default 6 h)")
    options.add_argument("--poll", type=float, default=10.0,
                         help="seconds between job polls (default 10)")
    options.add_argument("--grace", type=float, default=300.0,
                         help="seconds scrapyd may not answer before there is no verdict "
                              "(default 300)")
    return options


def notify_no_verdict(env: Mapping[str, str], run_id: str, line: str, where: str) -> None:
    """Tell the operator of an outcome the crawl could not report itself."""
    from scrapy.settings import Settings

    from crawler.declarations import check_settings
    from crawler.notify import Message, send

    settings = Settings({name: value for name, value in env.items()
                         if name.startswith("ANALYTICS_NOTIFY_")})
    try:
        check_settings(settings)
    except ValueError as error:
        print(f"schedule.py: no notification sent: {error}", file=sys.stderr)
        return
    send(settings, Message(f"caliber-analytics: run {run_id} has NO VERDICT",
                           [f"What failed: {line}", f"Run files: {where}"]))


def main(argv: list[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    options = parser().parse_args(argv)
    if options.check_scrapyd_conf is not None:
        problem = scrapyd_conf_problem(options.check_scrapyd_conf)
        if problem:
            print(f"schedule.py: refused: {problem}", file=sys.stderr)
        return ExitCode.REFUSED if problem else ExitCode.OK
    env = dict(environ if environ is not None else os.environ)
    try:
        if options.env_file is not None:
            env.update(read_env_file(options.env_file))
        crawl = parser().parse_args(shlex.split(env.get("CRAWL_ARGS", "")))
    except (OSError, ValueError) as error:
        print(f"schedule.py: {error}", file=sys.stderr)
        return ExitCode.REFUSED
    url = options.url or env.get("SCRAPYD_URL") or "http://127.0.0.1:6800"
    if env.get("SCRAPYD_PASSWORD") == PLACEHOLDER_PASSWORD:
        print(f"schedule.py: SCRAPYD_PASSWORD is the shipped placeholder {PLACEHOLDER_PASSWORD!r};"
              " set the password of your scrapyd (deploy/scrapyd.conf)", file=sys.stderr)
        return ExitCode.REFUSED
    server = Scrapyd(url, env.get("SCRAPYD_USERNAME", ""), env.get("SCRAPYD_PASSWORD", ""))
    run_id = new_run_id()
    try:
        jobid = schedule(server, options.project, options.spider, run_id,
                         pairs(crawl.arg + options.arg, "argument"),
                         pairs(crawl.setting + options.setting, "setting"))
    except (OSError, RuntimeError, ValueError) as error:
        print(f"schedule.py: could not schedule on {url}: {error}", file=sys.stderr)
        return ExitCode.REFUSED
    print(json.dumps({"jobid": jobid, "run_id": run_id, "project": options.project}), flush=True)
    if not options.wait:
        return ExitCode.OK
    waiter = Waiter(server, options.project, jobid, options.poll, options.grace)
    outcome = waiter.wait(options.spider, options.timeout)
    print(outcome.line, file=sys.stdout if outcome.code == ExitCode.OK else sys.stderr, flush=True)
    if outcome.code == ExitCode.FAILED:
        notify_no_verdict(env, run_id, outcome.line, f"job log {waiter.log_path(options.spider)} "
                                                      f"on {url}")
    return outcome.code

