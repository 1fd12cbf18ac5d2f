#!/usr/bin/env python3
"""Schedule one crawl on scrapyd (``schedule.json``) and, with ``--wait``, report its verdict.

What the systemd timer and the cron line call. Standard library only, so it runs on any
host that can reach the scrapyd node. scrapyd shows every ended job as "finished", even a
failed or crashed one; ``--wait`` closes that gap: it waits for the job, reads the run's
verdict line from the job's log (``Run <run id> OK|FAILED``, written by the run summary)
and exits 0 (ok), 3 (the monitors failed the run) or 1 (no verdict: the crawl crashed, or
was refused because another run holds its state). The job id is the run id, so the
scrapyd job, its log and ``runs/<run id>.json`` share one name.

Environment: ``SCRAPYD_URL`` (default http://127.0.0.1:6800), ``SCRAPYD_USERNAME`` and
``SCRAPYD_PASSWORD`` (basic auth, when scrapyd has ``username``/``password`` set).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from typing import Any

EXIT_OK, EXIT_NO_VERDICT, EXIT_SCHEDULE_FAILED, EXIT_RUN_FAILED = 0, 1, 2, 3


def new_run_id(now: datetime | None = None) -> str:
    """A run id of the crawler's one accepted form: the UTC start to the millisecond."""
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    return moment.strftime("%Y%m%dT%H%M%S.") + f"{moment.microsecond // 1000:03d}Z"


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


def wait_for(server: Scrapyd, project: str, jobid: str, timeout: float,
             poll: float = 2.0) -> dict[str, Any]:
    """The job's entry in ``listjobs.json`` once it has finished."""
    deadline = time.monotonic() + timeout
    while True:
        jobs = server.json(f"listjobs.json?project={urllib.parse.quote(project)}")
        for job in jobs.get("finished", []):
            if job["id"] == jobid:
                return dict(job)
        if time.monotonic() > deadline:
            raise TimeoutError(f"job {jobid} still not finished after {timeout:.0f} s")
        time.sleep(poll)


def verdict(log: str, run_id: str) -> tuple[int, str]:
    """Exit code and line from the run summary's log line for ``run_id``."""
    match = re.search(rf"Run {re.escape(run_id)} (OK|FAILED)\b[^\n]*", log)
    if match is None:
        return EXIT_NO_VERDICT, (f"no verdict for run {run_id} in its log: the crawl crashed, "
                                 "was stopped, or was refused (another run holds the state)")
    return (EXIT_OK if match.group(1) == "OK" else EXIT_RUN_FAILED), match.group(0)


def pairs(values: list[str], what: str) -> dict[str, str]:
    """``NAME=VALUE`` options to a dict."""
    result = {}
    for value in values:
        name, sep, rest = value.partition("=")
        if not sep or not name:
            raise SystemExit(f"schedule.py: {what} {value!r} is not NAME=VALUE")
        result[name] = rest
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=os.environ.get("SCRAPYD_URL", "http://127.0.0.1:6800"))
    parser.add_argument("--project", default="caliber_analytics")
    parser.add_argument("--spider", default="analytics")
    parser.add_argument("-a", "--arg", action="append", default=[], metavar="NAME=VALUE",
                        help="spider argument, e.g. -a lang=en -a mode=full")
    parser.add_argument("-s", "--setting", action="append", default=[], metavar="NAME=VALUE",
                        help="Scrapy setting for this run")
    parser.add_argument("--wait", action="store_true",
                        help="wait for the job and exit with its verdict (0 ok, 3 failed, 1 none)")
    parser.add_argument("--timeout", type=float, default=6 * 3600,
                        help="seconds --wait waits at most (default 6 h)")
    parser.add_argument("--poll", type=float, default=10.0, help="seconds between job polls")
    options = parser.parse_args(argv)
    server = Scrapyd(options.url, os.environ.get("SCRAPYD_USERNAME", ""),
                     os.environ.get("SCRAPYD_PASSWORD", ""))
    run_id = new_run_id()
    try:
        jobid = schedule(server, options.project, options.spider, run_id,
                         pairs(options.arg, "argument"), pairs(options.setting, "setting"))
    except (OSError, RuntimeError, ValueError) as error:
        print(f"schedule.py: could not schedule on {options.url}: {error}", file=sys.stderr)
        return EXIT_SCHEDULE_FAILED
    print(json.dumps({"jobid": jobid, "run_id": run_id, "project": options.project}), flush=True)
    if not options.wait:
        return EXIT_OK
    try:
        job = wait_for(server, options.project, jobid, options.timeout, options.poll)
        log = server.call(job["log_url"]).decode("utf-8", "replace") if job.get("log_url") else ""
    except (OSError, RuntimeError, TimeoutError) as error:
        print(f"schedule.py: job {jobid}: {error}", file=sys.stderr)
        return EXIT_NO_VERDICT
    code, line = verdict(log, run_id)
    print(line, file=sys.stdout if code == EXIT_OK else sys.stderr, flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
