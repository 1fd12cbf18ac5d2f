"""End-of-run checks, declared as small classes (in the manner of spidermon's monitors).

Each monitor names what it checks, reads the run's facts (stats, settings, finish reason,
arguments) and, where a threshold applies, one ``ANALYTICS_MONITOR_*`` setting. The run is
``ok`` when all pass; the summary (``runs/<run>.json``) lists the failures by name and
``scrapy crawl`` then exits non-zero (3).

Why not spidermon itself: spidermon (scrapinghub/spidermon) is the ecosystem's standard, and
its monitors are this same idea (a named check per concern, thresholds as settings). But its
suites run as ``unittest`` cases from their own ``spider_closed`` handler and report through
"actions" (mail, Slack, Sentry), while here the verdict must be *data*: the failed checks
go into the run summary written by ``RunSummary`` in the same ``spider_closed`` and decide
the exit code of ``scrapy crawl``. Getting a spidermon suite's result into that flow means
relying on handler order and reading the result back from stats, plus two more runtime
dependencies (spidermon, python-slugify) on the scraping server, for what is here about a
hundred lines of pure, unit-tested functions of the stats. So the design is kept small and
built in; a spidermon suite could wrap ``failed_checks`` later if its actions are wanted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from crawler import statkeys
from crawler.items import OPTIONAL_FIELDS
from crawler.site import FIELD_SELECTORS, LANGUAGES, SiteProfile


@dataclass(frozen=True)
class RunFacts:
    """What a monitor may look at: the stats, the settings, the finish reason, the arguments.

    ``arguments`` is the run's arguments as the summary shows them (``mode``, ``lang``, …);
    empty when the spider had none (another spider, or a run stopped before it started).
    """

    stats: Mapping[str, Any]
    settings: Any
    finish_reason: str
    arguments: Mapping[str, Any] = field(default_factory=dict)

    def count(self, key: str) -> int:
        return int(self.stats.get(key, 0) or 0)


class Monitor:
    """One check of a finished run; ``failure`` says what is wrong, or None.

    ``level`` ``failure`` fails the run (exit 3); ``warning`` flags it in the summary's
    ``warnings`` and leaves its status ``ok`` (the records are sound, something needs fixing).
    """

    name: ClassVar[str]
    level: ClassVar[str] = "failure"

    def failure(self, facts: RunFacts) -> str | None:
        raise NotImplementedError


class FinishedNormally(Monitor):
    """The run ended by itself ('finished'), not shut down, cancelled or out of memory."""

    name = "finish_reason"

    def failure(self, facts: RunFacts) -> str | None:
        if facts.finish_reason != "finished":
            return f"the run ended with {facts.finish_reason!r}, not 'finished'"
        return None


class SiteAnswered(Monitor):
    """The site's host answered at all (``crawler.middlewares``: a refused connection or an
    unknown name ends the run at once rather than backing off for minutes)."""

    name = "site_unreachable"

    def failure(self, facts: RunFacts) -> str | None:
        unreachable = facts.stats.get(statkeys.UNREACHABLE_HOST)
        if unreachable:
            return f"nothing answers at {unreachable}"
        return None


class NoErrors(Monitor):
    """Errors in the log: failed fetches after their retries, exceptions in callbacks."""

    name = "errors"

    def failure(self, facts: RunFacts) -> str | None:
        limit = facts.settings.getint("ANALYTICS_MONITOR_MAX_ERRORS")
        errors = facts.count("log_count/ERROR") + facts.count("log_count/CRITICAL")
        if errors > limit:
            return f"{errors} errors in the log (allowed: {limit})"
        return None


class ListingsReached(Monitor):
    """Every language's first listing page answered with cards."""

    name = "listings"

    def failure(self, facts: RunFacts) -> str | None:
        failed = facts.count(statkeys.LISTING_FAILED)
        if failed:
            return f"{failed} listing pages could not be fetched"
        return None


