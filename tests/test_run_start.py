"""Run settings: the loopback relaxation never reaches a real site; the run id is checked."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from scrapy.settings import Settings

from crawler import settings as project_settings
from crawler.arguments import ArgumentError, CrawlArguments
from crawler.declarations import DECLARED
from crawler.runs.start import LOOPBACK_UNTHROTTLED, apply_run_settings, validate_settings
from tests.crawl import ROOT


def settings_with(**overrides: object) -> Settings:
    settings = Settings()
    settings.setmodule(project_settings, priority="project")
    settings.setdict(overrides, priority="cmdline")
    return settings


def arguments(base_url: str) -> CrawlArguments:
    return CrawlArguments.parse({"base_url": base_url}, "https://caliber.az")


def test_relaxation_applies_to_loopback_only() -> None:
    local = settings_with(ANALYTICS_LOOPBACK_UNTHROTTLED=True)
    apply_run_settings(local, arguments("http://127.0.0.1:8000"))
    assert {name: local[name] for name in LOOPBACK_UNTHROTTLED} == LOOPBACK_UNTHROTTLED

    live = settings_with(ANALYTICS_LOOPBACK_UNTHROTTLED=True)
    apply_run_settings(live, arguments("https://caliber.az"))
    assert live.getfloat("DOWNLOAD_DELAY") == 1.0
    assert live.getint("CONCURRENT_REQUESTS_PER_DOMAIN") == 1
    assert live.getbool("AUTOTHROTTLE_ENABLED")


def test_politeness_stays_without_the_setting() -> None:
    settings = settings_with()
    apply_run_settings(settings, arguments("http://127.0.0.1:8000"))
    assert settings.getfloat("DOWNLOAD_DELAY") == 1.0
    assert settings.getint("CONCURRENT_REQUESTS") == 1


def test_user_agent_names_the_crawler_and_contact() -> None:
    settings = settings_with(ANALYTICS_CONTACT_URL="https://example.org/contact")
    apply_run_settings(settings, arguments("https://caliber.az"))
    assert settings["USER_AGENT"] == "CaliberAnalyticsCrawler/0.1 (+https://example.org/contact)"


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("ANALYTICS_SECTION_PATHS", {"en": "https://evil.example/x"}, "a path such as"),
        ("ANALYTICS_SECTION_PATHS", {"en": "/en/../../etc"}, "a path such as"),
        ("ANALYTICS_SECTION_PATHS", {"az": "/az/category/analytics"}, "unknown key 'az'"),
        ("ANALYTICS_SECTION_PATHS", "{bad", "not JSON"),
        ("ANALYTICS_SECTION_PATHS", "[1]", "not a JSON object"),
        ("ANALYTICS_PAGE_PARAM", "p", "replaced by ANALYTICS_PAGE_URL"),
        ("ANALYTICS_PAGE_URL", "{path}?page={page}", "unknown placeholders"),
        ("ANALYTICS_PAGE_URL", "https://evil.example/?p={n}", "caliber.az"),
        ("ANALYTICS_PAGE_URL", "{path}?page=2", "needs {n} or {offset}"),
        ("ANALYTICS_PAGE_SIZE", 0, "a whole number, 1 or more"),
        ("ANALYTICS_PAGE_SIZE", "many", "a whole number, 1 or more"),
        ("ANALYTICS_ONE_PAGE_LANGUAGES", "en,az", "unknown language 'az'"),
        ("ANALYTICS_ONE_PAGE_LANGUAGES", 5, "languages: JSON, or en,ru (not a list)"),
        ("ANALYTICS_ONE_PAGE_LANGUAGES", "[en]", "languages: JSON, or en,ru"),
        ("ANALYTICS_JSON_CARD_FIELDS", {"link": "url"}, "unknown key 'link'"),
        ("ANALYTICS_JSON_CARD_FIELDS", {"href": ""}, "a JSON key"),
        ("ANALYTICS_JSON_CARD_FIELDS", "{not json", "not JSON"),
        ("ANALYTICS_SELECTORS", {"titel": "h1"}, "unknown key 'titel'"),
        ("ANALYTICS_SELECTORS", '{"title": "h1[["}', "a CSS selector"),
        ("ANALYTICS_VIEWS_LABELS", {"en": ""}, "a non-empty text"),
        ("ANALYTICS_MAX_LISTING_PAGES", 0, "a whole number, 1 or more"),
        ("ANALYTICS_MAX_LISTING_PAGES", "1.5", "a whole number"),
        ("ANALYTICS_REFRESH_DAYS", "9999", "from 0 to 3650"),
        ("ANALYTICS_BACKOFF_BASE", -1, "a number of seconds, 0 or more"),
        ("ANALYTICS_PROGRESS_INTERVAL", "abc", "a number of seconds"),
        ("ANALYTICS_RETRY_AFTER_MAX", "nan", "a number of seconds"),
        ("ANALYTICS_FSYNC", "maybe", "True or False"),
        ("ANALYTICS_LOOPBACK_UNTHROTTLED", "2", "True or False"),
        ("ANALYTICS_OUTPUT_DIR", "", "a directory"),
        ("ANALYTICS_RUN_ID", "../x", "a run id"),
        ("ANALYTICS_BASE_URL", "caliber.az", "an http(s) origin"),
        ("ANALYTICS_CONTACT_URL", "mailto:me@example.org", "an http(s) URL"),
        ("ANALYTICS_BOT_NAME", "Bot (evil)", "a User-Agent product name"),
        ("ANALYTICS_MONITOR_MAX_ERRORS", "x", "a whole number, 0 or more"),
        ("ANALYTICS_MONITOR_MAX_REJECTS_RATIO", 1.5, "a ratio from 0 to 1"),
        ("ANALYTICS_MONITOR_MAX_HTTP_ERROR_RATIO", -0.1, "a ratio from 0 to 1"),
        ("ANALYTICS_MONITOR_HTTP_ERRORS_TOLERATED", "-1", "a whole number, 0 or more"),
        ("ANALYTICS_MONITOR_MIN_COVERAGE", "{views:0.5}", "not JSON"),
        ("ANALYTICS_MONITOR_MIN_COVERAGE", {"views": 2}, "'views': 2"),
        ("ANALYTICS_MONITOR_MIN_COVERAGE", {"view": 0.5}, "unknown key 'view'"),
        ("ANALYTICS_MONITOR_MIN_COVERAGE_VIEWS", "abc", "a ratio from 0 to 1, or unset"),
        ("ANALYTICS_MONITOR_REJECTS_TOLERATED", "-1", "a whole number, 0 or more"),
        ("ANALYTICS_REJECT_RETRY_DAYS", "a week", "a number of days"),
        ("ANALYTICS_REJECT_RETRY_DAYS", -1, "a number of days"),
        ("ANALYTICS_REJECT_RETRY_MAX_DAYS", 0.5, "at least ANALYTICS_REJECT_RETRY_DAYS (1)"),
        ("ANALYTICS_MONITOR_COVERAGE_MIN_RECORDS", 0, "a whole number, 1 or more"),
        ("ANALYTICS_DATASET_FEEDS", {"s3://b/x.jsonl": "jsonl"}, "a FEEDS entry"),
        ("ANALYTICS_FSNYC", "1", "a known setting (ANALYTICS_FSYNC?)"),
    ],
)
def test_settings_outside_their_declaration_are_refused_in_one_line(
    name: str, value: object, expected: str
) -> None:
    with pytest.raises(ArgumentError) as refused:
        validate_settings(settings_with(**{name: value}))
    message = str(refused.value)
    assert message.startswith(f"{name}: given {value!r}; expected ")
    assert expected in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("name", "value"),
    [("ANALYTICS_FSYNC", "false"), ("ANALYTICS_FSYNC", 0), ("ANALYTICS_MAX_LISTING_PAGES", "7"),
     ("ANALYTICS_MONITOR_MIN_COVERAGE", '{"views": 1, "image": 0}'),
     ("ANALYTICS_MONITOR_MIN_COVERAGE_AUTHOR", "0.1"), ("ANALYTICS_BACKOFF_MAX", "0"),
     ("ANALYTICS_SELECTORS", '{"subtitle": ".post_lead::text"}'),
     ("ANALYTICS_ONE_PAGE_LANGUAGES", "ru, hy"), ("ANALYTICS_ONE_PAGE_LANGUAGES", '["en"]'),
     ("ANALYTICS_ONE_PAGE_LANGUAGES", ["en"]), ("ANALYTICS_ONE_PAGE_LANGUAGES", "")],
)
def test_values_inside_their_declaration_pass(name: str, value: object) -> None:
    validate_settings(settings_with(**{name: value}))


def test_a_run_refuses_directories_it_cannot_write(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    for name, value in (("ANALYTICS_OUTPUT_DIR", "/proc/caliber"),
                        ("ANALYTICS_OUTPUT_DIR", str(blocker / "out")),
                        ("ANALYTICS_STATE_PATH", str(blocker / "state.sqlite3")),
                        ("ANALYTICS_STATE_PATH", str(tmp_path))):
        settings = settings_with(**{name: value, "ANALYTICS_WRITE_RUN": True})
        with pytest.raises(ArgumentError, match=f"^{name}: given '{value}'; expected a"):
            validate_settings(settings)
        validate_settings(settings_with(**{name: value}))  # not a run: nothing is written
    assert sorted(path.name for path in tmp_path.iterdir()) == ["a-file"]


def test_a_new_output_directory_is_checked_but_not_made(tmp_path: Path) -> None:
    settings = settings_with(ANALYTICS_WRITE_RUN=True, ANALYTICS_OUTPUT_DIR=str(tmp_path / "a/b"),
                             ANALYTICS_STATE_PATH=str(tmp_path / "s/state.sqlite3"))
    validate_settings(settings)
    assert list(tmp_path.iterdir()) == []


def test_project_settings_are_valid() -> None:
    validate_settings(settings_with())


def test_a_server_sets_only_the_declared_env_settings_by_its_environment() -> None:
    environ = {name: value for name, value in os.environ.items()
               if not name.startswith("ANALYTICS_")}
    environ.update({setting.name: f"/srv/{setting.name}" for setting in DECLARED},
                   PYTHONPATH=str(ROOT))
    probe = ("import json; from scrapy.utils.project import get_project_settings; "
             "settings = get_project_settings(); "
             "print(json.dumps({k: v for k, v in settings.items() if k.startswith('ANALYTICS_')}))")
    shown = json.loads(subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=environ,
                                      capture_output=True, text=True, check=True,
                                      timeout=120).stdout)
    assert set(shown) == {setting.name for setting in DECLARED}
    from_environment = {name for name, value in shown.items() if value == f"/srv/{name}"}
    assert from_environment == {"ANALYTICS_OUTPUT_DIR", "ANALYTICS_STATE_PATH",
                                "ANALYTICS_CONTACT_URL", "ANALYTICS_NOTIFY_WEBHOOK_URL",
                                "ANALYTICS_NOTIFY_SMTP_URL", "ANALYTICS_NOTIFY_EMAIL_TO",
                                "ANALYTICS_NOTIFY_EMAIL_FROM"}
    assert all(shown[s.name] == s.default for s in DECLARED if not s.env)

