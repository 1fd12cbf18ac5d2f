"""Every ``analytics/...`` key of the crawl stats, named once.

Components count through these names and the run summary, the monitors and ``scrapy crawl``
read through them, so a renamed key cannot leave a reader counting zero. Keys that take a
part (a language, a field, a reason) are functions; the summary groups them by prefix.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_ROOT = "analytics"

#: The run's verdict, ``"ok"`` or ``"failed"``: set by the run summary once the monitors ran,
#: read by ``scrapy crawl`` for its exit code (missing when no summary was written).
STATUS = f"{_ROOT}/status"

# --- records and rejects (pipelines, rejects log) -----------------------------------------
#: Records written to the run file (also per language: ``records(lang)``).
RECORDS = f"{_ROOT}/records"
#: Articles rejected with a reason (also per reason: ``rejected(reason)``).
REJECTED = f"{_ROOT}/rejected"
#: Rejects an earlier run already reported (same URL, reason and page): no new alarm.
REJECTS_KNOWN = f"{_ROOT}/rejects_known"
#: Open rejects asked for again because their retry was due.
REJECT_RETRIES = f"{_ROOT}/reject_retries"
#: Articles reached twice in one run (the second one dropped).
DUPLICATES = f"{_ROOT}/duplicates"
#: Delivered records that are edits: their normalised content (``digest.content_hash``)
#: differs from the article's last delivery.
ARTICLES_CHANGED = f"{_ROOT}/articles_changed"
#: Prefix of the optional-field problems (a field left null), by reason.
FIELD_PROBLEMS = f"{_ROOT}/field_problems"

#: Prefix of the provenance counts (``provenance(name, layer, lang)``).
PROVENANCE = f"{_ROOT}/provenance"
#: Prefixes of the comparisons of the selectors with the structured data, by field.
LAYERS_COMPARED = f"{_ROOT}/layers/compared"
LAYERS_DISAGREED = f"{_ROOT}/layers/disagreed"

# --- the walk (spider) --------------------------------------------------------------------
#: Known articles asked for again to refresh their views.
REFRESH_REQUESTS = f"{_ROOT}/refresh_requests"
#: Refreshes whose page answered (parsed: a record or a reject), and those that answered
#: 404/410 (gone): together the refreshes done.
REFRESH_ANSWERED = f"{_ROOT}/refresh_answered"
#: Refreshed articles that answered 404/410: gone from the site (no reject: a removal).
REFRESH_GONE = f"{_ROOT}/refresh_gone"
#: Listing pages that could not be fetched (a failed ``listings`` check).
LISTING_FAILED = f"{_ROOT}/listing_failed"
#: Listing pages showing only cards already seen, or linking back (the walk ends there).
LISTING_LOOPS = f"{_ROOT}/listing_loops"
#: Prefix of the failed paginations, by language; each value says what was asked and seen.
PAGINATION_FAILED = f"{_ROOT}/pagination_failed"
#: Prefix of the listing layouts not understood (no cards, no article links), by language.
LAYOUT_FAILED = f"{_ROOT}/layout_failed"
#: Prefix of how each language's walk ended (``crawler.walk.ENDINGS``), by language.
WALK_ENDING = f"{_ROOT}/walk_ending"
#: Pages of an incremental run that turned out to be a known article under another URL.
KNOWN_UNDER_ANOTHER_URL = f"{_ROOT}/known_under_another_url"
#: Article requests refused on purpose (robots.txt, another host).
ARTICLES_NOT_ALLOWED = f"{_ROOT}/articles_not_allowed"

# --- the ledger (crawler.ledger) and the doors (crawler.doors) ----------------------------
#: Article URLs learned but without an outcome at the close, and the first of them by name.
LEDGER_UNACCOUNTED = f"{_ROOT}/ledger/unaccounted"
LEDGER_UNACCOUNTED_URLS = f"{_ROOT}/ledger/unaccounted_urls"
#: Prefix of the pages whose canonical link was not taken as their URL, by why.
CANONICAL_CONFLICT = f"{_ROOT}/canonical_conflict"
#: Why robots.txt could not be had (a string): every request is refused, the run fails.
ROBOTS_UNAVAILABLE = f"{_ROOT}/robots_unavailable"
#: Records skipped when a run that never closed was recovered: damaged lines.
RECOVERY_DAMAGED_LINES = f"{_ROOT}/recovery/damaged_lines"

# --- the archive and scrapy reextract -----------------------------------------------------
#: WARC records written to the run's archive, and their bytes (gzip members).
ARCHIVE_RECORDS = f"{_ROOT}/archive/records"
ARCHIVE_BYTES = f"{_ROOT}/archive/bytes"
#: Response records a re-extraction read, and the article pages among them it parsed.
REEXTRACT_RESPONSES = f"{_ROOT}/reextract/responses"
REEXTRACT_ARTICLE_PAGES = f"{_ROOT}/reextract/article_pages"
#: Archived article pages (200) that were not text: logged as errors, never parsed.
REEXTRACT_NOT_TEXT = f"{_ROOT}/reextract/not_text"

# --- politeness (middleware) --------------------------------------------------------------
#: Pauses of the whole site after a failure, and their total length in seconds.
PAUSES = f"{_ROOT}/pauses"
#: ``host: what failed`` of a host that never answered, which ended the run.
UNREACHABLE_HOST = f"{_ROOT}/unreachable_host"
PAUSED_SECONDS = f"{_ROOT}/paused_seconds"


def records(lang: str | None = None) -> str:
    """Records written, in all or in one language."""
    return f"{RECORDS}/{lang}" if lang else RECORDS


def field_present(name: str, lang: str | None = None) -> str:
    """Records that have optional field ``name`` (not null), in all or in one language."""
    return f"{_ROOT}/field/{lang}/{name}" if lang else f"{_ROOT}/field/{name}"


def provenance(name: str, layer: str, lang: str | None = None) -> str:
    """Records whose field ``name`` came from ``layer`` (``selector``, ``structured``,
    ``finder``); ``cards``: listing pages whose cards did. In all or in one language."""
    return f"{PROVENANCE}/{lang}/{name}/{layer}" if lang else f"{PROVENANCE}/{name}/{layer}"


def layers_compared(name: str) -> str:
    """Records whose field ``name`` both the selectors and the structured data gave."""
    return f"{LAYERS_COMPARED}/{name}"


def layers_disagreed(name: str) -> str:
    """Of those, the records where the two disagree once normalised."""
    return f"{LAYERS_DISAGREED}/{name}"


def field_problem(reason: str) -> str:
    """Optional fields left null because the page's text could not be read, by reason."""
    return f"{FIELD_PROBLEMS}/{reason}"


