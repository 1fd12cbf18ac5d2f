"""The WARC archive: records as the site sent them, torn ends cut, read back as a crawl reads."""

from __future__ import annotations

import gzip
import json
import zlib
from pathlib import Path
from typing import Any

import pytest
from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.http import HtmlResponse, Request, Response
from scrapy.settings import Settings
from scrapy.utils.test import get_crawler
from warcio.archiveiterator import ArchiveIterator

from crawler import settings as project_settings
from crawler.archive.reader import (
    HttpMessage,
    archive_info,
    archive_records,
    cut_torn_archive,
    whole_members_end,
)
from crawler.archive.reextract import ReextractSpider, archived_response
from crawler.archive.writer import ArchiveFile, Exchange, WarcEncoder, gzip_members
from crawler.arguments import ArgumentError
from crawler.dataset import consolidate
from crawler.runs.instants import FETCHED_AT
from crawler.runs.start import validate_settings

URL = "https://caliber.az/en/post/some-article-123"
PAGE = "<html><head><title>Статья</title></head><body><h1>Заголовок</h1></body></html>".encode()
FETCHED = "2026-11-28T06:00:00.123Z"


def exchange(body: bytes, headers: dict[bytes, bytes | list[bytes]], status: int = 200) -> Exchange:
    request = Request(URL, headers={"User-Agent": "test-bot", "Accept-Encoding": "gzip"})
    response = Response(URL, status=status, headers=headers, body=body, ip_address=None)
    return Exchange.of(request, response, FETCHED)


def write_archive(path: Path, exchanges: list[Exchange], level: int = 6) -> bytes:
    encoder = WarcEncoder()
    archive = ArchiveFile(path)
    archive.write(gzip_members(encoder.warcinfo(
        path.name, "20261128T055959.000Z", {"base_url": "https://caliber.az", "mode": "full"}),
        level))
    for item in exchanges:
        archive.write(gzip_members(encoder.exchange(item), level))
    archive.close()
    return path.read_bytes()


def test_records_keep_the_body_as_sent_with_digests_and_the_fetch_instant(tmp_path: Path) -> None:
    path = tmp_path / "run.warc.gz"
    compressed = gzip.compress(PAGE)
    write_archive(path, [exchange(compressed, {b"Content-Type": b"text/html; charset=utf-8",
                                               b"Content-Encoding": b"gzip",
                                               b"Transfer-Encoding": b"chunked"}),
                         exchange(b"gone", {b"Content-Type": b"text/plain"}, status=503)])
    with path.open("rb") as handle:
        iterator = ArchiveIterator(handle, check_digests=True)
        records = []
        for record in iterator:
            payload = record.raw_stream.read()
            assert record.digest_checker.passed is not False, record.digest_checker.problems
            records.append((record, payload))
    kinds = [record.rec_type for record, _ in records]
    assert kinds == ["warcinfo", "response", "request", "response", "request"]
    response, payload = records[1]
    assert response.rec_headers.protocol == "WARC/1.1"
    assert response.rec_headers.get_header("WARC-Date") == FETCHED
    assert response.rec_headers.get_header("WARC-Target-URI") == URL
    assert response.rec_headers.get_header("WARC-Payload-Digest").startswith("sha1:")
    assert payload == compressed  # as the site sent it, still gzip
    assert response.http_headers.get_header("Content-Encoding") == "gzip"
    assert response.http_headers.get_header("Transfer-Encoding") is None  # undone by the client
    request = records[2][0]
    assert request.http_headers.protocol == "GET"
    assert request.http_headers.get_header("User-Agent") == "test-bot"
    assert request.rec_headers.get_header("WARC-Concurrent-To") == \
        response.rec_headers.get_header("WARC-Record-ID")
    assert records[3][0].http_headers.get_statuscode() == "503"
    assert archive_info(path)["analytics-run-id"] == "20261128T055959.000Z"
    assert json.loads(archive_info(path)["analytics-arguments"])["mode"] == "full"


