"""The one reader of the run's WARC archives: their whole gzip members, the cut of a torn end
(the state's reconciliation), every record split by ``Content-Length``, and the run an
archive belongs to. zlib only: neither Scrapy nor warcio, so the state can repair an archive
without loading the writer."""

from __future__ import annotations

import json
import logging
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

#: ``warcinfo`` fields naming the run the archive belongs to and its arguments (JSON).
INFO_RUN_ID = "analytics-run-id"
INFO_ARGUMENTS = "analytics-arguments"


def whole_members_end(path: Path) -> int:
    """Bytes of ``path`` up to the end of its last whole gzip member (CRC and size checked)."""
    end = position = 0
    decompressor = zlib.decompressobj(zlib.MAX_WBITS | 16)
    with path.open("rb") as handle:
        # Small reads: what is left after a member's end (unused_data) is copied each time.
        while chunk := handle.read(1 << 15):
            data = chunk
            while data:
                try:
                    decompressor.decompress(data)
                except zlib.error:
                    return end  # garbage after the last whole member: a torn write
                if not decompressor.eof:
                    position += len(data)
                    break
                rest = decompressor.unused_data
                position += len(data) - len(rest)
                end = position
                decompressor = zlib.decompressobj(zlib.MAX_WBITS | 16)
                data = rest
    return end


def cut_torn_archive(path: Path) -> bool:
    """Cut a torn last gzip member off an archive (left by a killed run); True if one was."""
    if not path.exists():
        return False
    end = whole_members_end(path)
    if end == path.stat().st_size:
        return False
    with path.open("rb+") as handle:
        handle.truncate(end)
    logger.warning("Cut a torn record off the end of the archive %s (%d bytes kept)", path, end)
    return True


@dataclass(frozen=True)
class StoredRecord:
    """One record as ``scrapy reextract`` reads it: its named fields and its block, raw."""

    fields: dict[str, str]
    block: bytes


@dataclass(frozen=True)
class HttpMessage:
    """An HTTP message of a record's block, split as warcio splits it."""

    protocol: str
    status: str
    headers: list[tuple[str, str]]
    body: bytes

    @classmethod
    def parse(cls, block: bytes) -> HttpMessage:
        """Status line, headers (continuation lines joined) and body of ``block``."""
        head, _, body = block.partition(b"\r\n\r\n")
        status_line, *lines = _header_text(head).split("\r\n")
        protocol, _, status = status_line.partition(" ")
        headers: list[tuple[str, str]] = []
        for line in lines:
            if line[:1] in (" ", "\t") and headers:
                headers[-1] = (headers[-1][0], headers[-1][1] + line.rstrip())
            elif ":" in line:
                name, value = line.split(":", 1)
                headers.append((name.rstrip(" \t"), value.strip()))
        return cls(protocol.upper(), status.strip(), headers, body)


def _header_text(head: bytes) -> str:
    try:
        return head.decode("utf-8")
    except UnicodeDecodeError:
        return head.decode("iso-8859-1")


def archive_records(path: Path, whole_only: bool = False) -> Iterator[StoredRecord]:
    """Every record of an archive, read with zlib and split by ``Content-Length``: a third of
    the CPU of warcio's reader, which parses every header of every record (``whole_only``:
    stop before a torn end). A record cut short raises ``ValueError``."""
    pending = bytearray()
    with path.open("rb") as handle:
        limit = whole_members_end(path) if whole_only else path.stat().st_size
        for data in _gunzipped(handle, limit, path):
            pending += data
            while (record := _take_record(pending, path)) is not None:
                yield record
    if pending:
        raise ValueError(f"{path}: the archive ends inside a record")


def _gunzipped(handle: Any, limit: int, path: Path) -> Iterator[bytes]:
    """The decompressed bytes of the first ``limit`` bytes of a file of gzip members."""
    decompressor = zlib.decompressobj(zlib.MAX_WBITS | 16)
    inside = False  # part of a member was read, not its end
    while limit > 0 and (chunk := handle.read(min(1 << 16, limit))):
        limit -= len(chunk)
        data = chunk
        while data:
            yield decompressor.decompress(data)
            inside = not decompressor.eof
            if inside:
                break
            data = decompressor.unused_data
            decompressor = zlib.decompressobj(zlib.MAX_WBITS | 16)
    if inside:
        raise ValueError(f"{path}: the archive ends inside a gzip member")


def _take_record(pending: bytearray, path: Path) -> StoredRecord | None:
    """The first record of ``pending``, removed from it; None while it is not all there."""
    end = pending.find(b"\r\n\r\n")
    if end < 0:
        return None
    version, *lines = _header_text(bytes(pending[:end])).split("\r\n")
    if not version.startswith("WARC/"):
        raise ValueError(f"{path}: a record starts with {version[:40]!r}, not a WARC version")
    fields: dict[str, str] = {}
    for line in lines:
        name, _, value = line.partition(":")
        fields.setdefault(name.strip(), value.strip())
    start = end + 4
    stop = start + int(fields["Content-Length"])
    if len(pending) < stop + 4:
        return None
    if pending[stop:stop + 4] != b"\r\n\r\n":
        raise ValueError(f"{path}: a record's block does not end where its Content-Length says")
    block = bytes(pending[start:stop])
    del pending[:stop + 4]  # the block and the two CRLFs that end a record
    return StoredRecord(fields, block)


def archive_info(path: Path) -> dict[str, str]:
    """The fields of an archive's ``warcinfo`` record (its first record)."""
    for record in archive_records(path):
        if record.fields.get("WARC-Type") != "warcinfo":
            break
        text = record.block.decode("utf-8")
        return dict(line.split(": ", 1) for line in text.splitlines() if ": " in line)
    raise ValueError(f"{path} does not start with a warcinfo record of this crawler")


def archive_arguments(info: dict[str, str]) -> dict[str, Any]:
    """The arguments of the run an archive's ``warcinfo`` names (``INFO_ARGUMENTS``)."""
    arguments: dict[str, Any] = json.loads(info[INFO_ARGUMENTS])
    return arguments
