"""Notifications: sent to a real SMTP server and a real webhook on 127.0.0.1, once per new
problem (``alerts.json``), each saying what failed, the verdict line and where the files are."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from scrapy.settings import Settings

from crawler import settings as project_settings
from crawler.arguments import ArgumentError
from crawler.notify import (
    Alerts,
    Message,
    notify_new_problems,
    problem_key,
    run_problems,
    send,
)
from crawler.runs.start import validate_settings
from tests.receivers import SmtpReceiver, WebhookReceiver, free_port

VERDICT = "Run 20261204T120000.000Z FAILED: 0 records {}, ...; FAILED records: a full run " \
          "delivered no record. Summary: /srv/out/runs/20261204T120000.000Z.json"


def settings_with(**overrides: object) -> Settings:
    settings = Settings()
    settings.setmodule(project_settings, priority="project")
    settings.setdict(overrides, priority="cmdline")
    return settings


def test_a_problem_key_ignores_the_counts() -> None:
    assert problem_key("rejects_ratio", "3 of 24 articles rejected (allowed ratio 0.05)") == \
        problem_key("rejects_ratio", "5 of 30 articles rejected (allowed ratio 0.05)")
    assert problem_key("records", "x") != problem_key("errors", "x")


def test_problems_are_the_failed_checks_the_warnings_and_the_new_rejects() -> None:
    summary = {"failed_checks": {"errors": "2 errors in the log (allowed: 0)"},
               "warnings": {"fallback_layers": "date: selectors date ('.post_time') stopped "
                                               "matching; replaced by finder on 20 pages"},
               "new_rejects": [{"url": "http://h/en/a/1", "reason": "missing_title"}]}
    assert sorted(run_problems(summary).values()) == [
        "errors: 2 errors in the log (allowed: 0)",
        "fallback_layers (warning): date: selectors date ('.post_time') stopped matching; "
        "replaced by finder on 20 pages", "new reject: missing_title <http://h/en/a/1>"]


def test_a_problem_is_alerted_once_while_it_lasts_and_again_when_it_returns(tmp_path: Path) -> None:
    first = {"k1": "one", "k2": "two"}
    assert Alerts.load(tmp_path).new(first, "r1") == first
    assert Alerts.load(tmp_path).new({"k1": "one"}, "r2") == {}  # k2 went away
    assert json.loads((tmp_path / "alerts.json").read_text()) == {"k1": "r1"}
    assert Alerts.load(tmp_path).new({"k1": "one", "k2": "two"}, "r3") == {"k2": "two"}
    # A refusal forgets none of the crawls' problems.
    assert Alerts.load(tmp_path).new({"r": "refused"}, "r4", persistent_only=True) == \
        {"r": "refused"}
    assert set(json.loads((tmp_path / "alerts.json").read_text())) == {"k1", "k2", "r"}


def test_a_new_problem_reaches_the_smtp_server_and_the_webhook(tmp_path: Path) -> None:
    with SmtpReceiver() as smtp, WebhookReceiver() as hook:
        settings = settings_with(ANALYTICS_NOTIFY_SMTP_URL=smtp.url,
                                 ANALYTICS_NOTIFY_EMAIL_TO="ops@example.org, data@example.org",
                                 ANALYTICS_NOTIFY_WEBHOOK_URL=hook.url)
        validate_settings(settings)
        problems = {problem_key("records", "a full run delivered no record"):
                    "records: a full run delivered no record"}
        where = "/srv/out/runs/20261204T120000.000Z.json"
        for _ in range(2):  # the second time the problem is known: nothing is sent
            notify_new_problems(settings, tmp_path, "20261204T120000.000Z", "caliber.az",
                                VERDICT, problems, where)
        assert len(smtp.messages) == len(hook.messages) == 1
    mail = smtp.messages[0]
    assert mail["To"] == "ops@example.org, data@example.org"
    assert mail["Subject"] == ("caliber-analytics: run 20261204T120000.000Z FAILED "
                               "(caliber.az): 1 new problem(s)")
    body = mail.get_content()
    assert "- records: a full run delivered no record" in body
    assert f"Verdict: {VERDICT}" in body and f"Run files: {where}" in body
    text = hook.messages[0]["text"]
    assert text.startswith("*caliber-analytics: run 20261204T120000.000Z FAILED")
    assert f"Verdict: {VERDICT}" in text and where in text


def test_nothing_is_sent_without_settings_and_a_dead_receiver_is_logged(tmp_path: Path) -> None:
    assert send(settings_with(), Message("s", ["l"])) == []
    dead = settings_with(ANALYTICS_NOTIFY_WEBHOOK_URL=f"http://127.0.0.1:{free_port()}/",
                         ANALYTICS_NOTIFY_SMTP_URL=f"smtp://127.0.0.1:{free_port()}",
                         ANALYTICS_NOTIFY_EMAIL_TO="ops@example.org")
    assert send(dead, Message("s", ["l"])) == ["e-mail", "webhook"]


@pytest.mark.parametrize(("name", "value", "expected"), [
    ("ANALYTICS_NOTIFY_SMTP_URL", "mail.example.org", "smtp://"),
    ("ANALYTICS_NOTIFY_WEBHOOK_URL", "ftp://x/", "an http(s) URL"),
    ("ANALYTICS_NOTIFY_EMAIL_TO", "ops, data@example.org", "e-mail addresses"),
])
def test_notification_settings_are_checked(name: str, value: str, expected: str) -> None:
    with pytest.raises(ArgumentError, match=re.escape(expected)):
        validate_settings(settings_with(**{name: value}))