def test_every_record_is_its_own_gzip_member(tmp_path: Path) -> None:
    data = write_archive(tmp_path / "run.warc.gz", [exchange(PAGE, {}), exchange(PAGE, {})])
    members = data.count(b"\x1f\x8b\x08")  # each member starts with the gzip magic
    assert members == 1 + 2 * 2


def test_an_archived_page_reads_back_as_the_response_a_crawl_gets(tmp_path: Path) -> None:
    path = tmp_path / "run.warc.gz"
    write_archive(path, [exchange(gzip.compress(PAGE),
                                  {b"Content-Type": b"text/html; charset=utf-8",
                                   b"Content-Encoding": b"gzip"})])
    record = next(r for r in archive_records(path) if r.fields["WARC-Type"] == "response")
    decoder = HttpCompressionMiddleware.from_crawler(get_crawler())
    response = archived_response(record, HttpMessage.parse(record.block), decoder)
    assert isinstance(response, HtmlResponse)
    assert response.body == PAGE
    assert response.css("h1::text").get() == "Заголовок"
    assert response.meta[FETCHED_AT] == FETCHED


def warcio_records(path: Path) -> list[Any]:
    """Every record of an archive as warcio's own reader reads it (the reference)."""
    with path.open("rb") as handle:
        return [(record, record.content_stream().read() if record.http_headers is None
                 else record.raw_stream.read()) for record in ArchiveIterator(handle)]


def test_the_quick_reader_reads_what_warcio_reads(tmp_path: Path) -> None:
    path = tmp_path / "run.warc.gz"
    write_archive(path, [exchange(PAGE, {b"Content-Type": b"text/html; charset=utf-8",
                                         b"Set-Cookie": [b"a=1", b"b=2"]}),
                         exchange(b"", {b"Location": (URL + "/").encode()}, status=301),
                         exchange(gzip.compress(PAGE), {b"Content-Encoding": b"gzip"}, 503)])
    quick = list(archive_records(path))
    assert len(quick) == 1 + 3 * 2
    for ours, (theirs, payload) in zip(quick, warcio_records(path), strict=True):
        assert ours.fields == dict(theirs.rec_headers.headers)
        if theirs.http_headers is None:
            assert ours.block == payload
            continue
        message = HttpMessage.parse(ours.block)
        assert message.protocol == theirs.http_headers.protocol
        assert message.status == theirs.http_headers.statusline
        assert message.headers == theirs.http_headers.headers
        assert message.body == payload


