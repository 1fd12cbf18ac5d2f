"""Settings fixed when a run starts, from its arguments: run id, User-Agent, loopback speed."""

from __future__ import annotations

import logging
import re

from scrapy.settings import Settings

from crawler.arguments import ArgumentError, CrawlArguments, is_loopback
from crawler.rejects import retry_settings_error
from crawler.runfiles import new_run_id, validate_run_id
from crawler.site import JSON_CARD_FIELDS, LANGUAGES, SELECTORS, SiteProfile
from crawler.urls import page_url_problem

logger = logging.getLogger(__name__)

#: What ``ANALYTICS_LOOPBACK_UNTHROTTLED`` changes, and only for a base URL on loopback.
LOOPBACK_UNTHROTTLED: dict[str, object] = {
    "DOWNLOAD_DELAY": 0,
    "DOWNLOAD_DELAY_JITTER": 0,
    "AUTOTHROTTLE_ENABLED": False,
    "CONCURRENT_REQUESTS": 16,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
    "ANALYTICS_BACKOFF_BASE": 0.05,
}


def user_agent(settings: Settings) -> str:
    """``<bot>/<version> (+<contact URL>)``: names the crawler and how to reach its operator."""
    return (
        f"{settings['ANALYTICS_BOT_NAME']}/{settings['ANALYTICS_BOT_VERSION']} "
        f"(+{settings['ANALYTICS_CONTACT_URL']})"
    )


_SAFE_PATH = re.compile(r"^/[A-Za-z0-9/_\-.%]*$")


def validate_pagination_settings(settings: Settings) -> None:
    """``ANALYTICS_PAGE_URL``, ``ANALYTICS_PAGE_SIZE``, ``ANALYTICS_JSON_CARD_FIELDS``."""
    if settings.get("ANALYTICS_PAGE_PARAM") is not None:
        raise ArgumentError(
            f"ANALYTICS_PAGE_PARAM: {settings['ANALYTICS_PAGE_PARAM']!r} is replaced by "
            "ANALYTICS_PAGE_URL, a template of the whole URL: for ?p=N give "
            "-s 'ANALYTICS_PAGE_URL={path}?p={n}'")
    template = str(settings.get("ANALYTICS_PAGE_URL") or "")
    problem = page_url_problem(template)
    if problem:
        raise ArgumentError(f"ANALYTICS_PAGE_URL: {template!r} {problem}")
    size = str(settings.get("ANALYTICS_PAGE_SIZE")).strip()
    if not size.isdigit() or int(size) < 1:
        raise ArgumentError(f"ANALYTICS_PAGE_SIZE: {size!r} is not a number of cards (1 or more)")
    try:
        fields = settings.getdict("ANALYTICS_JSON_CARD_FIELDS")
    except ValueError:
        fields = {"": settings.get("ANALYTICS_JSON_CARD_FIELDS")}
    bad = {key: value for key, value in fields.items()
           if key not in JSON_CARD_FIELDS or not isinstance(value, str) or not value.strip()}
    if bad:
        raise ArgumentError(f"ANALYTICS_JSON_CARD_FIELDS: {bad!r} is not a card field mapped to "
                            f"a JSON key; expected a JSON object such as {dict(JSON_CARD_FIELDS)}")


def validate_settings(settings: Settings) -> None:
    """Refuse settings that cannot be right before any request (``ArgumentError`` says why).

    Site facts may only name paths on the base URL's host; numbers must be in range.
    """
    validate_pagination_settings(settings)
    site = SiteProfile.from_settings(settings)
    for lang, path in site.section_paths.items():
        if lang not in LANGUAGES or not _SAFE_PATH.match(path) or ".." in path:
            raise ArgumentError(f"ANALYTICS_SECTION_PATHS: {lang!r}: {path!r} must be a path "
                                f"such as /en/category/analytics, for one of {LANGUAGES}")
    unknown = sorted(set(site.selectors) - set(SELECTORS))
    if unknown:
        raise ArgumentError(
            f"ANALYTICS_SELECTORS: unknown keys {unknown}; known: {sorted(SELECTORS)}")
    if settings.getint("ANALYTICS_MAX_LISTING_PAGES") < 1:
        raise ArgumentError("ANALYTICS_MAX_LISTING_PAGES must be at least 1")
    for name in ("ANALYTICS_BACKOFF_BASE", "ANALYTICS_BACKOFF_MAX", "ANALYTICS_RETRY_AFTER_MAX",
                 "ANALYTICS_PROGRESS_INTERVAL"):
        if settings.getfloat(name) < 0:
            raise ArgumentError(f"{name} must not be negative")
    for name in ("ANALYTICS_OUTPUT_DIR", "ANALYTICS_STATE_PATH"):
        if not str(settings.get(name) or "").strip():
            raise ArgumentError(f"{name} must name a path")
    retry_error = retry_settings_error(settings)
    if retry_error:
        raise ArgumentError(retry_error)
    tolerated = str(settings.get("ANALYTICS_MONITOR_REJECTS_TOLERATED"))
    if not tolerated.isdigit():
        raise ArgumentError(f"ANALYTICS_MONITOR_REJECTS_TOLERATED={tolerated!r}: expected a "
                            "whole number of rejects (0 or more)")
    if settings.get("ANALYTICS_RUN_ID"):
        try:
            validate_run_id(settings["ANALYTICS_RUN_ID"])
        except ValueError as error:
            raise ArgumentError(f"ANALYTICS_RUN_ID: {error}") from None


def apply_run_settings(settings: Settings, arguments: CrawlArguments) -> None:
    """Settings a run derives from its arguments, before the settings are frozen.

    Explicit ``-s`` settings win over all of these (they are set at spider priority).
    """
    validate_settings(settings)
    run_id = settings.get("ANALYTICS_RUN_ID") or new_run_id()
    settings.set("ANALYTICS_RUN_ID", run_id, priority="spider")
    settings.set("USER_AGENT", user_agent(settings), priority="spider")
    if not settings.getbool("ANALYTICS_LOOPBACK_UNTHROTTLED"):
        return
    if not is_loopback(arguments.base_url):
        logger.warning(
            "ANALYTICS_LOOPBACK_UNTHROTTLED ignored: %s is not a loopback address; "
            "politeness stays on", arguments.base_url,
        )
        return
    logger.warning(
        "Politeness relaxed for the loopback replica at %s (ANALYTICS_LOOPBACK_UNTHROTTLED): %s",
        arguments.base_url, LOOPBACK_UNTHROTTLED,
    )
    for name, value in LOOPBACK_UNTHROTTLED.items():
        settings.set(name, value, priority="spider")
