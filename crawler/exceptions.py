"""Why an item goes no further: the drops the pipelines raise and the extensions read.

Here, not in ``crawler.pipelines``, so the spider and the extensions can tell a reject from
a duplicate without importing the pipelines.
"""

from __future__ import annotations

from typing import Any

from scrapy.exceptions import DropItem


class Rejected(DropItem):
    """An article that is not a record: its URL, the reason, and what the page did have.

    ``canonical``: the canonical form of the URL it was fetched at, which the state keys an
    open reject by (the form the listing's card gives); None where there is none.
    """

    def __init__(self, reason: str, message: str, url: str, found: dict[str, Any],
                 canonical: str | None = None) -> None:
        super().__init__(f"rejected ({reason}): {message} <{url}>", log_level="WARNING")
        self.reason = reason
        self.detail = message
        self.url = url
        self.found = found
        self.canonical = canonical


class Duplicate(DropItem):
    """An article already delivered in this run (the same id reached twice)."""
