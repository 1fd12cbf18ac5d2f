"""Tell the operator: e-mail (SMTP) and a Slack-compatible webhook, on a run with new problems.

A run's *problems* are its failed checks (``crawler.monitors``), its new rejects and, for a
run refused before its first request, the refusal. Each has a stable key (its name and its
message with the numbers taken out), kept in ``ANALYTICS_OUTPUT_DIR/alerts.json`` once
alerted: a problem is alerted the first time it appears, not again while it persists, and
again if it comes back after a run without it. So a failed run tells the operator, and the
same failure every three hours does not bury the next new one.

Configured by the ``ANALYTICS_NOTIFY_*`` settings (``crawler/declarations.py``); with none set,
nothing is sent. Sending never fails a run: a notification that cannot be sent is logged.
"""

from __future__ import annotations

import json
import logging
import re
import smtplib
import ssl
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from scrapy import signals
from scrapy.crawler import Crawler

from crawler.declarations import read_setting
from crawler.disk import write_json_atomic
from crawler.runs.paths import RunPaths
from crawler.runs.reading import read_summary
from crawler.runs.start import require_run
from crawler.runs.summary import verdict_line

logger = logging.getLogger(__name__)

#: The file of the problems already alerted on, in ``ANALYTICS_OUTPUT_DIR``.
ALERTS_NAME = "alerts.json"


def problem_key(name: str, message: str) -> str:
    """A problem's stable key: its name and message, every number made ``#`` (a count that
    changed from run to run is the same problem)."""
    return f"{name}: {re.sub(r'[0-9]+(?:[.,:][0-9]+)*', '#', message)}"


def run_problems(summary: Mapping[str, Any]) -> dict[str, str]:
    """Problem key -> what to tell, for one run summary: its failed checks, its warnings and
    its new rejects."""
    problems = {problem_key(name, why): f"{name}: {why}"
                for name, why in summary.get("failed_checks", {}).items()}
    # The warnings too (a run flagged but ok: fields from a fallback layer, ...).
    problems.update({problem_key(name, why): f"{name} (warning): {why}"
                     for name, why in summary.get("warnings", {}).items()})
    for reject in summary.get("new_rejects", []):
        text = f"{reject['reason']} <{reject['url']}>"
        problems[f"new_reject: {text}"] = f"new reject: {text}"
    return problems


@dataclass
class Alerts:
    """The problems already alerted on (``alerts.json``): key -> the run that first had it."""

    path: Path
    known: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, output_dir: Path) -> Alerts:
        path = output_dir / ALERTS_NAME
        try:
            data = json.loads(path.read_text("utf-8"))
        except FileNotFoundError:
            data = {}
        except ValueError:
            logger.warning("%s is not JSON: every problem is alerted on again", path)
            data = {}
        return cls(path, {str(k): str(v) for k, v in dict(data).items()})

    def new(self, problems: Mapping[str, str], run_id: str,
            persistent_only: bool = False) -> dict[str, str]:
        """The problems not alerted on yet; the file then holds this run's problems only
        (one that went away is forgotten). ``persistent_only``: a refusal, which says
        nothing of the problems of the crawls, forgets none."""
        new = {key: text for key, text in problems.items() if key not in self.known}
        kept = dict(self.known) if persistent_only else {
            key: since for key, since in self.known.items() if key in problems}
        kept.update({key: run_id for key in new})
        if kept != self.known:
            write_json_atomic(self.path, kept)
            self.known = kept
        return new


@dataclass(frozen=True)
class Message:
    """One notification: a subject line and its body's lines."""

    subject: str
    lines: list[str]

    @property
    def body(self) -> str:
        return "\n".join(self.lines) + "\n"


def message_for(run_id: str, host: str, verdict: str, problems: Mapping[str, str],
                where: str) -> Message:
    """What failed, the verdict line and where the run's files are."""
    status = "REFUSED" if " REFUSED " in verdict else "FAILED" if " FAILED" in verdict else "OK"
    return Message(
        f"caliber-analytics: run {run_id} {status} ({host}): {len(problems)} new problem(s)",
        ["What failed (new since the last alert):", *(f"- {text}" for text in problems.values()),
         "", f"Verdict: {verdict}", f"Run files: {where}"])


