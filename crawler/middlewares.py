"""Politeness that Scrapy lacks: honour ``Retry-After`` and back off after failures.

Scrapy retries a 429 or 503 after its usual download delay and ignores ``Retry-After``.
This middleware pauses *every* request to the site instead: for the ``Retry-After``
the server asked for (capped), else for an exponential backoff that grows with the
request's retry count. Nothing is sent until the pause is over.
"""

from __future__ import annotations

import asyncio
import logging
import random
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from scrapy.crawler import Crawler
from scrapy.http import Request, Response
from scrapy.utils.misc import load_object

from crawler import statkeys

logger = logging.getLogger(__name__)


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds a ``Retry-After`` header asks for (delta-seconds or HTTP-date); None if unusable."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
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
        if isinstance(exception, self.retry_exceptions) and not request.meta.get("dont_retry"):
            self.pause(self.backoff(request), f"{type(exception).__name__}, backing off")
