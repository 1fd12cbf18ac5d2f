"""Which URL names a record when pages disagree: the page does not decide what it is.

A URL belongs to the page fetched at it. A page whose canonical link (else og:url) names
its own fetched URL, or names nothing usable (``normalize.canonical_problem``: the home
page, another language or host, counted), is the record of that URL. A page naming *another*
article URL is taken at its word only as far as the page fetched at that URL agrees:

- the page at the URL named shows the same article (title, date, text): the page is another
  name of it, and names its record by that URL (the pipelines then keep one record of the two);
- it shows other content: the page is not that article; its own fetched URL names its record,
  and the conflict is counted (``claimed``);
- it has not been seen yet: the page waits for it (compressed, in a temporary file), and is
  decided when it comes; when the run has nothing left to fetch, every page still waiting is decided
  by what names the same URL: if those pages agree, the URL named (the numeric URL of an
  article naming its slug, whose slug page the run never fetched); if they differ, none of
  them is that article and each keeps its own URL (``claimed``).

So each decision depends on which pages the run fetched, never on the order they came in, and
a page fetched at its canonical URL always owns it: no page can take it, before or after.

In an incremental run, a page naming an article an earlier run delivered, whose page this run
did not fetch, is compared with what the state kept of that delivery
(``crawler.state.delivered``: the same title and date): the same article, its URL (known);
else its own fetched URL, ``claimed``.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import tempfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import IO

from crawler.items import RawArticle
from crawler.normalize import article_url, canonical_problem, fetched_form


def page_digest(raw: RawArticle) -> bytes:
    """Digest of what makes the page this article: title, date and text as shown (16 bytes:
    one is kept for every page of the run)."""
    shown = json.dumps([raw.title, raw.date_text, raw.body_paragraphs], ensure_ascii=False)
    return hashlib.blake2b(shown.encode("utf-8"), digest_size=16).digest()


def own_url(raw: RawArticle) -> RawArticle:
    """``raw`` named by the URL it was fetched at: its canonical link and og:url set aside."""
    return replace(raw, canonical_href=None, og_url=None)


@dataclass(frozen=True)
class Decision:
    """A page decided: the raw article to parse (named by the URL it may have) and the
    conflicts its canonical link met."""

    raw: RawArticle
    conflicts: tuple[str, ...] = ()


@dataclass(frozen=True)
class Verdict:
    """What one page's arrival decided: the page itself (None while it waits for the page at
    the URL it names) and the pages that were waiting for this one."""

    now: Decision | None
    released: tuple[Decision, ...] = ()


class Spool:
    """Where the waiting pages are kept: an anonymous temporary file (gone with the process,
    even a killed one), so that each costs memory only for its place in it, not ~0.5 KB
    for its compressed bytes (a fifth of a replica's pages wait until the run's idle)."""

    def __init__(self) -> None:
        self._file: IO[bytes] | None = None
        self._end = 0

    def put(self, data: bytes) -> int:
        """Keep ``data``; its offset in the spool."""
        if self._file is None:
            # Open for the run: the pages wait in it until their page or the idle comes.
            self._file = tempfile.TemporaryFile(prefix="claims-")  # noqa: SIM115
        offset, self._end = self._end, self._end + len(data)
        self._file.write(data)  # buffered: read back through the same file object
        return offset

    def get(self, offset: int, size: int) -> bytes:
        """The ``size`` bytes kept at ``offset``."""
        assert self._file is not None
        self._file.flush()
        return os.pread(self._file.fileno(), size, offset)


@dataclass(frozen=True, slots=True)
class Waiting:
    """A page waiting for the page at the URL it names: its digest, and where it is packed."""

    digest: bytes
    offset: int
    size: int

    @classmethod
    def of(cls, raw: RawArticle, digest: bytes, spool: Spool) -> Waiting:
        packed = zlib.compress(pickle.dumps(raw, pickle.HIGHEST_PROTOCOL), 1)
        return cls(digest, spool.put(packed), len(packed))

    def raw(self, spool: Spool) -> RawArticle:
        # Our own bytes, written by this process in this run.
        raw: RawArticle = pickle.loads(zlib.decompress(spool.get(self.offset, self.size)))
        return raw


def judged(raw: RawArticle, digest: bytes, there: bytes) -> Decision:
    """``raw`` (naming another URL) against the digest of the page fetched ``there``."""
    return Decision(raw) if digest == there else Decision(own_url(raw), ("claimed",))


@dataclass
class CanonicalClaims:
    """The pages of one run: what each fetched URL showed, and the pages waiting for one."""

    #: Fetched form -> digest of the page fetched there (the first, for a URL fetched twice).
    shown: dict[str, bytes] = field(default_factory=dict)
    #: URL named -> the pages naming it that wait for the page at it.
    waiting: dict[str, list[Waiting]] = field(default_factory=dict)
    #: Where the waiting pages are.
    spool: Spool = field(default_factory=Spool)

    def claim(self, raw: RawArticle, may_wait: bool = True,
              earlier: Callable[[RawArticle], bool] | None = None) -> Verdict:
        """Decide ``raw``, and the pages that waited for it. ``may_wait`` False (a page no walk
        asked for: ``scrapy parse``) takes the URL named at once when its page has not been
        seen. ``earlier``: the URL named is an article an earlier run delivered (an
        incremental run), and says whether ``raw`` shows it, where this run did not fetch it."""
        form, digest = fetched_form(raw), page_digest(raw)
        problem = canonical_problem(raw)
        if problem is not None:
            raw = own_url(raw)
        there = self.shown.setdefault(form, digest)
        released = tuple(judged(page.raw(self.spool), page.digest, there)
                         for page in self.waiting.pop(form, ()))
        named = article_url(raw)
        if named == form:
            return Verdict(Decision(raw, (problem,) if problem else ()), released)
        if named in self.shown:
            return Verdict(judged(raw, digest, self.shown[named]), released)
        if earlier is not None:
            same = earlier(raw)
            return Verdict(Decision(raw) if same else Decision(own_url(raw), ("claimed",)),
                           released)
        if not may_wait:
            return Verdict(Decision(raw), released)
        self.waiting.setdefault(named, []).append(Waiting.of(raw, digest, self.spool))
        return Verdict(None, released)

    def release(self) -> Iterator[Decision]:
        """The run has nothing left to fetch: every waiting page decided by the others naming
        the same URL (all alike: that URL; else each its own, ``claimed``). Lazily, a page
        unpacked as it is taken, so a run's waiting pages are never all in memory at once."""
        groups = sorted(self.waiting.items())
        self.waiting.clear()
        return (decision for _named, pages in groups for decision in self.alike(pages))

    def alike(self, pages: list[Waiting]) -> Iterator[Decision]:
        """The pages naming one URL that no page fetched at it answered: that URL where they
        all show the same article, else each its own fetched URL (``claimed``)."""
        agreed = len({page.digest for page in pages}) == 1
        for page in pages:
            raw = page.raw(self.spool)
            yield Decision(raw) if agreed else Decision(own_url(raw), ("claimed",))
