"""Every ``ANALYTICS_*`` setting, declared once: its type, default, allowed values and meaning.

``crawler/settings.py`` takes its defaults from ``DECLARED``; ``check_settings`` refuses a
value outside the declaration before the first request (one line: ``NAME: given X;
expected Y``); the settings reference ``docs/settings.md`` is ``reference_page()``
(``python -m crawler.declarations > docs/settings.md`` writes it; a test keeps the two equal).
"""

from __future__ import annotations

import difflib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from crawler import site
from crawler.arguments import ArgumentError
from crawler.items import OPTIONAL_FIELDS
from crawler.setting_kinds import (
    DAYS,
    EMAIL,
    FLAG,
    GROWING_DAYS,
    HOST,
    INTERVAL,
    RATIO,
    SECONDS,
    Kind,
    integer,
    mapping,
    number,
    optional,
    read_base_url,
    read_css,
    read_feed_options,
    read_hosts,
    read_http_url,
    read_json_path,
    read_layers,
    read_page_url,
    read_run_id,
    read_section_path,
    read_smtp_url,
    text,
    text_list,
)
from crawler.urls import page_url_problem

#: Prefix of the project's own settings; an unknown name with it is a typo and refused.
PREFIX = "ANALYTICS_"

#: Settings of earlier versions, refused with what replaces them.
RETIRED: Mapping[str, str] = {
    "ANALYTICS_PAGE_PARAM": "ANALYTICS_PAGE_URL instead, a template of the whole URL: for ?p=N "
                            "give -s 'ANALYTICS_PAGE_URL={path}?p={n}' (replaced by "
                            "ANALYTICS_PAGE_URL)",
}


@dataclass(frozen=True)
class Setting:
    """One ``ANALYTICS_*`` setting; ``env``: a server may set its default by that variable."""

    name: str
    kind: Kind
    default: Any
    doc: str
    env: bool = False


_LANGS = f"language ({', '.join(site.LANGUAGES)})"
_TOKEN = r"[A-Za-z0-9._\-]+"

