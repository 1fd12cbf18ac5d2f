"""What the browser of ``scrapy sitecheck --browser`` may open, decided per request.

The site's hosts only (the crawled one on any port, its subdomains, ``ANALYTICS_EXTRA_HOSTS``),
no images, fonts or media, and what each origin's robots.txt allows the crawler's
User-Agent (fetched once per origin); what was let through is counted: the requests the site
received.
"""

from __future__ import annotations

import asyncio
import ipaddress
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from protego import Protego

#: What the browser never loads: it costs the site and shows no card.
BLOCKED_TYPES = frozenset({"image", "font", "media"})
#: The requests a page's script sends.
SCRIPT_TYPES = frozenset({"fetch", "xhr"})


def _site_domain(hostname: str) -> str:
    """The domain whose subdomains are the site's (``caliber.az``); an IP stands alone."""
    try:
        ipaddress.ip_address(hostname)
    except ValueError:
        return ".".join(hostname.split(".")[-2:])
    return hostname


@dataclass
class Guard:
    """Decides, for every request the browser is about to send, whether it may go: the
    site's hosts only (the crawled one on any port, its subdomains, ``extra_hosts``), no
    images, fonts or media, and what robots.txt allows. Counts what the site received."""

    base_url: str
    user_agent: str
    extra_hosts: tuple[str, ...] = ()
    sent: int = 0
    robots_requests: int = 0
    blocked_count: int = 0
    #: The page's own and its script's requests that were blocked, and why.
    blocked: list[str] = field(default_factory=list)
    robots: dict[str, Protego | None] = field(default_factory=dict)

    def is_site(self, url: str) -> bool:
        parts, base = urlsplit(url), urlsplit(self.base_url)
        host, base_host = parts.hostname or "", base.hostname or ""
        domain = _site_domain(base_host)
        return (host in (base_host, domain) or host.endswith("." + domain)
                or parts.netloc in self.extra_hosts)

    async def should_abort(self, request: Any) -> bool:
        """scrapy-playwright's ``PLAYWRIGHT_ABORT_REQUEST``: True stops the request."""
        url: str = request.url
        if urlsplit(url).scheme not in ("http", "https"):
            return False  # data: and blob: URLs reach no server
        why = None
        if not self.is_site(url):
            why = "another host"
        elif request.resource_type in BLOCKED_TYPES:
            why = request.resource_type
        elif not await self.allowed(url):
            why = "robots.txt forbids it"
        if why is None:
            self.sent += 1
            return False
        self.blocked_count += 1
        if request.resource_type in SCRIPT_TYPES or request.resource_type == "document":
            self.blocked.append(f"{request.method} {url} ({why})")
        return True

    async def allowed(self, url: str) -> bool:
        """What the robots.txt of the URL's origin says for the crawler's User-Agent."""
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in self.robots:
            self.robots[origin] = await asyncio.to_thread(self._fetch_robots, origin)
        rules = self.robots[origin]
        return rules is None or rules.can_fetch(url, self.user_agent)

    def _fetch_robots(self, origin: str) -> Protego | None:
        """The origin's robots.txt (None: no rules, a 4xx); unreachable or 5xx: nothing
        may be fetched (RFC 9309 2.3.1)."""
        self.robots_requests += 1
        request = urllib.request.Request(f"{origin}/robots.txt",
                                         headers={"User-Agent": self.user_agent})
        opener = urllib.request.build_opener(_SiteRedirects(self))
        try:
            with opener.open(request, timeout=30) as answer:
                return Protego.parse(answer.read().decode("utf-8", "replace"))
        except urllib.error.HTTPError as error:
            if 400 <= error.code < 500:
                return None
        except (OSError, ValueError):
            pass
        return Protego.parse("User-agent: *\nDisallow: /")


class _SiteRedirects(urllib.request.HTTPRedirectHandler):
    """Follows a robots.txt redirect on the site's hosts only (elsewhere: unreachable)."""

    def __init__(self, guard: Guard) -> None:
        super().__init__()
        self.guard = guard

    def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any,
                         newurl: str) -> Any:
        if not self.guard.is_site(newurl):
            return None
        return super().redirect_request(req, fp, code, msg, headers, newurl)
