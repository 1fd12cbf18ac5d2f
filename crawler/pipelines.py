"""Item pipelines, in order: normalise -> validate -> deduplicate -> export.

Each step is small and does one thing. A step that refuses an article raises
``Rejected`` (a ``DropItem``): the ``RejectsLog`` extension writes it to the run's
rejects with its reason and counts it, so nothing is dropped silently.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from jsonschema import Draft202012Validator
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from crawler.export import LineFile, RunPaths
from crawler.items import OPTIONAL_FIELDS, Article, FetchFailure, RawArticle
from crawler.normalize import FieldError, normalize_article

if TYPE_CHECKING:
    from crawler.spiders.analytics import AnalyticsSpider

logger = logging.getLogger(__name__)


class Rejected(DropItem):
    """An article that is not a record: its URL, the reason, and what the page did have."""

    def __init__(self, reason: str, message: str, url: str, found: dict[str, Any]) -> None:
        super().__init__(f"rejected ({reason}): {message} <{url}>", log_level="WARNING")
        self.reason = reason
        self.detail = message
        self.url = url
        self.found = found


class Duplicate(DropItem):
    """An article already delivered in this run (the same id reached twice)."""


@lru_cache(maxsize=1)
def article_schema() -> dict[str, Any]:
    """The published JSON Schema of the record (loads from a zipped egg too)."""
    text = resources.files("crawler").joinpath("schema/article.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


class _CrawlerComponent:
    """A component that keeps its crawler (Scrapy passes it to ``from_crawler``)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        assert crawler.stats is not None
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Any:
        return cls(crawler)


class NormalizePipeline(_CrawlerComponent):
    """Raw page strings -> typed ``Article`` (dates, views, text, body, URL, id)."""

    def process_item(self, item: Any) -> Any:
        if isinstance(item, FetchFailure):
            raise Rejected(f"fetch_{item.reason}", item.detail, item.url, {})
        if not isinstance(item, RawArticle):
            return item
        try:
            article, problems = normalize_article(item)
        except FieldError as error:
            raise Rejected(error.reason, str(error), item.fetched_url, item.found()) from None
        for problem in problems:
            self.stats.inc_value(f"analytics/field_problems/{problem.reason}")
            logger.warning("%s <%s>: field left null", problem, item.fetched_url)
        return article


#: Keywords that only describe (no assertion without a format checker).
_ANNOTATIONS = frozenset({"$schema", "$id", "$comment", "title", "description", "version",
                          "examples", "default", "format"})
_PROPERTY_KEYWORDS = frozenset({"type", "pattern", "enum", "minLength", "minimum"})
_TYPES: dict[str, Callable[[Any], bool]] = {  # narrower than JSON Schema's: never too lax
    "string": lambda value: type(value) is str,
    "integer": lambda value: type(value) is int,
    "null": lambda value: value is None,
}


def _property_check(spec: dict[str, Any]) -> Callable[[Any], bool] | None:
    """A predicate that is True only for values the property's schema accepts; None if the
    schema uses a keyword this fast path does not implement."""
    if not set(spec) <= _ANNOTATIONS | _PROPERTY_KEYWORDS:
        return None
    kinds = spec.get("type", [])
    kinds = [kinds] if isinstance(kinds, str) else list(kinds)
    if "type" not in spec or not set(kinds) <= set(_TYPES):
        return None
    type_checks = [_TYPES[kind] for kind in kinds]
    pattern = re.compile(spec["pattern"]) if "pattern" in spec else None
    min_length = spec.get("minLength")
    minimum = spec.get("minimum")
    enum = spec.get("enum")

    def check(value: Any) -> bool:
        if not any(type_check(value) for type_check in type_checks):
            return False
        if enum is not None and not any(type(value) is type(e) and value == e for e in enum):
            return False
        if type(value) is str:  # JSON Schema's string keywords apply to strings only
            if min_length is not None and len(value) < min_length:
                return False
            if pattern is not None and pattern.search(value) is None:
                return False
        return not (minimum is not None and type(value) is int and value < minimum)

    return check