#: Every setting of the project, in the order of the table of ``docs/settings.md``.
DECLARED: tuple[Setting, ...] = (
    Setting("ANALYTICS_BASE_URL",
            Kind("an http(s) origin such as https://caliber.az", read_base_url),
            "https://caliber.az", "default of `-a base_url`"),
    Setting("ANALYTICS_OUTPUT_DIR", text(expected="a directory this user can write"), "output",
            "where `articles/`, `rejects/`, `runs/`, `archive/` are written", env=True),
    Setting("ANALYTICS_STATE_PATH", text(expected="a file in a directory this user can write"),
            "output/state.sqlite3", "the incremental state store (SQLite)", env=True),
    Setting("ANALYTICS_WRITE_RUN", FLAG, False,
            "set by `scrapy crawl analytics` and `scrapy reextract`: this process is a run and "
            "writes its files and summary (a crawl also its state); the other Scrapy tools leave "
            "it off and write nothing"),
    Setting("ANALYTICS_RUN_ID",
            optional(Kind("a run id such as 20261128T071500.123Z", read_run_id)),
            None, "names the run's files; the run's start time when unset"),
    Setting("ANALYTICS_REFRESH_DAYS", integer(0, 3650), 3, "default of `-a refresh_days`"),
    Setting("ANALYTICS_REFRESH_AGES", GROWING_DAYS, [1, 3, 7, 30, 90, 365], "days after "
            "publication to fetch a known article again (views, edits); then every last one"),
    Setting("ANALYTICS_REFRESH_DAILY_MAX", integer(0), 500, "most refreshes a UTC day over all "
            "runs; the other due ones wait for a run with room, most overdue first"),
    Setting("ANALYTICS_STATE_FRESH_START", FLAG, False, "a missing state beside run files "
            "stops a crawl (rebuild it: `scrapy state --rebuild`); True starts afresh on "
            "purpose: every article is fetched and delivered again"),
    Setting("ANALYTICS_FSYNC", FLAG, True, "fsync every record line before it counts as delivered; "
            "`scrapy reextract` defaults it to `False` (no state to keep in step, and its run can "
            "be redone from the archive): its file is fsynced once, before the run summary"),
    Setting("ANALYTICS_ARCHIVE", FLAG, True, "write every answer of the site with its request to "
            "`archive/<run>.warc.gz` (WARC); `False` turns the archive off"),
    Setting("ANALYTICS_ARCHIVE_GZIP_LEVEL", integer(1, 9), 1,
            "gzip level of the archive, 1 (fastest) to 9 (smallest)"),
    Setting("ANALYTICS_USE_STATE", FLAG, True, "set to `False` by `scrapy reextract` alone: "
            "its runs neither read nor write the state (the state pipeline switches itself off, "
            "rejects are not noted in it); a crawl refuses `False`"),
    Setting("ANALYTICS_BOT_NAME", text(_TOKEN, "a User-Agent product name"),
            "CaliberAnalyticsCrawler", "the bot's name in the User-Agent"),
    Setting("ANALYTICS_BOT_VERSION", text(_TOKEN, "a User-Agent version"), "0.1",
            "the bot's version in the User-Agent"),
    Setting("ANALYTICS_CONTACT_URL", Kind("an http(s) URL", read_http_url),
            "https://github.com/caliber-analytics-crawler",
            "contact page of the crawler's operator, in the User-Agent", env=True),
    Setting("ANALYTICS_LOOPBACK_UNTHROTTLED", FLAG, False,
            "no delays, 16 parallel requests: loopback base URLs only"),
    Setting("ANALYTICS_MAX_LISTING_PAGES", integer(1), 2000,
            "per language; bounds an endless pagination (an error when reached)"),
    Setting("ANALYTICS_PROGRESS_INTERVAL", INTERVAL, 60.0, "seconds between progress lines"),
    Setting("ANALYTICS_BACKOFF_BASE", SECONDS, 2.0,
            "seconds: site pause after a failure, doubling per retry"),
    Setting("ANALYTICS_BACKOFF_MAX", SECONDS, 120.0, "seconds: cap of that pause"),
    Setting("ANALYTICS_RETRY_AFTER_MAX", SECONDS, 600.0,
            "seconds: the longest `Retry-After` obeyed"),
    Setting("ANALYTICS_REJECT_RETRY_DAYS", DAYS, 1.0, "an open reject is retried on the next "
            "run, then after this many days, doubling (0: every run)"),
    Setting("ANALYTICS_REJECT_RETRY_MAX_DAYS", DAYS, 7.0,
            "the longest interval between two retries of an open reject"),
    Setting("ANALYTICS_SITE_MIRRORS", text_list(HOST, "host names"), [],
            "hosts that serve the same site as the one `ANALYTICS_OUTPUT_DIR` is bound to "
            "(its site.json, written by its first run, also beside the state): a crawl of "
            "any other host is refused"),
    Setting("ANALYTICS_UNREACHABLE_ATTEMPTS", integer(1, 20), 3,
            "attempts at a host that has not answered once (connection refused, no DNS name) "
            "before the run ends, a few seconds apart (`RETRY_TIMES` and the backoff apply "
            "once the host has answered)"),
    # Notifications (crawler/notify.py): who is told of a failed run or a new problem.
    Setting("ANALYTICS_NOTIFY_WEBHOOK_URL", optional(Kind("an http(s) URL", read_http_url)), None,
            "a webhook (Slack-compatible JSON `{\"text\": ...}`) told of a failed run or a "
            "new problem", env=True),
    Setting("ANALYTICS_NOTIFY_SMTP_URL",
            optional(Kind("smtp://, smtps:// or smtp+starttls://[user:password@]host[:port]",
                          read_smtp_url)), None,
            "the mail server of the e-mail notifications (credentials URL-quoted)", env=True),
    Setting("ANALYTICS_NOTIFY_EMAIL_TO", text_list(EMAIL, "e-mail addresses"), [],
            "recipients of the e-mail notifications (none: no e-mail)", env=True),
    Setting("ANALYTICS_NOTIFY_EMAIL_FROM", EMAIL, "caliber-analytics@localhost",
            "sender of the e-mail notifications", env=True),
    Setting("ANALYTICS_NOTIFY_TIMEOUT", number(0.1, 300, "a number of seconds"), 10.0,
            "seconds a notification may take to send before it is given up (and logged)"),
    # Assumed facts of the site, correctable without touching the parser.
    Setting("ANALYTICS_SECTION_PATHS",
            mapping(site.LANGUAGES, _LANGS, Kind("a path such as /en/category/analytics",
                                                 read_section_path)),
            dict(site.SECTION_PATHS), "listing path per language (assumed)"),
    Setting("ANALYTICS_SECTION_LABELS", mapping(site.LANGUAGES, _LANGS, text()),
            dict(site.SECTION_LABELS), "the section's label in each home page's menu, by "
            "which `scrapy sitecheck` finds the section path (assumed for ru and hy)"),
    Setting("ANALYTICS_PAGE_URL", Kind("a template: a path such as {path}?page={n} or a URL on "
                                       "caliber.az, with {n}, {offset} or {cursor}", read_page_url),
            site.PAGE_URL, "URL of listing batch N ≥ 2 where page 1 links no next batch itself "
            "(see [How pagination is followed](crawling.md#how-pagination-is-followed)): `{n}` "
            "(batch number) or `{offset}` (cards before the batch, `(n-1) * ANALYTICS_PAGE_SIZE`), "
            "and optionally `{limit}` "
            "(`ANALYTICS_PAGE_SIZE`), `{path}` (the section path), `{lang}` (`en`, `ru`, `hy`), "
            "`{slug}` (the section path's last segment), `{cursor}` (what the batch before "
            "gave at `ANALYTICS_JSON_PATHS` `cursor`, empty after page 1); a URL on another "
            "host of the site names it in `ANALYTICS_EXTRA_HOSTS`. Replaces "
            "`ANALYTICS_PAGE_PARAM`, which "
            "is now refused: `-s ANALYTICS_PAGE_PARAM=p` becomes "
            "`-s 'ANALYTICS_PAGE_URL={path}?p={n}'` (assumed)"),
    Setting("ANALYTICS_BATCH_METHOD", Kind(" or ".join(site.BATCH_METHODS),
                                           text("|".join(site.BATCH_METHODS)).read), "GET",
            "HTTP method of a batch built from `ANALYTICS_PAGE_URL`"),
    Setting("ANALYTICS_BATCH_BODY", optional(text()), None,
            "body of such a batch (a `POST`), a template with the placeholders of "
            "`ANALYTICS_PAGE_URL` (`{cursor}`, `{n}`, ...): each value is escaped for a JSON "
            "string when `ANALYTICS_BATCH_HEADERS` says `Content-Type: …json`, else "
            "form-encoded; the body's own braces stay"),
    Setting("ANALYTICS_BATCH_HEADERS", mapping(None, "header name", text()), {},
            "request headers of such a batch, such as `{\"X-Requested-With\": "
            "\"XMLHttpRequest\"}` (an endpoint that answers only a script)"),
    Setting("ANALYTICS_EXTRA_HOSTS", Kind("hosts (`host` or `host:port`), comma-separated",
                                          read_hosts), [],
            "other hosts of the site that `ANALYTICS_PAGE_URL` may name (an endpoint on "
            "`api.…`); requests never go to any host but the crawled one and these"),
    Setting("ANALYTICS_JSON_PATHS", mapping(tuple(site.JSON_PATHS), "`cards`, `cursor` or "
                                            "`last`", Kind("a path or rule", read_json_path)),
            dict(site.JSON_PATHS),
            "where a JSON batch keeps its cards (`cards`: the path of the list of card "
            "objects), the next batch's `{cursor}` (`cursor`; empty: none) and its \"nothing "
            "left\" (`last`: `PATH=VALUE`, VALUE in JSON such as `0`, `false`, `null`, or "
            "`PATH` alone: true; empty: none). A path is keys joined by dots, a whole number "
            "indexing a list: `data.items`, `data.paging.has_more=false`, `items.0.url`. "
            "When batches are asked by cursor, a batch without one is the last (assumed)"),
    Setting("ANALYTICS_BROWSER_EXECUTABLE", text(expected="a browser's program name or path"),
            "chromium", "`scrapy sitecheck --browser`: the Chromium it drives (found on "
            "`PATH` when not a path); never a downloaded build"),
    Setting("ANALYTICS_BROWSER_MAX_SCROLLS", integer(1, 200), 12,
            "`scrapy sitecheck --browser`: most scrolls (and clicks) per language"),
    Setting("ANALYTICS_BROWSER_SECONDS", number(5, 3600, "a number of seconds"), 120.0,
            "`scrapy sitecheck --browser`: most time in the browser per language"),
    Setting("ANALYTICS_PAGE_SIZE", integer(1), site.PAGE_SIZE, "cards a full page shows (assumed)"),
    Setting("ANALYTICS_ONE_PAGE_LANGUAGES", Kind("languages: JSON, or en,ru", site.language_codes),
            [], "languages whose section has one listing page: their walks end after page 1"),
    Setting("ANALYTICS_JSON_CARD_FIELDS",
            mapping(tuple(site.JSON_CARD_FIELDS), "card field", text(expected="a JSON key")),
            dict(site.JSON_CARD_FIELDS),
            "card field → key of each object of a JSON batch's `result` (dots reach into "
            "nested objects: `\"link.href\"`) (assumed)"),
    Setting("ANALYTICS_VIEWS_LABELS", mapping(site.LANGUAGES, _LANGS, text()),
            dict(site.VIEWS_LABELS), "label of the views counter (assumed for hy), checked by "
            "`scrapy sitecheck` only: the crawl reads the number whatever its label"),
    Setting("ANALYTICS_SELECTORS",
            mapping(tuple(site.SELECTORS), "key of `crawler/site.py` SELECTORS",
                    Kind("a CSS selector", read_css)),
            {}, "overrides of the CSS selectors in `crawler/site.py` by key"),
    Setting("ANALYTICS_FIELD_LAYERS", Kind(f"a comma list of layers from {', '.join(site.LAYERS)}, "
                                           "in that order, starting with selector", read_layers),
            ",".join(site.LAYERS), "where a field is read from, first valid value wins: the "
            "selectors, the page's structured data (JSON-LD, OpenGraph, `<title>`, `<time>`), "
            "the finder by the site's own rules (docs/site.md, *When the markup changes*)"),
    Setting("ANALYTICS_COMPARE_LAYERS", FLAG, True, "where the selectors and the structured "
            "data both give a field, compare them (the summary counts disagreements)"),
    # Monitors (crawler/monitors.py): thresholds of the end-of-run checks.
    Setting("ANALYTICS_MONITOR_MAX_ERRORS", integer(0), 0,
            "errors in the log before the run is `failed`"),
    Setting("ANALYTICS_MONITOR_MAX_REJECTS_RATIO", RATIO, 0.05,
            "new rejects / articles before the run is `failed`"),
    Setting("ANALYTICS_MONITOR_REJECTS_TOLERATED", integer(0), 1,
            "new rejects that never fail a run delivering more records than that "
            "([Monitors](monitors.md#the-checks))"),
    Setting("ANALYTICS_MONITOR_MAX_HTTP_ERROR_RATIO", RATIO, 0.2,
            "4xx+5xx / responses before the run is `failed`"),
    Setting("ANALYTICS_MONITOR_HTTP_ERRORS_TOLERATED", integer(0), 3,
            "this many 4xx/5xx never fail a run (a listing's closing 404)"),
    Setting("ANALYTICS_MONITOR_MIN_COVERAGE",
            mapping(OPTIONAL_FIELDS, f"optional field ({', '.join(OPTIONAL_FIELDS)})", RATIO),
            {"views": 0.2, "category": 0.5, "subtitle": 0.2, "author": 0.0},
            "least share of records with each optional field (author: older articles only)"),
    *(Setting(f"ANALYTICS_MONITOR_MIN_COVERAGE_{field.upper()}", optional(RATIO), None,
              f"the least share of `{field}` alone (wins over the dict)")
      for field in OPTIONAL_FIELDS),
    Setting("ANALYTICS_MONITOR_COVERAGE_MIN_RECORDS", integer(1), 20,
            "fewer records: coverage is not judged"),
    Setting("ANALYTICS_MONITOR_FALLBACKS_TOLERATED", integer(0), 3,
            "pages a field (or the listing's cards) may come from a fallback layer before the "
            "run is flagged with the selectors to correct (a warning: the records are kept); "
            "a fallback on every page that gave it is flagged however few"),
    Setting("ANALYTICS_MONITOR_DISAGREEMENTS_TOLERATED", integer(0), 3,
            "pages where the selectors and the structured data may disagree on a field before "
            "the run is flagged (a warning)"),
    Setting("ANALYTICS_DATASET_FEEDS",
            mapping(None, "URI", Kind("a FEEDS entry (a JSON object)", read_feed_options)),
            {}, "`scrapy dataset` exports, in the form of `FEEDS`"),
)

