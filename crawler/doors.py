"""Every way a request for an article can end without a page, named.

Scrapy drops requests through many doors: ``IgnoreRequest`` from any middleware (robots.txt,
another host, the redirect limit, a body over ``DOWNLOAD_MAXSIZE`` after decompression),
download errors after their retries, error answers. ``door_of`` gives each failure of an
article request its stable name: a reject reason (``fetch_http_404``, ``redirect_loop``...)
or the rule that excluded it (``robots_txt``). Two doors never reach an errback and are
closed for article requests instead: the duplicate filter and the offsite check made when
a redirect is scheduled (article requests are ``dont_filter``; the spider asks for each
URL once), so ``SiteHostsOnly`` refuses another host at download time, with an errback.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.core.downloader.handlers import http11
from scrapy.crawler import Crawler
from scrapy.exceptions import (
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils._compression import _DecompressionMaxSizeExceeded
from twisted.internet.error import ConnectionLost, ConnectionRefusedError
from twisted.python.failure import Failure
from twisted.web._newclient import ResponseFailed

from crawler.items import FetchFailure

logger = logging.getLogger(__name__)

#: Request meta key: the article URL learned (the ledger's key) a request is for.
LEARNED_KEY = "analytics_learned"

#: Reject reasons of the download failures a run can meet (after their retries).
FAILURE_REASONS: tuple[tuple[type[BaseException], str], ...] = (
    (DownloadCancelledError, "too_large"),  # over DOWNLOAD_MAXSIZE
    (DownloadTimeoutError, "timeout"),
    (ResponseDataLossError, "truncated"),  # fewer bytes than Content-Length
    (ConnectionLost, "connection_lost"),
    (ConnectionRefusedError, "connection_refused"),
    (DownloadConnectionRefusedError, "connection_refused"),
)


#: The most bytes an answer's status line and headers may take: past it the answer is cut
#: (neither Scrapy's parser nor Twisted's has such a bound: 1 GiB of headers grew a crawl to
#: 1.4 GB).
MAX_HEADER_BYTES = 256 * 1024


class HeadersTooLarge(Exception):
    """An answer whose headers do not end within ``MAX_HEADER_BYTES``."""


class BoundedHTTPClientParser(http11._LenientHTTPClientParser):
    """Scrapy's HTTP/1.1 response parser, cutting an answer whose headers never end."""

    header_bytes = 0

    def lineReceived(self, line: bytes) -> None:
        self.header_bytes += len(line) + 1  # only the status line and headers come as lines
        if self.header_bytes > MAX_HEADER_BYTES:  # the connection is given up
            raise HeadersTooLarge(f"headers past {MAX_HEADER_BYTES} bytes")
        super().lineReceived(line)


def bound_response_headers() -> None:
    """Parse every HTTP/1.1 answer with ``BoundedHTTPClientParser``: Scrapy's protocol sets
    the class of each response's parser from its module (no setting reaches it)."""
    http11._LenientHTTPClientParser = BoundedHTTPClientParser  # type: ignore[misc]


class OffsiteRequest(IgnoreRequest):
    """A request (a redirect) to ``url``, on a host the crawl does not run against (it runs
    against ``hosts``)."""

    def __init__(self, url: str, hosts: str = "") -> None:
        super().__init__(f"{url} is on another host than {hosts}" if hosts else url)
        self.url, self.hosts = url, hosts


class RobotsForbidden(IgnoreRequest):
    """robots.txt disallows the URL."""


class RobotsUnavailable(IgnoreRequest):
    """robots.txt could not be had (5xx after retries, no answer): RFC 9309 says disallow all."""


@dataclass(frozen=True)
class Door:
    """How an article request ended: a reject ``reason``, or (``excluded``) the rule's name."""

    reason: str
    excluded: bool = False


def http_status(failure: Failure) -> int | None:
    """The HTTP status of a failure that is an error response; None for network errors."""
    error = failure.value
    return error.response.status if isinstance(error, HttpError) else None


