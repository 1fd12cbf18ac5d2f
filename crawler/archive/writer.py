"""The run's WARC archive: every response the site sent, with its request, as it came.

``<ANALYTICS_OUTPUT_DIR>/archive/<run>.warc.gz`` is WARC/1.1 (ISO 28500) written with
``warcio``: a ``warcinfo`` record naming the run and its arguments, then a ``response`` and
a ``request`` record per answer (robots.txt, listings, articles, redirects, error answers,
every retry), each with its payload digest and the body as the site sent it (still in its
``Content-Encoding``). Every record is one gzip member, and the members of one answer reach
the file in one ``write``; a run killed mid-write leaves a torn last member, which the next
run cuts off (``crawler.archive.reader.cut_torn_archive``, from the state's reconciliation).
A run never appends to an archive: it creates its own, named by its run id. ``scrapy
reextract`` reads them back (``crawler.archive.reader``).
"""

from __future__ import annotations

import io
import json
import logging
import os
import zlib
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from isal import isal_zlib
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Request, Response
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from crawler import statkeys
from crawler.archive.reader import INFO_ARGUMENTS, INFO_RUN_ID
from crawler.disk import append_whole
from crawler.runs.instants import FETCHED_AT, format_instant
from crawler.runs.paths import RunPaths
from crawler.runs.start import require_run
from crawler.runs.summary import RunSource

logger = logging.getLogger(__name__)

#: Transfer codings are undone by the client before Scrapy sees the body: the stored body
#: is the payload, so the header that would tell a reader to undo them again is left out.
_HOP_HEADERS = frozenset({"transfer-encoding"})


class _RecordSink:
    """A sink for warcio that keeps each record's bytes apart: warcio flushes once at the end
    of every record, so each one can become its own gzip member (``gzip_members``)."""

    def __init__(self) -> None:
        self.records: list[bytes] = []
        self._parts: list[bytes] = []

    def write(self, data: bytes) -> None:
        self._parts.append(data)

    def flush(self) -> None:
        if self._parts:
            self.records.append(b"".join(self._parts))
            self._parts.clear()

    def take(self) -> list[bytes]:
        records, self.records = self.records, []
        return records


def gzip_members(records: list[bytes], level: int) -> bytes:
    """Each record as its own gzip member (what makes a ``.warc.gz`` seekable), concatenated.

    Level 1, the fastest, is ISA-L's (``isal``): on the site's pages it is a fifth of the CPU
    of zlib's level 1 and a little smaller (docs/benchmarks.md); the others are zlib's. Either
    way the members are plain gzip, read by zlib, warcio and any gzip tool.
    """
    compress = isal_zlib.compress if level == 1 else zlib.compress
    return b"".join(compress(record, level, wbits=zlib.MAX_WBITS | 16) for record in records)


@dataclass(frozen=True)
class Exchange:
    """One answer and its request: what the records need of Scrapy's objects."""

    url: str
    method: str
    request_headers: list[tuple[bytes, bytes]]
    request_body: bytes
    protocol: str
    status: int
    response_headers: list[tuple[bytes, bytes]]
    body: bytes
    fetched_at: str
    ip_address: str | None

    @classmethod
    def of(cls, request: Request, response: Response, fetched_at: str) -> Exchange:
        return cls(
            url=response.url, method=request.method,
            request_headers=_header_pairs(request.headers), request_body=request.body,
            protocol=response.protocol or "HTTP/1.1", status=response.status,
            response_headers=_header_pairs(response.headers), body=response.body,
            fetched_at=fetched_at,
            ip_address=str(response.ip_address) if response.ip_address else None,
        )


def _header_pairs(headers: Any) -> list[tuple[bytes, bytes]]:
    return [(bytes(name), bytes(value)) for name, values in headers.items() for value in values]