BY_NAME: Mapping[str, Setting] = {setting.name: setting for setting in DECLARED}


def defaults(environ: Mapping[str, str] = os.environ) -> dict[str, Any]:
    """Every declared setting's default (copies), the server's environment applied."""
    values = {s.name: json.loads(json.dumps(s.default)) for s in DECLARED}
    values.update({s.name: environ[s.name] for s in DECLARED if s.env and environ.get(s.name)})
    return values


def refusal(name: str, given: Any, expected: str, detail: str = "") -> ArgumentError:
    """The one-line refusal of a setting: ``NAME: given X; expected Y (detail)``."""
    return ArgumentError(f"{name}: given {given!r}; expected {expected}"
                         + (f" ({detail})" if detail else ""))


def read_setting(settings: Any, name: str) -> Any:
    """The value of a declared setting, checked; ``ArgumentError`` when it is not allowed."""
    declared = BY_NAME[name]
    given = settings.get(name, declared.default)
    try:
        return declared.kind.read(given)
    except ValueError as error:
        raise refusal(name, given, declared.kind.expected, str(error)) from None


def check_settings(settings: Any) -> None:
    """Refuse any ``ANALYTICS_*`` setting that is unknown or outside its declaration."""
    for name in sorted(settings):
        if name in RETIRED:
            raise refusal(name, settings[name], RETIRED[name])
        if name.startswith(PREFIX) and name not in BY_NAME:
            near = difflib.get_close_matches(name, BY_NAME, n=1)
            raise refusal(name, settings[name], f"a known setting{f' ({near[0]}?)' if near else ''}"
                          " (docs/settings.md)")
    for setting in DECLARED:
        read_setting(settings, setting.name)
    template = read_setting(settings, "ANALYTICS_PAGE_URL")
    problem = page_url_problem(template, tuple(read_setting(settings, "ANALYTICS_EXTRA_HOSTS")),
                               read_setting(settings, "ANALYTICS_BATCH_BODY") or "")
    if problem:
        raise refusal("ANALYTICS_PAGE_URL", template, BY_NAME["ANALYTICS_PAGE_URL"].kind.expected,
                      problem)
    base = read_setting(settings, "ANALYTICS_REJECT_RETRY_DAYS")
    if read_setting(settings, "ANALYTICS_REJECT_RETRY_MAX_DAYS") < base:
        raise refusal("ANALYTICS_REJECT_RETRY_MAX_DAYS",
                      settings.get("ANALYTICS_REJECT_RETRY_MAX_DAYS"),
                      f"at least ANALYTICS_REJECT_RETRY_DAYS ({base:g})")