def send_email(settings: Any, message: Message) -> None:
    """The message by SMTP, to ``ANALYTICS_NOTIFY_EMAIL_TO`` (smtp, smtps or STARTTLS)."""
    parts = urlsplit(read_setting(settings, "ANALYTICS_NOTIFY_SMTP_URL"))
    timeout = read_setting(settings, "ANALYTICS_NOTIFY_TIMEOUT")
    email = EmailMessage()
    email["Subject"] = message.subject
    email["From"] = read_setting(settings, "ANALYTICS_NOTIFY_EMAIL_FROM")
    email["To"] = ", ".join(read_setting(settings, "ANALYTICS_NOTIFY_EMAIL_TO"))
    email.set_content(message.body)
    host = parts.hostname or "localhost"
    if parts.scheme == "smtps":
        client: smtplib.SMTP = smtplib.SMTP_SSL(host, parts.port or 465, timeout=timeout,
                                                context=ssl.create_default_context())
    else:
        client = smtplib.SMTP(host, parts.port or 25, timeout=timeout)
    with client:
        if parts.scheme == "smtp+starttls":
            client.starttls(context=ssl.create_default_context())
        if parts.username:
            client.login(unquote(parts.username), unquote(parts.password or ""))
        client.send_message(email)


def send_webhook(settings: Any, message: Message) -> None:
    """The message as Slack-compatible JSON (``{"text": ...}``) posted to the webhook."""
    body = json.dumps({"text": f"*{message.subject}*\n{message.body}"}).encode()
    request = urllib.request.Request(read_setting(settings, "ANALYTICS_NOTIFY_WEBHOOK_URL"),
                                     data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request,
                                timeout=read_setting(settings, "ANALYTICS_NOTIFY_TIMEOUT")):
        pass


def channels(settings: Any) -> list[tuple[str, Callable[[Any, Message], None]]]:
    """The channels the settings configure (none: nothing is sent, nothing is kept)."""
    found: list[tuple[str, Callable[[Any, Message], None]]] = []
    if read_setting(settings, "ANALYTICS_NOTIFY_SMTP_URL") and \
            read_setting(settings, "ANALYTICS_NOTIFY_EMAIL_TO"):
        found.append(("e-mail", send_email))
    if read_setting(settings, "ANALYTICS_NOTIFY_WEBHOOK_URL"):
        found.append(("webhook", send_webhook))
    return found


def send(settings: Any, message: Message) -> list[str]:
    """Send by every configured channel; the channels that failed, each logged."""
    failed = []
    for name, channel in channels(settings):
        try:
            channel(settings, message)
        except (OSError, smtplib.SMTPException) as error:
            logger.error("Could not send the %s notification: %s", name, error)
            failed.append(name)
        else:
            logger.info("Notified by %s: %s", name, message.subject)
    return failed


def notify_new_problems(settings: Any, output_dir: Path, run_id: str, host: str,
                        verdict: str, problems: Mapping[str, str], where: str,
                        refusal: bool = False) -> dict[str, str]:
    """Send a notification when ``problems`` holds one not alerted on yet; the new ones."""
    if not channels(settings):
        return {}
    new = Alerts.load(output_dir).new(problems, run_id, persistent_only=refusal)
    if new:
        send(settings, message_for(run_id, host, verdict, new, where))
    return new


class RunAlerts:
    """At the close of a run, after its summary: the operator told of its new problems."""

    def __init__(self, crawler: Crawler) -> None:
        require_run(crawler.settings, "RunAlerts")
        self.crawler = crawler
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunAlerts:
        return cls(crawler)

    def spider_closed(self) -> None:
        paths = RunPaths.of(self.crawler.settings)
        summary = read_summary(paths.summary)
        notify_new_problems(self.crawler.settings, paths.output_dir, paths.run_id,
                            str(summary.get("host")), verdict_line(summary, paths.summary),
                            run_problems(summary), f"{paths.summary} (and the run's "
                            f"articles/, rejects/, archive/ files in {paths.output_dir})")