def by_language(facts: RunFacts, prefix: str) -> str | None:
    """``en: why; ru: why`` of the string stats under ``prefix``, or None."""
    start = prefix + "/"
    failed = [f"{key[len(start):]}: {why}" for key, why in sorted(facts.stats.items())
              if key.startswith(start)]
    return "; ".join(failed) or None


class PaginationUnderstood(Monitor):
    """Every listing walk ended on evidence the site showed (``crawler.walk.ENDINGS``).

    A site that ignores the pagination asked for shows page 1 again; a "more" control the
    walk cannot follow; a link back to a batch already read; a walk the run closed on:
    without this check the run would end "complete" with part of the listing.
    """

    name = "pagination"

    def failure(self, facts: RunFacts) -> str | None:
        return by_language(facts, statkeys.PAGINATION_FAILED)


class ListingLayout(Monitor):
    """Every listing batch read showed cards that link articles: page 1 without cards
    (a renamed card class, an error page served as 200) fails the same day, in any mode."""

    name = "layout"

    def failure(self, facts: RunFacts) -> str | None:
        return by_language(facts, statkeys.LAYOUT_FAILED)


class RecordsOnFullRun(Monitor):
    """A full run that delivered no record means the crawler no longer finds the articles.

    An incremental run may rightly deliver nothing (nothing new since the last run), so
    it is not checked there.
    """

    name = "records"

    def failure(self, facts: RunFacts) -> str | None:
        if facts.arguments.get("mode") != "full":
            return None
        if facts.count(statkeys.RECORDS) == 0:
            return "a full run delivered no record"
        return None


class RejectsRatio(Monitor):
    """New rejects against all articles the run read: pages the crawler no longer reads.

    A reject an earlier run already reported (same URL, reason and page) is no new alarm
    and does not count. ``ANALYTICS_MONITOR_REJECTS_TOLERATED`` new rejects pass whatever
    the ratio (one broken page among a few new articles), but only when the run delivered
    more records than that: a run whose new articles were all rejected still fails.
    """

    name = "rejects_ratio"

    def failure(self, facts: RunFacts) -> str | None:
        new = facts.count(statkeys.REJECTED) - facts.count(statkeys.REJECTS_KNOWN)
        records = facts.count(statkeys.RECORDS)
        total = new + records
        limit = facts.settings.getfloat("ANALYTICS_MONITOR_MAX_REJECTS_RATIO")
        tolerated = facts.settings.getint("ANALYTICS_MONITOR_REJECTS_TOLERATED")
        if new <= tolerated and records > new:
            return None
        if total and new / total > limit:
            return (f"{new} of {total} articles rejected (new rejects; allowed ratio {limit}, "
                    f"or {tolerated} when more records than rejects)")
        return None


class HttpErrorRatio(Monitor):
    """4xx and 5xx answers against all answers: a site that starts refusing or failing.

    Retried answers count too (a run that needed many retries was on the edge of being
    blocked). A few are normal: the 404 that ends a listing, a missing robots.txt, so the
    check only fails past ``ANALYTICS_MONITOR_HTTP_ERRORS_TOLERATED`` such answers *and*
    past the ratio ``ANALYTICS_MONITOR_MAX_HTTP_ERROR_RATIO``.
    """

    name = "http_errors"

    def failure(self, facts: RunFacts) -> str | None:
        by_status = {
            key.rsplit("/", 1)[1]: int(value) for key, value in facts.stats.items()
            if key.startswith("downloader/response_status_count/")
        }
        responses = sum(by_status.values())
        errors = {code: n for code, n in sorted(by_status.items()) if code[:1] in ("4", "5")}
        total_errors = sum(errors.values())
        tolerated = facts.settings.getint("ANALYTICS_MONITOR_HTTP_ERRORS_TOLERATED")
        limit = facts.settings.getfloat("ANALYTICS_MONITOR_MAX_HTTP_ERROR_RATIO")
        if total_errors > tolerated and total_errors / responses > limit:
            shown = ", ".join(f"{code}: {n}" for code, n in errors.items())
            return (f"{total_errors} of {responses} responses were 4xx/5xx ({shown}; "
                    f"allowed ratio {limit})")
        return None


