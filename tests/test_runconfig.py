"""Run settings: the loopback relaxation never reaches a real site; the run id is checked."""

from __future__ import annotations

import pytest
from scrapy.settings import Settings

from crawler import settings as project_settings
from crawler.arguments import ArgumentError, CrawlArguments
from crawler.runconfig import LOOPBACK_UNTHROTTLED, apply_run_settings, validate_settings


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


def test_a_run_id_that_could_name_another_path_is_refused() -> None:
    with pytest.raises(ValueError, match="run id"):
        apply_run_settings(settings_with(ANALYTICS_RUN_ID="../x"), arguments("https://caliber.az"))


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("ANALYTICS_SECTION_PATHS", {"en": "https://evil.example/x"}, "must be a path"),
        ("ANALYTICS_SECTION_PATHS", {"en": "/en/../../etc"}, "must be a path"),
        ("ANALYTICS_SECTION_PATHS", {"az": "/az/category/analytics"}, "must be a path"),
        ("ANALYTICS_PAGE_PARAM", "p", "replaced by ANALYTICS_PAGE_URL"),
        ("ANALYTICS_PAGE_URL", "{path}?page={page}", "unknown placeholders"),
        ("ANALYTICS_PAGE_URL", "https://evil.example/?p={n}", "caliber.az"),
        ("ANALYTICS_PAGE_SIZE", 0, "not a number of cards"),
        ("ANALYTICS_PAGE_SIZE", "many", "not a number of cards"),
        ("ANALYTICS_JSON_CARD_FIELDS", {"link": "url"}, "not a card field"),
        ("ANALYTICS_JSON_CARD_FIELDS", {"href": ""}, "not a card field"),
        ("ANALYTICS_JSON_CARD_FIELDS", "{not json", "not a card field"),
        ("ANALYTICS_SELECTORS", {"titel": "h1"}, "unknown keys"),
        ("ANALYTICS_MAX_LISTING_PAGES", 0, "at least 1"),
        ("ANALYTICS_BACKOFF_BASE", -1, "negative"),
        ("ANALYTICS_OUTPUT_DIR", "", "must name a path"),
        ("ANALYTICS_REJECT_RETRY_DAYS", "a week", r"RETRY_DAYS='a week': expected a number"),
        ("ANALYTICS_REJECT_RETRY_DAYS", -1, "expected a number of days"),
        ("ANALYTICS_REJECT_RETRY_MAX_DAYS", 0.5, "expected at least ANALYTICS_REJECT_RETRY_DAYS"),
        ("ANALYTICS_MONITOR_REJECTS_TOLERATED", "-1", "expected a whole number"),
    ],
)
def test_settings_that_cannot_be_right_are_refused(name: str, value: object, message: str) -> None:
    with pytest.raises(ArgumentError, match=message):
        validate_settings(settings_with(**{name: value}))


def test_project_settings_are_valid() -> None:
    validate_settings(settings_with())