def test_a_torn_last_member_is_cut_and_the_rest_stays_readable(tmp_path: Path) -> None:
    path = tmp_path / "run.warc.gz"
    whole = write_archive(path, [exchange(PAGE, {}), exchange(PAGE, {})])
    assert whole_members_end(path) == len(whole)
    assert not cut_torn_archive(path)
    pair = gzip_members(WarcEncoder().exchange(exchange(PAGE * 50, {})), 6)  # response, request
    reader = zlib.decompressobj(zlib.MAX_WBITS | 16)
    reader.decompress(pair)
    response_member = pair[: len(pair) - len(reader.unused_data)]
    for torn, kept in ((pair[:10], whole), (pair[: len(response_member) // 2], whole),
                       (pair[:-1], whole + response_member)):
        path.write_bytes(whole + torn)
        assert len(list(archive_records(path, whole_only=True))) == 5 + (kept != whole)
        with pytest.raises(ValueError, match="ends inside"):
            list(archive_records(path))
        assert cut_torn_archive(path)
        assert path.read_bytes() == kept
        assert len(warcio_records(path)) == 5 + (kept != whole)


def test_an_old_archive_is_never_appended_to(tmp_path: Path) -> None:
    path = tmp_path / "run.warc.gz"
    write_archive(path, [])
    with pytest.raises(FileExistsError, match="never appends"):
        ArchiveFile(path)


@pytest.mark.parametrize(("name", "value"), [
    ("ANALYTICS_ARCHIVE_GZIP_LEVEL", "0"), ("ANALYTICS_ARCHIVE_GZIP_LEVEL", "10"),
    ("ANALYTICS_ARCHIVE_GZIP_LEVEL", "fast"), ("ANALYTICS_ARCHIVE_GZIP_LEVEL", ""),
    ("ANALYTICS_ARCHIVE", "maybe"), ("ANALYTICS_USE_STATE", "False"),
])
def test_a_wrong_archive_setting_is_refused(name: str, value: str) -> None:
    settings = Settings()
    settings.setmodule(project_settings)
    validate_settings(settings)  # the defaults pass
    settings.set(name, value)
    with pytest.raises(ArgumentError, match=f"^{name}: "):
        validate_settings(settings)


def test_the_dataset_prefers_the_reextracted_record_of_the_same_fetch(tmp_path: Path) -> None:
    record = {"url": "https://caliber.az/en/post/a", "id": "a" * 20, "lang": "en",
              "title": "T", "subtitle": None, "date": "2026-11-27T10:00:00+04:00",
              "category": None, "views": 5, "body": "B", "author": None, "image": None,
              "scraped_at": FETCHED}
    fixed = {**record, "subtitle": "S"}
    crawl, reextract = "20261128T055959.000Z", "20261129T080000.000Z"
    for run_id, line, summary in ((crawl, record, {"source": "site"}),
                                  (reextract, fixed, {"source": "archive", "archive_run": crawl,
                                                      "started_at": "2026-11-29T08:00:00Z"})):
        (tmp_path / "articles").mkdir(exist_ok=True)
        (tmp_path / "runs").mkdir(exist_ok=True)
        (tmp_path / "articles" / f"{run_id}.jsonl").write_text(json.dumps(line) + "\n")
        (tmp_path / "runs" / f"{run_id}.json").write_text(json.dumps({"run_id": run_id,
                                                                       **summary}))
    consolidate(tmp_path)
    rows = [json.loads(line) for line in
            (tmp_path / "dataset" / "articles.jsonl").read_text().splitlines()]
    assert [row["subtitle"] for row in rows] == ["S"]
    card = (tmp_path / "dataset" / "README.md").read_text()
    assert f"| {reextract} | 2026-11-29T08:00:00Z | {crawl} | 1 |" in card
    # a section of the card like the others: before the loading examples and the last line
    assert card.index("## Re-extracted rows") < card.index("## Loading")
    assert card.rstrip().endswith("the digest of every file.")
    manifest = json.loads((tmp_path / "dataset" / "manifest.json").read_text())
    assert manifest["reextracted"] == [{"run_id": reextract, "archive_run": crawl,
                                        "reextracted_at": "2026-11-29T08:00:00Z",
                                        "ids": ["a" * 20]}]


@pytest.mark.parametrize(("given", "expected"), [(None, False), ("True", True)])
def test_a_reextraction_fsyncs_lines_only_when_asked(given: str | None, expected: bool) -> None:
    settings = Settings({"ANALYTICS_FSYNC": True}, priority="project")
    if given is not None:
        settings.set("ANALYTICS_FSYNC", given, priority="cmdline")
    ReextractSpider.update_settings(settings)
    assert settings.getbool("ANALYTICS_FSYNC") is expected


@pytest.mark.parametrize("level", [1, 2, 6, 9])
def test_each_record_is_one_plain_gzip_member_at_every_level(level: int) -> None:
    records = WarcEncoder().exchange(exchange(PAGE * 20, {}))
    data = gzip_members(records, level)
    members = []
    while data:
        reader = zlib.decompressobj(zlib.MAX_WBITS | 16)
        members.append(reader.decompress(data))
        assert reader.eof
        data = reader.unused_data
    assert members == records
    assert gzip.decompress(gzip_members(records, level)) == b"".join(records)
