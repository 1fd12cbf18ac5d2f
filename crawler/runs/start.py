"""Settings fixed when a run starts, from its arguments: run id, User-Agent, loopback speed."""

from __future__ import annotations

import gc
import logging
from pathlib import Path
from typing import Any

from scrapy.exceptions import NotConfigured
from scrapy.settings import SETTINGS_PRIORITIES, Settings

from crawler.arguments import ArgumentError, CrawlArguments, is_loopback
from crawler.declarations import BY_NAME, check_settings, read_setting, refusal
from crawler.disk import unwritable_reason
from crawler.runs.instants import new_run_id
from crawler.scrapy_settings import check_scrapy_settings
from crawler.site import SiteProfile

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


def check_paths(settings: Any) -> None:
    """The run's output directory and its state's directory can be written."""
    output, state = Path(settings["ANALYTICS_OUTPUT_DIR"]), Path(settings["ANALYTICS_STATE_PATH"])
    for name, problem in (
        ("ANALYTICS_OUTPUT_DIR", unwritable_reason(output)),
        ("ANALYTICS_STATE_PATH", f"{state} is a directory" if state.is_dir()
         else unwritable_reason(state.parent)),
    ):
        if problem:
            raise refusal(name, settings[name], BY_NAME[name].kind.expected, problem)


def user_agent(settings: Any) -> str:
    """``<bot>/<version> (+<contact URL>)``: names the crawler and how to reach its operator."""
    return (
        f"{settings['ANALYTICS_BOT_NAME']}/{settings['ANALYTICS_BOT_VERSION']} "
        f"(+{settings['ANALYTICS_CONTACT_URL']})"
    )


def validate_settings(settings: Settings) -> None:
    """Refuse, before any request, a setting outside its declaration (``crawler/declarations.py``),
    and for a run (``ANALYTICS_WRITE_RUN``) an output or state directory it cannot write.

    ``ArgumentError`` says which setting, what was given and what is expected.
    """
    check_settings(settings)
    check_scrapy_settings(settings)
    if not read_setting(settings, "ANALYTICS_USE_STATE"):
        raise refusal("ANALYTICS_USE_STATE", settings.get("ANALYTICS_USE_STATE"), "True",
                      "False is set by scrapy reextract alone; a crawl reads and writes its state")
    if is_run(settings):
        check_paths(settings)


def loosened_politeness(settings: Settings, polite: Settings,
                        base_url: str) -> ArgumentError | None:
    """Why ``settings`` crawl ``base_url`` less politely than ``polite`` (the project's own,
    before the command line's), or None.

    Only a loopback base URL (the replica) may be crawled faster, and then only through
    ``ANALYTICS_LOOPBACK_UNTHROTTLED`` or these same settings; every other host gets at
    least the project's delay, one request in flight, robots.txt, AutoThrottle, the honest
    User-Agent and every pipeline and politeness middleware of the project.
    """
    if is_loopback(base_url):
        return None
    why = f"the project's polite value; {base_url} is not loopback, where alone it may be lifted"
    for name in ("DOWNLOAD_DELAY", "AUTOTHROTTLE_START_DELAY"):
        if settings.getfloat(name) < polite.getfloat(name):
            return refusal(name, settings[name], f"at least {polite.getfloat(name):g}", why)
    for name in ("CONCURRENT_REQUESTS_PER_DOMAIN", "CONCURRENT_REQUESTS_PER_IP"):
        if settings.getint(name) > max(1, polite.getint(name)):
            return refusal(name, settings[name], "1 request in flight per host", why)
    for name in ("ROBOTSTXT_OBEY", "AUTOTHROTTLE_ENABLED"):
        if not settings.getbool(name):
            return refusal(name, settings[name], "True", why)
    if (settings.getpriority("USER_AGENT") or 0) > SETTINGS_PRIORITIES["project"] \
            and settings["USER_AGENT"] != user_agent(settings):
        return refusal("USER_AGENT", settings["USER_AGENT"], repr(user_agent(settings)),
                       "the crawler names itself and its operator (ANALYTICS_BOT_NAME, "
                       f"ANALYTICS_CONTACT_URL); {base_url} is not loopback")
    for name in ("ITEM_PIPELINES", "DOWNLOADER_MIDDLEWARES"):
        given = settings.getwithbase(name)
        missing = [path for path, order in polite.getdict(name).items()  # those it turns on
                   if order is not None and given.get(path) is None]
        if missing:
            return refusal(name, settings.getdict(name), "the project's components, "
                           f"{', '.join(missing)} missing", f"{base_url} is not loopback")
    return None


def declare_run(settings: Settings) -> None:
    """Make this process a run: its components write the run files, state and summary.

    Called by the commands that make a run (``scrapy crawl analytics``) before the crawler
    is created; every other Scrapy tool leaves ``ANALYTICS_WRITE_RUN`` off and writes
    nothing. The run id (the run's start, naming its files) is fixed here unless given.
    """
    settings.set("ANALYTICS_WRITE_RUN", True, priority="cmdline")
    if not settings.get("ANALYTICS_RUN_ID"):
        settings.set("ANALYTICS_RUN_ID", new_run_id(), priority="cmdline")


def is_run(settings: Settings) -> bool:
    """True in a process that makes a run (``declare_run``): run components switch on."""
    return settings.getbool("ANALYTICS_WRITE_RUN")


def require_run(settings: Settings, component: str) -> None:
    """``NotConfigured`` outside a run: ``scrapy shell``/``fetch``/``parse`` write nothing."""
    if not is_run(settings):
        raise NotConfigured(f"{component} writes a run's files; off outside "
                            "`scrapy crawl analytics` (ANALYTICS_WRITE_RUN)")


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


def check_site(settings: Settings, base_url: str) -> SiteProfile:
    """A check's start (``scrapy sitecheck``, with or without ``--browser``): the crawl's run
    settings for ``base_url`` (its User-Agent, politeness lifted only for loopback), and the
    site as the settings describe it."""
    apply_run_settings(settings, CrawlArguments.parse({"base_url": base_url},
                                                      settings["ANALYTICS_BASE_URL"]))
    return SiteProfile.from_settings(settings)


def freeze_startup_objects() -> None:
    """As a run's spider starts: every object alive now (modules, settings, the engine, the
    state) lives as long as the process, so it is moved out of the cyclic collector's sight
    (``gc.freeze``) and each collection walks only the pages' garbage (0.3-0.4 ms less CPU
    a page over 1,000 pages, docs/benchmarks.md)."""
    gc.freeze()