def fast_record_check(schema: dict[str, Any]) -> Callable[[dict[str, Any]], bool] | None:
    """A check of the record schema's subset in plain Python (a tenth of jsonschema's cost).

    True only when the record is valid; False means "ask jsonschema" (which gives the error
    message). None when the schema uses anything beyond the subset: jsonschema alone then.
    """
    if not set(schema) <= _ANNOTATIONS | {"type", "properties", "required",
                                          "additionalProperties"}:
        return None
    if schema.get("type") != "object" or schema.get("additionalProperties") is not False:
        return None
    checks = {name: _property_check(spec) for name, spec in schema["properties"].items()}
    if any(check is None for check in checks.values()):
        return None
    required = frozenset(schema.get("required", ()))
    known = frozenset(checks)

    def check_record(record: dict[str, Any]) -> bool:
        keys = record.keys()
        if not (required <= keys and keys <= known):
            return False
        return all(checks[name](value) for name, value in record.items())  # type: ignore[misc]

    return check_record


class ValidatePipeline(_CrawlerComponent):
    """Checks each record against the published JSON Schema."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.validator = Draft202012Validator(article_schema())
        self.fast_check = fast_record_check(article_schema())

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, Article):
            return item
        record = item.to_record()
        if self.fast_check is not None and self.fast_check(record):
            return item
        error = next(iter(self.validator.iter_errors(record)), None)
        if error is not None:
            where = ".".join(str(part) for part in error.absolute_path) or "record"
            raise Rejected(f"schema_{where}", error.message, item.url, record)
        return item


class DeduplicatePipeline(_CrawlerComponent):
    """Lets each article id through once per run (two URL forms, a card seen twice)."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.seen: set[str] = set()

    def process_item(self, item: Any) -> Any:
        if isinstance(item, Article):
            if item.id in self.seen:
                self.stats.inc_value("analytics/duplicates")
                raise Duplicate(f"already delivered in this run: {item.url}", log_level="DEBUG")
            self.seen.add(item.id)
        return item


class ExportPipeline(_CrawlerComponent):
    """Appends each record as one whole line to ``articles/<run>.jsonl`` and counts it.

    The write and its fsync run on one worker thread, one line after the other as before,
    and the item goes on (to the state) only once its line is on disk; meanwhile the
    reactor keeps downloading and parsing instead of waiting for the disk (an fsync is
    0.2 to 2 ms here: a tenth of the time of a crawl at 100 pages/s).
    """

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        settings = crawler.settings
        paths = RunPaths(Path(settings["ANALYTICS_OUTPUT_DIR"]), settings["ANALYTICS_RUN_ID"])
        self.file = LineFile(paths.articles, fsync=settings.getbool("ANALYTICS_FSYNC"))
        self.disk = ThreadPoolExecutor(max_workers=1, thread_name_prefix="export")

    async def process_item(self, item: Any) -> Any:
        if isinstance(item, Article):
            record = item.to_record()
            await asyncio.get_running_loop().run_in_executor(self.disk, self.file.write, record)
            self.stats.inc_value("analytics/records")
            self.stats.inc_value(f"analytics/records/{item.lang}")
            for name in OPTIONAL_FIELDS:
                if record[name] is not None:
                    self.stats.inc_value(f"analytics/field/{name}")
                    self.stats.inc_value(f"analytics/field/{item.lang}/{name}")
        return item

    def close_spider(self) -> None:
        self.disk.shutdown(wait=True)
        self.file.close()


class StatePipeline(_CrawlerComponent):
    """After the line is on disk: records the delivery, its views and its URL forms."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.run_id = crawler.settings["ANALYTICS_RUN_ID"]

    def process_item(self, item: Any) -> Any:
        if isinstance(item, Article):
            spider = cast("AnalyticsSpider", self.crawler.spider)
            state = spider.state
            if state.record_delivery(item.to_record(), self.run_id):
                self.stats.inc_value("analytics/articles_changed")
            other_form = spider.url_forms.pop(item.url, None)
            if other_form:
                state.remember_url_form(other_form, item.url)
        return item