class EveryUrlAccounted(Monitor):
    """Every article URL the run learned of has an outcome (``crawler.ledger``): delivered,
    known, rejected with a reason, or excluded by a named rule. Anything else was lost
    through a door nobody counts."""

    name = "accounting"

    def failure(self, facts: RunFacts) -> str | None:
        missing = facts.count(statkeys.LEDGER_UNACCOUNTED)
        if not missing:
            return None
        shown = list(facts.stats.get(statkeys.LEDGER_UNACCOUNTED_URLS) or [])
        more = f" and {missing - len(shown)} more" if missing > len(shown) else ""
        return (f"{missing} article URLs learned but neither delivered, known, rejected nor "
                f"excluded: {', '.join(shown)}{more}")


class RobotsTxtReadable(Monitor):
    """robots.txt answered (2xx, or 4xx: allow all); a 5xx after retries or no answer means
    disallow all (RFC 9309), so nothing was crawled."""

    name = "robots_txt"

    def failure(self, facts: RunFacts) -> str | None:
        why = facts.stats.get(statkeys.ROBOTS_UNAVAILABLE)
        return f"robots.txt unavailable, every request refused (RFC 9309): {why}" if why else None


def coverage_thresholds(settings: Any) -> dict[str, float]:
    """``ANALYTICS_MONITOR_MIN_COVERAGE`` (field -> least share of records that have it).

    Each field can also be set alone as ``ANALYTICS_MONITOR_MIN_COVERAGE_<FIELD>`` (e.g.
    ``ANALYTICS_MONITOR_MIN_COVERAGE_VIEWS=0.5``), which wins over the dict.
    """
    thresholds = {str(k): float(v)
                  for k, v in settings.getdict("ANALYTICS_MONITOR_MIN_COVERAGE").items()}
    for name in OPTIONAL_FIELDS:
        single = settings.get(f"ANALYTICS_MONITOR_MIN_COVERAGE_{name.upper()}")
        if single is not None and single != "":
            thresholds[name] = float(single)
    return thresholds


class FieldCoverage(Monitor):
    """Each optional field is filled in at least its threshold's share of the records.

    A selector that stops matching (a renamed class) does not reject anything: the field
    just becomes null everywhere. This is the check that notices. It needs enough records
    to mean something (``ANALYTICS_MONITOR_COVERAGE_MIN_RECORDS``); a smaller run is not
    judged on coverage.
    """

    name = "field_coverage"

    def failure(self, facts: RunFacts) -> str | None:
        thresholds = coverage_thresholds(facts.settings)
        unknown = sorted(set(thresholds) - set(OPTIONAL_FIELDS))
        if unknown:
            return (f"ANALYTICS_MONITOR_MIN_COVERAGE names unknown fields {', '.join(unknown)} "
                    f"(optional fields: {', '.join(OPTIONAL_FIELDS)})")
        enough = facts.settings.getint("ANALYTICS_MONITOR_COVERAGE_MIN_RECORDS")
        # The whole run, then each language: a selector broken in one language alone
        # would lower the run's share by a third at most.
        scopes: list[tuple[str | None, str]] = [(None, "")]
        scopes += [(lang, f" ({lang})") for lang in LANGUAGES]
        low = []
        for lang, label in scopes:
            records = facts.count(statkeys.records(lang))
            if records < enough:
                continue
            for name, minimum in sorted(thresholds.items()):
                share = facts.count(statkeys.field_present(name, lang)) / records
                if share < minimum:
                    low.append(f"{name}{label} in {share:.0%} of {records} records "
                               f"(minimum {minimum:.0%})")
        return "; ".join(low) or None


