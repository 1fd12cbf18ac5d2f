"""The meta-refresh middleware redirects exactly as Scrapy's does, page by page."""

from __future__ import annotations

import pytest
from scrapy import Request
from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler

from crawler.metarefresh import PageMetaRefreshMiddleware

URL = "http://127.0.0.1:8000/en/post/a"
REFRESH = '<meta http-equiv="Refresh" content="0; url=/en/post/b">'
FILLER = "<p>" + "Текст статьи. " * 40 + "</p>"


def page(head: str, body: str = FILLER, encoding: str = "utf-8") -> HtmlResponse:
    html = f"<html><head>{head}<title>t</title></head><body>{body}</body></html>"
    return HtmlResponse(URL, body=html.encode(encoding), encoding=encoding)


@pytest.mark.parametrize("response", [
    page(REFRESH),
    page(REFRESH.upper().replace("/EN/POST/B", "/en/post/b")),
    page(""),  # no refresh: let through
    page("", body=FILLER * 20 + REFRESH),  # past the 4,096 characters Scrapy reads
    page("<!-- " + FILLER * 6 + " -->" + REFRESH),  # past 4,096 bytes, within 4,096 characters
    page(REFRESH, encoding="utf-16"),  # no ASCII bytes: Scrapy's middleware decides
    page(REFRESH, encoding="cp1251"),
    page("<meta http-equiv='refresh' content='600; url=/en/post/b'>"),  # too late to follow
], ids=["refresh", "upper", "none", "far", "cyrillic", "utf16", "cp1251", "delay"])
def test_same_answer_as_scrapy(response: HtmlResponse) -> None:
    crawler = get_crawler()
    ours = PageMetaRefreshMiddleware.from_crawler(crawler).process_response(
        Request(URL), response)
    scrapys = MetaRefreshMiddleware.from_crawler(crawler).process_response(
        Request(URL), response)
    assert type(ours) is type(scrapys)
    assert ours.url == scrapys.url
    assert (ours is response) == (scrapys is response)


@pytest.mark.parametrize("head", [REFRESH, "<!-- " + FILLER * 6 + " -->" + REFRESH])
def test_a_refresh_is_followed(head: str) -> None:
    redirected = PageMetaRefreshMiddleware.from_crawler(get_crawler()).process_response(
        Request(URL), page(head))
    assert isinstance(redirected, Request)
    assert redirected.url == "http://127.0.0.1:8000/en/post/b"
