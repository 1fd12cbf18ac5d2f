"""Why an item goes no further: the drops the pipelines raise and the extensions read.

Here, not in ``crawler.pipelines``, so the spider and the extensions can tell a reject from
a duplicate without importing the pipelines.
"""

from __future__ import annotations

from typing import Any

from scrapy.exceptions import DropItem


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