def rejected(reason: str) -> str:
    """Articles rejected for ``reason`` (``missing_title``, ``fetch_http_404``...)."""
    return f"{REJECTED}/{reason}"


def listing_pages(lang: str) -> str:
    """Listing pages read in ``lang``."""
    return f"{_ROOT}/listing_pages/{lang}"


def listing_requests(how: str) -> str:
    """Listing batches asked for, by how their URL was found (``rel_next``, ``page_url``...)."""
    return f"{_ROOT}/listing_requests/{how}"


def pagination_failed(lang: str) -> str:
    """Why the walk of ``lang`` could not get past page 1 (a string, not a count)."""
    return f"{PAGINATION_FAILED}/{lang}"


def layout_failed(lang: str) -> str:
    """Why the listing of ``lang`` could not be read (a string, not a count)."""
    return f"{LAYOUT_FAILED}/{lang}"


def walk_ending(lang: str) -> str:
    """The name of the ending of ``lang``'s walk (a string, not a count)."""
    return f"{WALK_ENDING}/{lang}"


def cards_skipped(why: str) -> str:
    """Listing cards not fetched, by why (``older``, ``known``, ``fetched_this_run``...)."""
    return f"{_ROOT}/cards_skipped/{why}"


def canonical_conflict(why: str) -> str:
    """Pages whose canonical link was not their record's URL, by why (``claimed``...)."""
    return f"{CANONICAL_CONFLICT}/{why}"


def retry_after(status: int) -> str:
    """Answers with a ``Retry-After`` header, by HTTP status."""
    return f"{_ROOT}/retry_after/{status}"


def by_suffix(stats: Mapping[str, Any], prefix: str) -> dict[str, int]:
    """The counts of every key under ``prefix`` (``RECORDS``, ``"downloader/..."``), by the rest."""
    start = prefix.rstrip("/") + "/"
    return {key[len(start):]: int(value) for key, value in sorted(stats.items())
            if key.startswith(start)}
