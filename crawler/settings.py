"""Scrapy settings of the project: polite defaults for the live site.

Every ``ANALYTICS_*`` setting is described in the README. Settings can be overridden
with ``-s NAME=VALUE``; on a server, four of them also from the environment (below).
"""

import os

from crawler import site
from crawler.items import RECORD_FIELDS

BOT_NAME = "caliber_analytics"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"
COMMANDS_MODULE = "crawler.commands"

# --- the project's own settings -----------------------------------------------------
ANALYTICS_BASE_URL = "https://caliber.az"  # default of -a base_url
# The four settings a server sets per node read the environment variable of the same name
# (Scrapy itself reads no SCRAPY_<SETTING> variables any more); -s still wins over them.
ANALYTICS_OUTPUT_DIR = os.environ.get("ANALYTICS_OUTPUT_DIR") or "output"  # articles/, runs/, …
ANALYTICS_STATE_PATH = (  # the incremental state store (SQLite)
    os.environ.get("ANALYTICS_STATE_PATH") or "output/state.sqlite3")
ANALYTICS_REFRESH_DAYS = 3  # default of -a refresh_days: re-fetch views of recent articles
ANALYTICS_RUN_ID = None  # set at start: the run's UTC start, names its files
ANALYTICS_FSYNC = True  # fsync each record line before it counts as delivered
ANALYTICS_BOT_NAME = "CaliberAnalyticsCrawler"
ANALYTICS_BOT_VERSION = "0.1"
ANALYTICS_CONTACT_URL = (  # in the User-Agent
    os.environ.get("ANALYTICS_CONTACT_URL") or "https://github.com/caliber-analytics-crawler")
ANALYTICS_LOOPBACK_UNTHROTTLED = False  # True: no delays/throttle, but only for 127.0.0.0/8
ANALYTICS_MAX_LISTING_PAGES = 2000  # per language: bounds an endless pagination
ANALYTICS_PROGRESS_INTERVAL = 60.0  # seconds between progress lines in the log
ANALYTICS_BACKOFF_BASE = 2.0  # seconds; the site pause after a failure doubles per retry
ANALYTICS_BACKOFF_MAX = 120.0  # seconds; cap of that pause
ANALYTICS_RETRY_AFTER_MAX = 600.0  # seconds; cap of a Retry-After pause
ANALYTICS_MONITOR_MAX_ERRORS = 0  # errors in the log before the run counts as failed
ANALYTICS_MONITOR_MAX_REJECTS_RATIO = 0.05  # new rejects / articles before the run fails
ANALYTICS_MONITOR_REJECTS_TOLERATED = 1  # new rejects that never fail a run with more records
ANALYTICS_REJECT_RETRY_DAYS = 1.0  # an open reject is retried next run, then after 1, 2, 4... days
ANALYTICS_REJECT_RETRY_MAX_DAYS = 7.0  # cap of that interval

# Assumed facts of the site (docs/site.md), correctable without touching the parser.
ANALYTICS_SECTION_PATHS = dict(site.SECTION_PATHS)
ANALYTICS_PAGE_URL = site.PAGE_URL  # batch N >= 2 where the listing links no next page itself
ANALYTICS_PAGE_SIZE = site.PAGE_SIZE  # cards on a full listing page
ANALYTICS_JSON_CARD_FIELDS = dict(site.JSON_CARD_FIELDS)  # card field -> key in a JSON batch
ANALYTICS_VIEWS_LABELS = dict(site.VIEWS_LABELS)
ANALYTICS_SELECTORS: dict[str, str] = {}  # overrides of site.SELECTORS by key

# --- politeness (live site) ---------------------------------------------------------
ROBOTSTXT_OBEY = True
# Composed again at start from ANALYTICS_CONTACT_URL (crawler.runconfig.user_agent).
USER_AGENT = f"{ANALYTICS_BOT_NAME}/{ANALYTICS_BOT_VERSION} (+{ANALYTICS_CONTACT_URL})"
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

DOWNLOADER_MIDDLEWARES = {
    # After RetryMiddleware (550) in the response path: sees 429/503 before the retry.
    "crawler.middlewares.SitePauseMiddleware": 560,
}
ITEM_PIPELINES = {
    "crawler.pipelines.NormalizePipeline": 100,
    "crawler.pipelines.ValidatePipeline": 200,
    "crawler.pipelines.DeduplicatePipeline": 300,
    "crawler.pipelines.ExportPipeline": 400,
    "crawler.pipelines.StatePipeline": 500,
}
EXTENSIONS = {
    "scrapy.extensions.logstats.LogStats": None,  # replaced by ProgressLog
    "crawler.extensions.ProgressLog": 100,
    "crawler.extensions.RejectsLog": 200,
    "crawler.extensions.RunSummary": 900,
}

FEED_EXPORT_ENCODING = "utf-8"  # -O file.jsonl writes UTF-8 like the run files
# -O/-o feeds hold the record's fields only, like the run files (not Article.fetched_form).
FEED_EXPORT_FIELDS = list(RECORD_FIELDS)
LOG_LEVEL = os.environ.get("ANALYTICS_LOG_LEVEL") or "INFO"

# --- monitors and server (issue 5) --------------------------------------------------
# Thresholds of crawler/monitors.py (each is described in the README, "Monitors").
ANALYTICS_MONITOR_MAX_HTTP_ERROR_RATIO = 0.2  # 4xx+5xx / responses before the run fails
ANALYTICS_MONITOR_HTTP_ERRORS_TOLERATED = 3  # this many 4xx/5xx never fail a run (a listing's end)
# Least share of records with each optional field: a selector that stopped matching shows
# here. author is on older articles only, so an incremental run may rightly have none: 0.
ANALYTICS_MONITOR_MIN_COVERAGE = {"views": 0.2, "category": 0.5, "subtitle": 0.2, "author": 0.0}
ANALYTICS_MONITOR_COVERAGE_MIN_RECORDS = 20  # fewer records: coverage is not judged