def failure_reason(failure: Failure) -> str:
    """A short, stable name for why a download failed: ``http_503``, ``timeout``, ..."""
    status = http_status(failure)
    if status is not None:
        return f"http_{status}"
    for kind, reason in FAILURE_REASONS:
        if failure.check(kind):
            return reason
    if headers_too_large(failure.value):
        return "headers_too_large"
    if failure.check(IgnoreRequest):
        return "ignored"  # a middleware of no door below: a transient reject, never silence
    return type(failure.value).__name__


def headers_too_large(error: BaseException | None) -> bool:
    """True when a download failed on ``HeadersTooLarge`` (Scrapy wraps Twisted's
    ``ResponseFailed``, which lists its reasons)."""
    while error is not None:
        if isinstance(error, HeadersTooLarge):
            return True
        if isinstance(error, ResponseFailed):
            return any(reason.check(HeadersTooLarge) for reason in error.reasons)
        error = error.__cause__
    return False


def door_of(failure: Failure, request: Request, max_redirects: int) -> Door:
    """The door the article ``request`` left by (``request`` is the last of its redirects)."""
    if failure.check(RobotsForbidden):
        return Door("robots_txt", excluded=True)
    if failure.check(RobotsUnavailable):
        return Door("robots_txt_unavailable", excluded=True)
    redirects = [*request.meta.get("redirect_urls", ()), request.url]
    if failure.check(OffsiteRequest):
        return Door("redirect_offsite")
    if failure.check(IgnoreRequest) and not failure.check(HttpError):
        if isinstance(getattr(failure.value, "__cause__", None), _DecompressionMaxSizeExceeded):
            return Door("fetch_too_large")  # as a body over DOWNLOAD_MAXSIZE is
        if len(redirects) > max_redirects:
            looped = len(set(redirects)) < len(redirects)
            return Door("redirect_loop" if looped else "redirect_limit")
    return Door(f"fetch_{failure_reason(failure)}")


class SiteHostsOnly:
    """Refuses, with an errback, any request to a host but the spider's ``allowed_domains``,
    ``dont_filter`` ones included (Scrapy's offsite check lets those through, and drops a
    redirect to another host silently when it is scheduled)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        bound_response_headers()  # before the first download

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SiteHostsOnly:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        allowed = getattr(self.crawler.spider, "allowed_domains", None)
        host = urlsplit(request.url).hostname or ""
        if allowed and host not in allowed:
            raise OffsiteRequest(request.url, ", ".join(allowed))


class CallbackFailures:
    """An exception in the article callback costs that article only: a ``callback_error``
    reject naming the exception, logged as an error with its traceback (a bug to fix). One
    in a listing callback that is not about one card (those cost that card: the spider's
    ``card_failed``) ends that language's walk ``callback_error``: loud, and incomplete, so
    the next run walks it again; the cards the batch yielded before it are kept."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CallbackFailures:
        return cls(crawler)

    def process_spider_exception(self, response: Response, exception: Exception
                                 ) -> list[FetchFailure] | None:
        request = response.request
        spider = self.crawler.spider
        if request is not None and spider is not None and "lang" in request.cb_kwargs and \
                getattr(request.callback, "__name__", "") == "parse_listing":
            logger.error("Listing batch not read (callback_error) <%s>", response.url,
                         exc_info=(type(exception), exception, exception.__traceback__))
            lang = request.cb_kwargs["lang"]
            spider.walk_ended(lang, spider.walks[lang].raised(  # type: ignore[attr-defined]
                f"{type(exception).__name__}: {exception}"))
            return []
        if request is None or LEARNED_KEY not in request.meta or spider is None:
            return None  # not an article page of the crawl: Scrapy logs it as usual
        logger.error("Article page not parsed (callback_error) <%s>", response.url,
                     exc_info=(type(exception), exception, exception.__traceback__))
        return [FetchFailure(url=response.url, reason="callback_error",
                             detail=f"{type(exception).__name__}: {exception}",
                             base_url=spider.arguments.base_url,  # type: ignore[attr-defined]
                             learned=request.meta[LEARNED_KEY])]
