"""What the state says an earlier run delivered at a URL, for an incremental run's page that
names that URL as its canonical one without this run fetching it (``crawler.claims``).

Such a page is the article delivered there only when it shows the same title and date: the
two things that make one article in the claims' own comparison (title, date, text) that an
edit rarely changes. The text is not compared, so an article edited since (a corrected
paragraph), fetched under another of its URLs, is still that article; an impostor (a new
article whose canonical link names an old one) has its own title or date, so it is delivered
under its own URL. A delivery made before the state kept titles (schema 6) is compared by its
content hashes instead: only an unedited page matches there, and an edited one is delivered
under its own URL too: a record too many, counted, never one lost.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from crawler.digest import content_hash as edit_hash
from crawler.digest import normalised_text
from crawler.state.store import StateStore, content_hash


@dataclass(frozen=True)
class Delivered:
    """The title, date and content hashes of the last delivery of a known article (the
    title null for one delivered before schema 6, the edit hash before schema 5)."""

    title: str | None
    date: str
    edit_hash: str | None
    content_hash: str

    def shows(self, record: dict[str, Any]) -> bool:
        """Whether ``record`` (a page made a record under this article's URL) is this
        article: the same title and date, or, without a title kept, the same content."""
        if self.title is not None:
            return (normalised_text(record["title"]), record["date"]) == (
                normalised_text(self.title), self.date)
        if self.edit_hash is not None:
            return edit_hash(record) == self.edit_hash
        return content_hash(record) == self.content_hash


def delivered_at(store: StateStore, url: str) -> Delivered | None:
    """What an earlier run delivered at ``url`` (any URL form of the article), or None."""
    row = store.db.execute(
        "SELECT a.title, a.date, a.edit_hash, a.content_hash FROM url_forms f "
        "JOIN articles a ON a.id = f.id WHERE f.url = ?", (url,)).fetchone()
    return None if row is None else Delivered(*row)
