"""Build Scrapy responses from saved pages (in the manner of City Scrapers' file_response)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from scrapy.http import HtmlResponse

SAMPLES = Path(__file__).parent / "samples"


def file_response(name: str, url: str) -> HtmlResponse:
    """A response for ``url`` whose body is the saved sample page ``name``."""
    return HtmlResponse(url=url, body=(SAMPLES / name).read_bytes(), encoding="utf-8")


def sample_record(name: str) -> dict[str, Any]:
    """The record a sample page must yield (``<name>.json``)."""
    data: dict[str, Any] = json.loads((SAMPLES / name).read_text("utf-8"))
    return data
