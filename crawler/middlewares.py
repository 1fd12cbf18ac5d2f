"""Politeness that Scrapy lacks: honour ``Retry-After`` and back off after failures.

Scrapy retries a 429 or 503 after its usual download delay and ignores ``Retry-After``.
This middleware pauses *every* request to the site instead: for the ``Retry-After``
the server asked for (capped), else for an exponential backoff that grows with the
request's retry count. Nothing is sent until the pause is over.

A host that has not answered once (connection refused, no DNS name) is not backed off
for minutes: after ``ANALYTICS_UNREACHABLE_ATTEMPTS`` such failures the run ends at once
(``site_unreachable``) with one line naming the host; a spider whose
``ends_when_unreachable`` is False (``scrapy sitecheck``) gets each failure at once instead.
What an answer *means* (robots.txt rules, a 5xx) is not this middleware's business: it only
times the failures.
"""

from __future__ import annotations

import asyncio
import logging
import random
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

from scrapy.crawler import Crawler
from scrapy.exceptions import CannotResolveHostError, DownloadConnectionRefusedError
from scrapy.http import Request, Response
from scrapy.utils.misc import load_object
from twisted.internet.error import ConnectionRefusedError, DNSLookupError

from crawler import statkeys

logger = logging.getLogger(__name__)

#: Failures that say nothing answers at the host at all (as opposed to a slow or broken
#: answer), each with the words of the run's last line.
NOTHING_ANSWERS: tuple[tuple[type[BaseException], str], ...] = (
    (DownloadConnectionRefusedError, "connection refused"),
    (ConnectionRefusedError, "connection refused"),
    (CannotResolveHostError, "no such host (DNS lookup failed)"),
    (DNSLookupError, "no such host (DNS lookup failed)"),
)
#: The finish reason of a run ended because its host never answered.
SITE_UNREACHABLE = "site_unreachable"


def nothing_answers(exception: BaseException) -> str | None:
    """What a failure says of its host when it means nothing answers there, else None."""
    for kind, words in NOTHING_ANSWERS:
        if isinstance(exception, kind):
            return words
    return None


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds a ``Retry-After`` header asks for (delta-seconds or HTTP-date); None if unusable."""
    if not value:
        return None
    text = value.strip()
    if text.isascii() and text.isdigit():  # '²' is a digit to str.isdigit, not to float
        return float(text)
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - (now or datetime.now(UTC))).total_seconds())


class SitePauseMiddleware:
    """Holds back every request while the site has asked for (or earned) a pause."""

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        assert crawler.stats is not None
        self.stats = crawler.stats
        self.retry_codes = {int(code) for code in settings.getlist("RETRY_HTTP_CODES")}
        self.retry_exceptions = tuple(
            load_object(path) if isinstance(path, str) else path
            for path in settings.getlist("RETRY_EXCEPTIONS")
        )
        self.backoff_base = settings.getfloat("ANALYTICS_BACKOFF_BASE")
        self.backoff_max = settings.getfloat("ANALYTICS_BACKOFF_MAX")
        self.retry_after_max = settings.getfloat("ANALYTICS_RETRY_AFTER_MAX")
        self.resume_at = 0.0
        self.random = random.Random()
        self.crawler = crawler
        self.unreachable_attempts = settings.getint("ANALYTICS_UNREACHABLE_ATTEMPTS", 3)
        #: Hosts that answered (anything, even an error page), and failures of the others.
        self.answered: set[str] = set()
        self.unanswered: dict[str, int] = {}
        self.closing: asyncio.Future[None] | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SitePauseMiddleware:
        return cls(crawler)

    def backoff(self, request: Request) -> float:
        """Exponential backoff for the request's next attempt, with jitter, capped."""
        attempt = int(request.meta.get("retry_times", 0))
        delay = self.backoff_base * (2**attempt) * self.random.uniform(1.0, 1.5)
        return min(delay, self.backoff_max)

    def pause(self, seconds: float, why: str) -> None:
        """Hold every request until ``seconds`` from now (a longer pause already set wins)."""
        if seconds <= 0:
            return
        loop = asyncio.get_running_loop()
        resume_at = loop.time() + seconds
        if resume_at > self.resume_at:
            self.resume_at = resume_at
            self.stats.inc_value(statkeys.PAUSES)
            total = float(self.stats.get_value(statkeys.PAUSED_SECONDS, 0.0)) + seconds
            self.stats.set_value(statkeys.PAUSED_SECONDS, total)
            logger.info("Pausing all requests to the site for %.1f s (%s)", seconds, why)

    async def process_request(self, request: Request) -> None:
        wait = self.resume_at - asyncio.get_running_loop().time()
        if wait > 0:
            await asyncio.sleep(wait)

    def process_response(self, request: Request, response: Response) -> Response:
        self.answered.add(urlsplit(request.url).netloc)
        if response.status not in self.retry_codes or request.meta.get("dont_retry"):
            return response
        header = response.headers.get(b"Retry-After")
        asked = retry_after_seconds(header.decode("latin-1") if header else None)
        if asked is None:
            self.pause(self.backoff(request), f"HTTP {response.status}, backing off")
        else:
            self.stats.inc_value(statkeys.retry_after(response.status))
            if asked > self.retry_after_max:
                logger.warning("Retry-After %.0f s capped at %.0f s", asked, self.retry_after_max)
            self.pause(min(asked, self.retry_after_max), f"HTTP {response.status} Retry-After")
        return response

    def process_exception(self, request: Request, exception: Exception) -> None:
        if self.gave_up_on_host(request, exception):
            return
        if isinstance(exception, self.retry_exceptions) and not request.meta.get("dont_retry"):
            self.pause(self.backoff(request), f"{type(exception).__name__}, backing off")

    def gave_up_on_host(self, request: Request, exception: Exception) -> bool:
        """End the run when a host that never answered failed this many times: retrying
        connections nobody accepts for minutes only delays the verdict."""
        host = urlsplit(request.url).netloc
        words = nothing_answers(exception)
        if words is None or host in self.answered:
            return False
        attempts = self.unanswered[host] = self.unanswered.get(host, 0) + 1
        if attempts < self.unreachable_attempts:
            return False
        request.meta["dont_retry"] = True  # this failure is final: RetryMiddleware is next
        if attempts > self.unreachable_attempts:
            return True
        spider = self.crawler.spider
        ends = getattr(spider, "ends_when_unreachable", True)
        logger.error("Nothing answers at %s: %s on %s, %d attempts, not one answer%s", host,
                     words, request.url, attempts,
                     f"; ending the run ({SITE_UNREACHABLE})" if ends else "")
        self.stats.set_value(statkeys.UNREACHABLE_HOST, f"{host}: {words}")
        if ends:
            assert self.crawler.engine is not None
            self.closing = asyncio.ensure_future(
                self.crawler.engine.close_spider_async(reason=SITE_UNREACHABLE))
        return True
