"""The record's published JSON Schema, and a fast check of records against it.

jsonschema's generic walk costs 0.3-0.6 ms a record, paid by every crawled article and by
every line the dataset consolidates. The record schema is flat and uses a handful of
keywords, so ``fast_record_check`` compiles it to plain Python that only ever says
"valid" when jsonschema would; anything else goes to jsonschema, which words the error.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from functools import lru_cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator, ValidationError


@lru_cache(maxsize=1)
def article_schema() -> dict[str, Any]:
    """The published JSON Schema of the record (loads from a zipped egg too)."""
    text = resources.files("crawler").joinpath("schema/article.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


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



class RecordCheck:
    """Validation against a schema: the fast check where it accepts, jsonschema otherwise."""

    def __init__(self, schema: dict[str, Any]) -> None:
        self.fast = fast_record_check(schema)
        self.validator = Draft202012Validator(schema)

    def first_error(self, record: Any) -> ValidationError | None:
        """The first way ``record`` breaks the schema, or None when it is valid."""
        if self.fast is not None and isinstance(record, dict) and self.fast(record):
            return None
        return next(iter(self.validator.iter_errors(record)), None)
