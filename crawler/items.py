"""The article record (the public contract of ``docs/record.md``) and its raw form.

Every field is documented where it is declared, in ``doc`` metadata; the published JSON
Schema (``crawler/schema/article.schema.json``) carries the same descriptions, and a
test keeps the two equal.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from functools import cached_property
from typing import Any

from crawler.urls import canonical_pair, canonical_problem


def documented(doc: str, record: bool = True, **kwargs: Any) -> Any:
    """A dataclass field that carries its documentation; ``record=False``: not in the record."""
    return field(metadata={"doc": doc, "record": record}, **kwargs)


@dataclass
class RawArticle:
    """An article page's fields exactly as the page shows them, before any rule is applied."""

    fetched_url: str = documented("URL the page was fetched at (on the crawl's base URL).")
    base_url: str = documented("Base URL of the crawl, to tell the site's hosts from others.")
    scraped_at: str = documented("When the page was fetched, ISO 8601 UTC.")
    canonical_href: str | None = documented("href of link[rel=canonical], as written.")
    og_url: str | None = documented("content of meta og:url, as written.")
    title: str | None = documented("Text of .post_title (else h1), entities decoded.")
    subtitle: str | None = documented("Text of the subtitle block.")
    category: str | None = documented("Text of the section label (.post_categoty).")
    date_text: str | None = documented("Text of .post_time, e.g. '25 Июня 2026 17:24'.")
    views_text: str | None = documented("Text of .post_hits, label included: 'Views: 1 207'.")
    author: str | None = documented("Text of .post_author (older template).")
    image_href: str | None = documented("URL in the cover's background-image, as written.")
    body_paragraphs: list[str] = documented(
        "Text of each paragraph block of .post_body, in order, non-article blocks removed.",
        default_factory=list,
    )
    provenance: dict[str, str] = documented(
        "Not shown by the page: the layer each field was read from (``site.LAYERS``: selector, "
        "structured, finder), by record field; a field no layer gave is absent.",
        record=False, default_factory=dict,
    )
    cross_check: dict[str, str] = documented(
        "Not shown by the page: the structured data's value of each field the selectors gave, "
        "as written, to compare with theirs once both are normalised.",
        record=False, default_factory=dict,
    )

    def found(self) -> dict[str, Any]:
        """The fields the page did have (for a reject line): non-empty values only."""
        return {name: getattr(self, name) for name in _PAGE_FIELDS if getattr(self, name)}

    @cached_property
    def canonical_urls(self) -> tuple[str, str]:
        """(the article's canonical URL: its canonical link, else og:url, where the page may
        name it (``urls.canonical_problem``), else where it was fetched; the canonical form of
        the URL it was fetched at). Not a field: worked out
        once for the spider (which skips known articles by it) and the record."""
        href = self.canonical_href or self.og_url
        if canonical_problem(href, self.fetched_url, self.base_url):  # the page may not say
            href = None
        return canonical_pair(href or self.fetched_url, self.fetched_url, self.base_url)


@dataclass
class Article:
    """One article of the Analytics section: a line of the run's JSON Lines file."""

    url: str = documented(
        "Canonical absolute URL of the article (slug form, no query or fragment), on "
        "https://caliber.az: the page's canonical link, else the URL it was fetched at."
    )
    id: str = documented(
        "Stable id: a digest of the canonical URL; the same for the numeric and slug URL of "
        "one article, unique across languages."
    )
    lang: str = documented("Language, ISO 639-1 (en, ru, hy), from the URL's path prefix.")
    title: str = documented("Title text: entities decoded, whitespace collapsed, trimmed.")
    subtitle: str | None = documented("Subtitle text, likewise; null where the page has none.")
    date: str = documented(
        "Publication time, ISO 8601 with the Asia/Baku offset at that instant, seconds "
        "included: 2023-03-01T16:15:00+04:00."
    )
    category: str | None = documented("Section label as the page shows it, trimmed (ANALYTICS).")
    views: int | None = documented(
        "Views counter on the page at scraped_at; null where the page shows none."
    )
    body: str = documented(
        "Article text: one paragraph per block, whitespace collapsed, paragraphs joined by a "
        "blank line; no ads, scripts, images, signature or counters."
    )
    author: str | None = documented("Author, where the page names one.")
    image: str | None = documented("Absolute URL of the cover image; null where none.")
    scraped_at: str = documented(
        "When the page was fetched, ISO 8601 in UTC to the millisecond: "
        "2026-11-28T06:00:00.123Z (records of schema 1.0.0 had whole seconds); the same "
        "instant as the WARC-Date of the page in the run's archive."
    )
    fetched_form: str | None = documented(
        "Not in the record: the canonical form of the URL the page was fetched at where it "
        "differs from ``url`` (a numeric URL); the state remembers it as a way to the article.",
        record=False, default=None, compare=False,
    )
    provenance: dict[str, str] = documented(
        "Not in the record: the layer each field of it came from (selector, structured, "
        "finder), for the fields that are not null; the run summary counts them.",
        record=False, default_factory=dict, compare=False,
    )
    agreement: dict[str, bool] = documented(
        "Not in the record: for each field both the selectors and the structured data gave, "
        "whether the two agree once normalised (the summary counts the disagreements).",
        record=False, default_factory=dict, compare=False,
    )

    @cached_property
    def record(self) -> dict[str, Any]:
        """The record (``to_record``), built once for the pipelines that read it (validate,
        export, state); they never change it."""
        return self.to_record()

    def to_record(self) -> dict[str, Any]:
        """The record as a new plain dict, fields in their declared order.

        Every field is a scalar, so a shallow copy is the record (``asdict`` deep-copies
        each value through ``copy.deepcopy``: a tenth of a millisecond per record).
        """
        return {name: getattr(self, name) for name in RECORD_FIELDS}


def field_docs(item_class: type) -> dict[str, str]:
    """Field name -> documentation, in declaration order (fields that go into the record)."""
    return {f.name: f.metadata["doc"] for f in fields(item_class)
            if f.metadata["record"]}


#: The record's fields, in order: what a run file line, a feed (``-O``) and the schema hold.
RECORD_FIELDS: tuple[str, ...] = tuple(field_docs(Article))

#: Fields without which an article is not a record (docs/record.md).
REQUIRED_FIELDS: tuple[str, ...] = ("url", "id", "lang", "title", "date", "body")
#: Optional fields whose coverage the run summary reports.
OPTIONAL_FIELDS: tuple[str, ...] = tuple(
    name for name in field_docs(Article) if name not in REQUIRED_FIELDS and name != "scraped_at"
)


#: The fields of a raw article that the page shows (the rest travel beside them).
_PAGE_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(RawArticle) if f.metadata["record"])


@dataclass
class FetchFailure:
    """An article URL that gave no page to parse (a failed fetch after its retries, a link
    that cannot be asked for, a redirect loop...): it becomes a reject."""

    url: str = documented("URL of the article page that failed (its last redirect).")
    reason: str = documented("The reject's reason (crawler.doors): fetch_http_404, "
                             "fetch_timeout, redirect_loop, bad_url...")
    detail: str = documented("The error as Scrapy (or the crawler) reported it.")
    base_url: str = documented("Base URL of the crawl, to tell the site's hosts from others.")
    learned: str | None = documented("The URL the run learned (its ledger's key), where "
                                     "the request was the crawl's own.", default=None)