def _layer_counts(facts: RunFacts) -> dict[str, dict[str, int]]:
    """field -> layer -> count, from the run's provenance stats (all languages)."""
    counts: dict[str, dict[str, int]] = {}
    for key, count in statkeys.by_suffix(facts.stats, statkeys.PROVENANCE).items():
        parts = key.split("/")
        if len(parts) == 2:
            counts.setdefault(parts[0], {})[parts[1]] = count
    return counts


class FallbackLayers(Monitor):
    """Fields (and listing cards) that came from a fallback layer on more pages than
    ``ANALYTICS_MONITOR_FALLBACKS_TOLERATED``, or on every page that gave them (a run of a
    few pages, such as an incremental day's one listing page a language, after a rename):
    their selectors stopped matching. The records
    are kept (a warning); the message names the ``ANALYTICS_SELECTORS`` keys to correct and
    the layer that replaced them (``scrapy reextract`` with the corrected selectors then
    rebuilds the run from its archive)."""

    name = "fallback_layers"
    level = "warning"

    def failure(self, facts: RunFacts) -> str | None:
        tolerated = facts.settings.getint("ANALYTICS_MONITOR_FALLBACKS_TOLERATED")
        selectors = SiteProfile.from_settings(facts.settings).selectors
        flagged = []
        for name, layers in sorted(_layer_counts(facts).items()):
            fallbacks = {layer: n for layer, n in layers.items() if layer != "selector"}
            if not fallbacks or (sum(fallbacks.values()) <= tolerated and layers.get("selector")):
                continue
            keys = ", ".join(f"{key} ({selectors[key]!r})" for key in FIELD_SELECTORS[name])
            by = ", ".join(f"{layer} on {n} pages" for layer, n in sorted(fallbacks.items()))
            flagged.append(f"{name}: selectors {keys} stopped matching; replaced by {by} "
                           f"(selector on {layers.get('selector', 0)})")
        if not flagged:
            return None
        return ("; ".join(flagged) + ". Correct them with -s ANALYTICS_SELECTORS='{...}' and "
                "rebuild this run with scrapy reextract")


class LayersAgree(Monitor):
    """The selectors and the structured data say the same where both give a field: a rise in
    disagreement (past ``ANALYTICS_MONITOR_DISAGREEMENTS_TOLERATED`` pages) is a partial
    change of the markup (a class kept on a new element) before fields go missing."""

    name = "layer_agreement"
    level = "warning"

    def failure(self, facts: RunFacts) -> str | None:
        tolerated = facts.settings.getint("ANALYTICS_MONITOR_DISAGREEMENTS_TOLERATED")
        disagreed = statkeys.by_suffix(facts.stats, statkeys.LAYERS_DISAGREED)
        found = [f"{name} on {count} of {facts.count(statkeys.layers_compared(name))} pages "
                 f"(selector {FIELD_SELECTORS[name][0]!r})"
                 for name, count in disagreed.items() if count > tolerated]
        if not found:
            return None
        return "the selectors and the structured data disagree: " + "; ".join(found)


#: The monitors run at the end of every run, in this order.
MONITORS: tuple[Monitor, ...] = (SiteAnswered(), FinishedNormally(), NoErrors(), ListingsReached(),
                                 ListingLayout(), PaginationUnderstood(), RecordsOnFullRun(),
                                 RejectsRatio(), HttpErrorRatio(), FieldCoverage(),
                                 FallbackLayers(), LayersAgree(), EveryUrlAccounted(),
                                 RobotsTxtReadable())


def _findings(facts: RunFacts, level: str) -> dict[str, str]:
    found = {monitor.name: monitor.failure(facts) for monitor in MONITORS
             if monitor.level == level}
    return {name: message for name, message in found.items() if message}


def failed_checks(facts: RunFacts) -> dict[str, str]:
    """Monitor name -> what failed, for every failing monitor (warnings left out)."""
    return _findings(facts, "failure")


def warnings(facts: RunFacts) -> dict[str, str]:
    """Monitor name -> what it flags, for every warning monitor that flags the run."""
    return _findings(facts, "warning")