def markdown_table() -> str:
    """The table of every declared setting: name, what it accepts, default, meaning."""
    def shown(setting: Setting) -> str:
        value = "unset" if setting.default is None else json.dumps(setting.default,
                                                                    ensure_ascii=False)
        return f"`{value}`" + (f" (env `{setting.name}`)" if setting.env else "")
    rows = [f"| `{s.name}` | {s.kind.expected} | {shown(s)} | {s.doc} |" for s in DECLARED]
    return "\n".join(["| Setting | Accepts | Default | Meaning |", "|---|---|---|---|", *rows])


#: What ``docs/settings.md`` says before the table: how a setting is given and checked.
_PAGE_HEAD = """\
# Settings

<!-- Generated from crawler/declarations.py by
`.venv/bin/python -m crawler.declarations > docs/settings.md`; a test keeps this page equal
to it. Edit the declarations, never this page. -->

Besides Scrapy's own, the project's settings (`ANALYTICS_*`) are declared in one place,
`crawler/declarations.py`: type, default, allowed values, meaning. The [reference](#reference)
below is generated from those declarations.

## Giving a setting

- On the command line, `-s NAME=VALUE`, for every command of the project.
- Dict settings take JSON and are merged into the default key by key:
  `-s 'ANALYTICS_SECTION_PATHS={{"en": "/en/analytics"}}'`.
- The settings marked "(env …)" also take their default from the environment variable of
  that name, for a server ([deployment](deployment.md#4-start-scrapyd)); `-s` wins.

## How settings are checked

Before the first request, every command of the project refuses a value outside its
declaration, and an `ANALYTICS_*` name that is not declared (a typo), with exit code 2
([exit codes](../README.md#exit-codes)) and one line:

```
scrapy: error: ANALYTICS_FSYNC: given 'maybe'; expected True or False (also 1/0, true/false)
```

Scrapy's own settings are checked the same way (`crawler/scrapy_settings.py`): a wrong type
or range of one the crawl relies on (`DOWNLOAD_DELAY=abc`, `LOG_LEVEL=BOGUS`,
`DOWNLOAD_TIMEOUT=-5`) and a name one letter away from a known one (`CONCURENT_REQUESTS`)
are refused in one line; against a host that is not loopback, so is a setting that loosens
politeness ([politeness](crawling.md#politeness)).

A run also checks that it can write `ANALYTICS_OUTPUT_DIR` and the directory of
`ANALYTICS_STATE_PATH` (by creating and removing a temporary file, nothing else), so a wrong
path fails at once rather than after hours of crawling.

## Assumed facts of the site

What [the site's page](site.md) marks *assumed* (not observed on the live site) is a
setting, so it can be corrected without touching the parser; `scrapy sitecheck`
([site check](sitecheck.md)) names the one to correct. Every other fact about the site lives
in `crawler/site.py`.

{assumed}

## Reference
"""

#: The settings that hold assumed facts of the site (``docs/site.md``).
ASSUMED: tuple[str, ...] = ("ANALYTICS_SECTION_PATHS", "ANALYTICS_SECTION_LABELS",
                            "ANALYTICS_PAGE_URL", "ANALYTICS_PAGE_SIZE",
                            "ANALYTICS_JSON_CARD_FIELDS", "ANALYTICS_VIEWS_LABELS",
                            "ANALYTICS_SELECTORS")


def reference_page() -> str:
    """``docs/settings.md``: how a setting is given and checked, then every declared one."""
    assumed = "\n".join(f"- `{name}`" for name in ASSUMED)
    return _PAGE_HEAD.format(assumed=assumed) + "\n" + markdown_table() + "\n"


if __name__ == "__main__":
    print(reference_page(), end="")