class WarcEncoder:
    """Turns exchanges into WARC/1.1 records (uncompressed bytes, one item per record)."""

    def __init__(self) -> None:
        self.sink = _RecordSink()
        self.writer = WARCWriter(self.sink, gzip=False, warc_version="1.1")

    def warcinfo(self, filename: str, run_id: str, arguments: dict[str, Any]) -> list[bytes]:
        """The first record: what wrote the archive, and the run it belongs to."""
        from importlib.metadata import version

        record = self.writer.create_warcinfo_record(filename, {
            "software": f"caliber-analytics-crawler (Scrapy {version('scrapy')}, "
                        f"warcio {version('warcio')})",
            "format": "WARC File Format 1.1",
            "conformsTo": "https://iipc.github.io/warc-specifications/specifications/"
                          "warc-format/warc-1.1/",
            INFO_RUN_ID: run_id,
            INFO_ARGUMENTS: json.dumps(arguments, sort_keys=True),
        })
        self.writer.write_record(record)
        return self.sink.take()

    def exchange(self, exchange: Exchange) -> list[bytes]:
        """A ``response`` record then its ``request`` record (``WARC-Concurrent-To``)."""
        date = {"WARC-Date": exchange.fetched_at}
        response_headers = StatusAndHeaders(
            _status_line(exchange.status),
            [(name, value) for name, value in exchange.response_headers
             if name.decode("latin-1").lower() not in _HOP_HEADERS],
            protocol=exchange.protocol)
        response = self.writer.create_warc_record(
            exchange.url, "response", payload=io.BytesIO(exchange.body),
            length=len(exchange.body), http_headers=response_headers,
            warc_headers_dict={**date, **({"WARC-IP-Address": exchange.ip_address}
                                          if exchange.ip_address else {})})
        parts = urlsplit(exchange.url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        request_headers = [(b"Host", parts.netloc.encode("latin-1")),
                           *exchange.request_headers]
        request = self.writer.create_warc_record(
            exchange.url, "request", payload=io.BytesIO(exchange.request_body),
            length=len(exchange.request_body), warc_headers_dict=date,
            http_headers=StatusAndHeaders(f"{exchange.method} {target} HTTP/1.1",
                                          request_headers, is_http_request=True))
        self.writer.write_request_response_pair(request, response)
        return self.sink.take()


def _status_line(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"{status} Unknown"


class ArchiveFile:
    """A new ``.warc.gz`` of one run, appended to one whole write at a time."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            raise FileExistsError(
                f"the archive {path} exists: a run never appends to an old archive "
                "(give this run its own ANALYTICS_RUN_ID)") from None

    def write(self, data: bytes) -> None:
        """Append ``data`` whole (or nothing of it)."""
        append_whole(self._fd, data, self.path)

    def close(self) -> None:
        os.close(self._fd)


class ArchiveMiddleware:
    """Downloader middleware: writes every answer with its request to the run's archive.

    It sits next to the downloader (``DOWNLOADER_MIDDLEWARES`` 950), so it sees each answer
    before any other middleware: compressed, before redirects and retries act on it. The
    records are built, compressed and written here, on the reactor: a worker thread cost
    more CPU in hand-offs than it saved (docs/benchmarks.md), and the write is to the page
    cache. The answer goes on only once it is in the file, so no record of the run can
    reach the disk before its page.
    """

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        require_run(settings, "ArchiveMiddleware")
        if not settings.getbool("ANALYTICS_ARCHIVE"):
            raise NotConfigured("ANALYTICS_ARCHIVE is off")
        assert crawler.stats is not None
        self.stats = crawler.stats
        paths = RunPaths.of(settings)
        self.level = settings.getint("ANALYTICS_ARCHIVE_GZIP_LEVEL")
        self.encoder = WarcEncoder()
        self.file = ArchiveFile(paths.archive)
        spider = crawler.spider
        arguments: dict[str, Any] = (spider.arguments_summary()
                                     if isinstance(spider, RunSource) else {})
        self._write(self.encoder.warcinfo(paths.archive.name, paths.run_id, arguments))
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchiveMiddleware:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        if "cached" in response.flags:  # HTTPCACHE_ENABLED: not an answer of the site
            return response
        fetched_at = format_instant()
        request.meta[FETCHED_AT] = fetched_at
        records = self.encoder.exchange(Exchange.of(request, response, fetched_at))
        size = self._write(records)
        self.stats.inc_value(statkeys.ARCHIVE_RECORDS, len(records))
        self.stats.inc_value(statkeys.ARCHIVE_BYTES, size)
        return response

    def _write(self, records: list[bytes]) -> int:
        data = gzip_members(records, self.level)
        self.file.write(data)
        return len(data)

    def spider_closed(self) -> None:
        self.file.close()
