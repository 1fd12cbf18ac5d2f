"""Which URL names a record when pages disagree: the page does not decide what it is.

A page's canonical link is its record's URL only where ``normalize.canonical_problem``
allows it (an article path of the page's language on the site's hosts) and no other page of
this run claimed that URL with different content. Otherwise the URL it was fetched at names
the record, and the conflict is counted; a page whose own URL an earlier page of other
content already took cannot be told apart from it in this run: it is rejected
(``canonical_conflict``) and retried by the next one, never dropped as a duplicate.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace

from crawler.items import RawArticle
from crawler.normalize import article_url, canonical_problem, fetched_form


def page_digest(raw: RawArticle) -> str:
    """Digest of what makes the page this article: title, date and text as shown."""
    shown = json.dumps([raw.title, raw.date_text, raw.body_paragraphs], ensure_ascii=False)
    return hashlib.sha256(shown.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Claim:
    """What the run decided for one page: the raw article to parse (its canonical link
    dropped where it may not name the record), the conflicts seen, and the page that holds
    the page's own URL where it must be rejected."""

    raw: RawArticle
    conflicts: tuple[str, ...] = ()
    taken_by: str | None = None


@dataclass
class CanonicalClaims:
    """The record URLs claimed by the pages of one run: URL -> (fetched form, digest)."""

    claimed: dict[str, tuple[str, str]] = field(default_factory=dict)

    def claim(self, raw: RawArticle) -> Claim:
        """The record URL ``raw`` may have in this run."""
        form, digest, conflicts = fetched_form(raw), page_digest(raw), []
        problem = canonical_problem(raw)
        if problem is not None:
            conflicts.append(problem)
            raw = replace(raw, canonical_href=None, og_url=None)
        url = article_url(raw)
        holder = self.claimed.setdefault(url, (form, digest))
        if holder[0] != form and holder[1] != digest:
            conflicts.append("claimed")
            if url == form:  # this page's own URL, taken by an earlier page of other content
                return Claim(raw, tuple(conflicts), taken_by=holder[0])
            raw = replace(raw, canonical_href=None, og_url=None)
            holder = self.claimed.setdefault(form, (form, digest))
            if holder[1] != digest:
                return Claim(raw, tuple(conflicts), taken_by=holder[0])
        return Claim(raw, tuple(conflicts))
