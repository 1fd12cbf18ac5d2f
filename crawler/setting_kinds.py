"""The kinds of value a setting may take (``Kind``): what each accepts, said in words, and how
a given value is read; ``crawler/declarations.py`` declares every setting with one."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from cssselect import SelectorError
from parsel import Selector

from crawler import site
from crawler.arguments import ArgumentError, parse_base_url
from crawler.runs.instants import validate_run_id
from crawler.urls import page_url_problem


@dataclass(frozen=True)
class Kind:
    """A type of setting: what it accepts (``expected``) and how a given value is read.

    ``read`` returns the value as the crawler uses it or raises ``ValueError`` (its message,
    when not empty, says which part of the value is wrong).
    """

    expected: str
    read: Callable[[Any], Any]


def _number(value: Any, cast: Callable[[Any], Any]) -> Any:
    if isinstance(value, bool):
        raise ValueError("")
    try:
        number = cast(value.strip() if isinstance(value, str) else value)
    except (TypeError, ValueError):
        raise ValueError("") from None
    if isinstance(number, float) and not math.isfinite(number):
        raise ValueError("")
    return number


def integer(low: int, high: int | None = None) -> Kind:
    """A whole number from ``low`` (to ``high``)."""
    def read(value: Any) -> int:
        number = _number(value, int)
        if number < low or (high is not None and number > high):
            raise ValueError("")
        return int(number)
    upto = f" from {low} to {high}" if high is not None else f", {low} or more"
    return Kind(f"a whole number{upto}", read)


def number(low: float, high: float | None = None, what: str = "a number") -> Kind:
    """A finite decimal number from ``low`` (to ``high``)."""
    def read(value: Any) -> float:
        result = float(_number(value, float))
        if result < low or (high is not None and result > high):
            raise ValueError("")
        return result
    upto = f" from {low:g} to {high:g}" if high is not None else f", {low:g} or more"
    return Kind(f"{what}{upto}", read)


RATIO = number(0, 1, "a ratio")
SECONDS = number(0, what="a number of seconds")


def _interval(value: Any) -> float:
    seconds = float(SECONDS.read(value))
    if 0 < seconds < 1:
        raise ValueError("")
    return seconds


INTERVAL = Kind("0 (off) or a number of seconds, 1 or more", _interval)
DAYS = number(0, 100_000, what="a number of days")

_TRUE, _FALSE = ("1", "True", "true"), ("0", "False", "false")


def _flag(value: Any) -> bool:
    if isinstance(value, bool) or value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip() in _TRUE + _FALSE:
        return value.strip() in _TRUE
    raise ValueError("")


FLAG = Kind("True or False (also 1/0, true/false)", _flag)


def text(pattern: str | None = None, expected: str = "a non-empty text") -> Kind:
    """A non-empty string, matching ``pattern`` when one is given."""
    def read(value: Any) -> str:
        if not isinstance(value, str) or not value.strip():
            raise ValueError("")
        if pattern is not None and not re.fullmatch(pattern, value):
            raise ValueError("")
        return value
    return Kind(expected, read)


def read_css(value: Any) -> str:
    css = text().read(value)
    try:
        Selector(text="<html></html>").css(css)
    except (SelectorError, ValueError):
        raise ValueError("") from None
    return css


def read_http_url(value: Any) -> str:
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in text().read(value)):
        raise ValueError("it holds a control character (it would inject into HTTP headers "
                         "and WARC records)")
    parts = urlsplit(text().read(value).strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("")
    return str(value)


def read_feed_options(value: Any) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise ValueError("")
    return dict(value)


def read_base_url(value: Any) -> str:
    try:
        return parse_base_url(text().read(value))
    except ArgumentError:
        raise ValueError("") from None


def read_section_path(value: Any) -> str:
    path = text(r"/[A-Za-z0-9/_\-.%]*").read(value)
    if ".." in path:
        raise ValueError("")
    return path


def read_page_url(value: Any) -> str:
    template = text().read(value)
    problem = page_url_problem(template, extra_hosts=None)  # the rest: check_settings
    if problem:
        raise ValueError(problem)
    return template


def read_hosts(value: Any) -> list[str]:
    """Hosts (``host`` or ``host:port``), comma-separated or a list."""
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple):
        raise ValueError("")
    hosts = [item.strip() for item in items if isinstance(item, str) and item.strip()]
    if len(hosts) != len([item for item in items if not isinstance(item, str) or item.strip()]):
        raise ValueError("")
    for host in hosts:
        if not re.fullmatch(r"[A-Za-z0-9](?:[A-Za-z0-9.\-]*[A-Za-z0-9])?(?::[0-9]{1,5})?", host):
            raise ValueError(f"{host!r} is not a host")
    return hosts


def read_json_path(value: Any) -> str:
    """A path (or rule) of ``ANALYTICS_JSON_PATHS``: any text, empty for none."""
    if not isinstance(value, str):
        raise ValueError("")
    return value


def read_layers(value: Any) -> str:
    """``ANALYTICS_FIELD_LAYERS``: a comma list (or a list) of ``site.LAYERS``, in their
    order, each once, starting with the selectors."""
    given = value if isinstance(value, list | tuple) else text().read(value).split(",")
    layers = [str(layer).strip() for layer in given]
    unknown = [layer for layer in layers if layer not in site.LAYERS]
    if unknown:
        raise ValueError(f"unknown layer {unknown[0]!r}")
    if layers[:1] != ["selector"] or layers != sorted(set(layers), key=site.LAYERS.index):
        raise ValueError("selector first, each layer once, in the order of the layers")
    return ",".join(layers)


def read_run_id(value: Any) -> str:
    return validate_run_id(text().read(value))


def growing_days(value: Any) -> tuple[float, ...]:
    """A JSON list (or comma-separated text) of day counts, each greater than the one before."""
    try:
        data = json.loads(value) if isinstance(value, str) and value.strip().startswith("[") \
            else (value.split(",") if isinstance(value, str) else value)
    except json.JSONDecodeError as error:
        raise ValueError(f"not JSON: {error.msg} at character {error.pos}") from None
    if not isinstance(data, list | tuple) or not data:
        raise ValueError("")
    days = tuple(DAYS.read(item) for item in data)
    if any(later <= earlier for earlier, later in zip((0.0, *days), days, strict=False)):
        raise ValueError("each number of days must be greater than the one before (and than 0)")
    return days


GROWING_DAYS = Kind("a list of numbers of days, each greater than the one before, such as "
                    "[1, 3, 7]", growing_days)


def optional(kind: Kind) -> Kind:
    """``kind``, or unset (None or an empty string)."""
    def read(value: Any) -> Any:
        return None if value is None or value == "" else kind.read(value)
    return Kind(f"{kind.expected}, or unset", read)


def mapping(keys: tuple[str, ...] | None, key_doc: str, value: Kind) -> Kind:
    """A JSON object (a dict in Python) from ``keys`` (any text when None) to ``value``."""
    def read(given: Any) -> dict[str, Any]:
        try:
            data = json.loads(given) if isinstance(given, str) else given
        except json.JSONDecodeError as error:
            raise ValueError(f"not JSON: {error.msg} at character {error.pos}") from None
        if not isinstance(data, Mapping):
            raise ValueError("not a JSON object")
        result = {}
        for key, item in dict(data).items():
            if keys is not None and key not in keys:
                raise ValueError(f"unknown key {key!r}")
            try:
                result[str(key)] = value.read(item)
            except ValueError:
                raise ValueError(f"{key!r}: {item!r}") from None
        return result
    return Kind(f"a JSON object of {key_doc} -> {value.expected}", read)


def text_list(item: Kind, what: str) -> Kind:
    """A list of ``item``: a JSON array, or a comma-separated text (``a,b``)."""
    def read(value: Any) -> list[Any]:
        if isinstance(value, str):
            stripped = value.strip()
            if stripped.startswith("["):
                try:
                    value = json.loads(stripped)
                except json.JSONDecodeError as error:
                    raise ValueError(f"not JSON: {error.msg}") from None
            else:
                value = [part.strip() for part in stripped.split(",") if part.strip()]
        if not isinstance(value, list | tuple):
            raise ValueError("")
        result = []
        for given in value:
            try:
                result.append(item.read(given))
            except ValueError:
                raise ValueError(f"{given!r}") from None
        return result
    return Kind(f"a list of {what} (comma-separated or a JSON array)", read)


def read_smtp_url(value: Any) -> str:
    parts = urlsplit(text().read(value).strip())
    if parts.scheme not in ("smtp", "smtps", "smtp+starttls") or not parts.hostname:
        raise ValueError("")
    return str(value).strip()


HOST = text(r"[A-Za-z0-9.\-]+|\[[0-9A-Fa-f:.]+\]", "a host name")
EMAIL = text(r"[^@\s,]+@[^@\s,]+", "an e-mail address")


def read_log_level(value: Any) -> str:
    level = text().read(value).strip().upper()
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
        raise ValueError("")
    return level


def read_positive_seconds(value: Any) -> float:
    seconds = SECONDS.read(value)
    if seconds <= 0:
        raise ValueError("")
    return seconds


def read_status_codes(value: Any) -> list[int]:
    codes = value.split(",") if isinstance(value, str) else value
    if not isinstance(codes, list | tuple):
        raise ValueError("")
    return [integer(100, 599).read(code) for code in codes]


def read_components(value: Any) -> dict[str, Any]:
    data = json.loads(value) if isinstance(value, str) else value
    if not isinstance(data, Mapping):
        raise ValueError("")
    return dict(data)


COMPONENTS = Kind("a JSON object of component -> order (a whole number) or null",
                  read_components)
