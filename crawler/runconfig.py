"""Settings fixed when a run starts, from its arguments: run id, User-Agent, loopback speed."""

from __future__ import annotations

import logging

from scrapy.settings import Settings

from crawler.arguments import CrawlArguments, is_loopback
from crawler.export import new_run_id, validate_run_id

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


def apply_run_settings(settings: Settings, arguments: CrawlArguments) -> None:
    """Settings a run derives from its arguments, before the settings are frozen.

    Explicit ``-s`` settings win over all of these (they are set at spider priority).
    """
    run_id = validate_run_id(settings.get("ANALYTICS_RUN_ID") or new_run_id())
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
