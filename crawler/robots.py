"""robots.txt as RFC 9309 says, in place of Scrapy's middleware (which allows everything
when robots.txt fails in any way).

- 2xx: parsed, its first ``ROBOTS_MIN_BYTES`` (500 KiB) whatever ``DOWNLOAD_MAXSIZE`` says
  (the download stops there); redirects are followed on the crawl's host only (another host is
  refused by ``crawler.doors.SiteHostsOnly``: robots.txt is then unavailable).
- 4xx: there are no rules: everything is allowed.
- 5xx after the retries, no answer, an answer of another kind: *unavailable*, so everything
  is disallowed (``RobotsUnavailable``) and the run fails its ``robots_txt`` check before
  any article is asked for.

How long a dead host takes to be given up is the retry layer's concern, not this one's.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import StopDownload
from scrapy.http import Request, Response
from scrapy.robotstxt import RobotParser
from twisted.internet.defer import Deferred

from crawler import statkeys
from crawler.doors import RobotsForbidden, RobotsUnavailable

logger = logging.getLogger(__name__)

#: RFC 9309 2.5: a crawler must parse at least 500 KiB of a robots.txt.
ROBOTS_MIN_BYTES = 500 * 1024
#: Request meta keys: a robots.txt request of this middleware, the bytes it received so far.
ROBOTS_REQUEST, ROBOTS_RECEIVED = "analytics_robots", "analytics_robots_received"


class DisallowAll(RobotParser):
    """The rules of an unavailable robots.txt: nothing may be fetched."""

    def __init__(self, why: str, cause: Exception | None = None) -> None:
        self.why = why
        self.cause = cause  # the download error, where there was one

    @classmethod
    def from_crawler(cls, crawler: Any, robotstxt_body: bytes) -> DisallowAll:
        raise NotImplementedError  # made by SiteRobotsMiddleware only

    def allowed(self, url: str | bytes, user_agent: str | bytes) -> bool:
        return False


class SiteRobotsMiddleware(RobotsTxtMiddleware):
    """Scrapy's robots.txt middleware with RFC 9309's answers to a failed robots.txt."""

    def __init__(self, crawler: Any) -> None:
        super().__init__(crawler)
        maxsize = crawler.settings.getint("DOWNLOAD_MAXSIZE")
        #: The cap of a robots.txt once decompressed (0: none, as DOWNLOAD_MAXSIZE=0 says).
        self.decompressed_maxsize = 0 if maxsize == 0 else max(maxsize, ROBOTS_MIN_BYTES)
        #: ``bytes_received`` is listened to only while a robots.txt is on its way: Scrapy
        #: sends it for every chunk of every answer, 12 us each with a receiver.
        self.listening = False

    async def process_request(self, request: Request) -> None:  # type: ignore[override]
        if request.meta.get("dont_obey_robotstxt"):
            if urlsplit(request.url).path == "/robots.txt":
                # No cap on the declared size: the download stops at ROBOTS_MIN_BYTES
                # (``bytes_received``) and what came is parsed, as RFC 9309 allows.
                request.meta[ROBOTS_REQUEST] = True
                request.meta["download_maxsize"] = 0
                self.listen(True)
            return
        await super().process_request(request)

    def listen(self, on: bool) -> None:
        """Receive ``bytes_received`` (or no longer)."""
        if on != self.listening:
            change = self.crawler.signals.connect if on else self.crawler.signals.disconnect
            change(self.bytes_received, signal=signals.bytes_received)
            self.listening = on

    def robots_settled(self) -> None:
        """A robots.txt was parsed or given up: stop listening unless another is pending."""
        if not any(isinstance(parser, Deferred) for parser in self._parsers.values()):
            self.listen(False)

    def bytes_received(self, data: bytes, request: Request) -> None:
        """Past ``ROBOTS_MIN_BYTES`` of robots.txt, the rest is not downloaded."""
        if not request.meta.get(ROBOTS_REQUEST):
            return
        # Read by the decompression middleware once the body is in: capped again there.
        request.meta["download_maxsize"] = self.decompressed_maxsize
        request.meta[ROBOTS_RECEIVED] = request.meta.get(ROBOTS_RECEIVED, 0) + len(data)
        if request.meta[ROBOTS_RECEIVED] >= ROBOTS_MIN_BYTES:
            raise StopDownload(fail=False)

    def process_request_2(self, rp: RobotParser | None, request: Request) -> None:
        if isinstance(rp, DisallowAll):
            raise RobotsUnavailable(
                f"robots.txt unavailable ({rp.why}): nothing is allowed") from rp.cause
        if rp is not None and not rp.allowed(request.url, self._user_agent(request)):
            self._stats.inc_value("robotstxt/forbidden")
            raise RobotsForbidden("Forbidden by robots.txt")

    def _user_agent(self, request: Request) -> str | bytes:
        agent = self._robotstxt_useragent or request.headers.get(b"User-Agent",
                                                                 self._default_useragent)
        assert agent is not None
        return agent

    async def _parse_robots(self, response: Response, netloc: str, request: Request) -> None:
        status = response.status
        if 200 <= status < 300:
            await super()._parse_robots(response, netloc, request)
            self.robots_settled()
            return
        self._stats.inc_value("robotstxt/response_count")
        self._stats.inc_value(f"robotstxt/response_status_count/{status}")
        if 400 <= status < 500:
            logger.info("robots.txt of %s answers %d: no rules, everything allowed", netloc,
                        status)
            self._resolve(netloc, None)
        else:
            self._unavailable(netloc, f"HTTP {status} at {response.url}")

    def process_exception(self, request: Request, exception: Exception) -> None:
        """A robots.txt download that failed for good (after its retries) is told once, by
        ``_unavailable``: as an ``IgnoreRequest``, Scrapy's middleware does not log it again,
        with a traceback, as an error of the request that was waiting for it."""
        if request.meta.get(ROBOTS_REQUEST):
            raise RobotsUnavailable(f"{type(exception).__name__}: {exception}") from exception

    def _robots_error(self, exc: Exception, netloc: str) -> None:
        cause = exc.__cause__ if isinstance(exc, RobotsUnavailable) else exc
        assert isinstance(cause, Exception)
        self._stats.inc_value(f"robotstxt/exception_count/{type(cause)}")
        self._unavailable(netloc, f"{type(cause).__name__}: {cause}", cause)

    def _unavailable(self, netloc: str, why: str, cause: Exception | None = None) -> None:
        assert self.crawler.stats is not None
        # Where nothing answers at all, the run's one error has named the host already.
        named = self.crawler.stats.get_value(statkeys.UNREACHABLE_HOST)
        logger.log(logging.INFO if named else logging.ERROR, "robots.txt of %s is unavailable "
                   "(%s): RFC 9309 says disallow all, so nothing is fetched from it", netloc, why)
        self.crawler.stats.set_value(statkeys.ROBOTS_UNAVAILABLE, f"{netloc}: {why}")
        self._resolve(netloc, DisallowAll(why, cause))

    def _resolve(self, netloc: str, parser: RobotParser | None) -> None:
        waiting = self._parsers[netloc]
        self._parsers[netloc] = parser
        self.robots_settled()
        if isinstance(waiting, Deferred):
            waiting.callback(parser)
