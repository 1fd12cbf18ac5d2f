"""Scrapy settings of the project: polite defaults for the live site.

Every ``ANALYTICS_*`` setting is declared in ``crawler/declarations.py`` and described in
``docs/settings.md``. Settings can be overridden with ``-s NAME=VALUE``; on a server, some
also from the environment (below).
"""

import os

from crawler.declarations import defaults
from crawler.items import RECORD_FIELDS
from crawler.runs.start import user_agent

BOT_NAME = "caliber_analytics"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"
COMMANDS_MODULE = "crawler.commands"

# --- the project's own settings -----------------------------------------------------
# Every ANALYTICS_* setting with its default, declared (type, range, meaning) in
# crawler/declarations.py. Three a server sets per node (ANALYTICS_OUTPUT_DIR, _STATE_PATH,
# _CONTACT_URL) take their default from the environment variable of the same name
# (Scrapy itself reads no SCRAPY_<SETTING> variables any more); -s still wins over them.
_project_defaults = defaults()
globals().update(_project_defaults)

# --- politeness (live site) ---------------------------------------------------------
ROBOTSTXT_OBEY = True
# Composed again at start from ANALYTICS_CONTACT_URL and the bot's name and version.
USER_AGENT = user_agent(_project_defaults)
CONCURRENT_REQUESTS = 1
CONCURRENT_REQUESTS_PER_DOMAIN = 1
DOWNLOAD_DELAY = 1.0  # average seconds between requests
DOWNLOAD_DELAY_JITTER = 0.5  # each delay drawn from 0.5x-1.5x of DOWNLOAD_DELAY
AUTOTHROTTLE_ENABLED = True  # slows down further when the site answers slowly
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 60.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 8 * 1024 * 1024  # a page is ~100 KB; anything past 8 MB is dropped
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
RETRY_ENABLED = True
RETRY_TIMES = 5
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
HTTPCACHE_ENABLED = False  # -s HTTPCACHE_ENABLED=1 for development: replays pages offline
HTTPCACHE_DIR = "httpcache"
REDIRECT_MAX_TIMES = 5
# Scrapy starts CONCURRENT_ITEMS (default 100) asyncio tasks for the output of every
# callback; an article yields one item and the pipelines never wait on the network, so
# that was 100 tasks per page for nothing: 10% of the CPU of a crawl (docs/benchmarks.md).
CONCURRENT_ITEMS = 1
# Scrapy looks at every callback's source (inspect + ast) for a generator that returns a
# value, once per response: its cache is keyed by the bound method, new for each request,
# so it misses every time (5% of the CPU of a crawl, docs/benchmarks.md). The same check is
# made once for every callback of the project's spiders in tests/test_layout.py.
WARN_ON_GENERATOR_RETURN_VALUE = False
# Scrapy's in-memory stats without the shim it puts on every attribute read (crawler/stats.py).
STATS_CLASS = "crawler.stats.CrawlStats"

DOWNLOADER_MIDDLEWARES = {
    # Another host refused with an errback, dont_filter requests too (crawler.doors).
    "crawler.doors.SiteHostsOnly": 55,
    # robots.txt as RFC 9309 says (a failed one disallows all) in place of Scrapy's.
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawler.robots.SiteRobotsMiddleware": 100,
    # Scrapy's meta refresh, without decoding a page that has none (crawler/metarefresh.py).
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    "crawler.metarefresh.PageMetaRefreshMiddleware": 580,
    # After RetryMiddleware (550) in the response path: sees 429/503 before the retry.
    "crawler.middlewares.SitePauseMiddleware": 560,
    # Next to the downloader: archives each answer as sent (compressed), before the
    # redirect, retry and decompression middlewares act on it.
    "crawler.archive.writer.ArchiveMiddleware": 950,
}
SPIDER_MIDDLEWARES = {
    # Closest to the spider: an exception in an article's callback becomes its reject.
    "crawler.doors.CallbackFailures": 950,
}
ITEM_PIPELINES = {
    "crawler.pipelines.NormalizePipeline": 100,
    "crawler.pipelines.ValidatePipeline": 200,
    "crawler.pipelines.DeduplicatePipeline": 300,
    "crawler.pipelines.ExportPipeline": 400,
    "crawler.pipelines.ProvenancePipeline": 450,
    "crawler.pipelines.StatePipeline": 500,
}
EXTENSIONS = {
    "scrapy.extensions.logstats.LogStats": None,  # replaced by ProgressLog
    "crawler.progress.ProgressLog": 100,
    # Opens the crawl's state store before the engine, closes it when the engine stopped.
    "crawler.state.keeper.CrawlState": 150,
    "crawler.ledger.LedgerKeeper": 160,
    "crawler.runs.rejects.RejectsLog": 200,
    "crawler.runs.summary.RunSummary": 900,
    # After the summary: reads it and tells the operator of new problems (crawler/notify.py).
    "crawler.notify.RunAlerts": 950,
}

FEED_EXPORT_ENCODING = "utf-8"  # -O file.jsonl writes UTF-8 like the run files
# -O/-o feeds hold the record's fields only, like the run files (not Article.fetched_form).
FEED_EXPORT_FIELDS = list(RECORD_FIELDS)
LOG_LEVEL = os.environ.get("ANALYTICS_LOG_LEVEL") or "INFO"
