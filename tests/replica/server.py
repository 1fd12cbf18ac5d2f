"""The replica's HTTP/1.1 server: asyncio protocol, hand-written parser, cached page bytes.

Speed matters (benchmarks crawl it at thousands of pages/s), so the request path is a few
dict lookups and one `transport.write`; faults, the request log and control endpoints sit
around that path without slowing it down when unused.
"""

from __future__ import annotations

import asyncio
import json
import socket
import struct
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, Any
from urllib.parse import parse_qs

from .faults import ERROR_STATUS, FaultPlan, normalize
from .generator import Site
from .lang import LANG, LANGS
from .paging import LISTING_DEFECTS, Paging
from .render import ROBOTS_TXT, render_article, render_home, render_simple

HTML = "text/html; charset=utf-8"
REASONS = {
    200: "OK", 204: "No Content", 400: "Bad Request", 403: "Forbidden", 404: "Not Found",
    405: "Method Not Allowed",
    429: "Too Many Requests", 500: "Internal Server Error", 503: "Service Unavailable",
}  # fmt: skip
HOMES: dict[str, str] = {f"/{LANG[code].prefix}": code for code in LANGS}
CONTROL = "/__replica__/"
MAX_HEAD = 64 * 1024
CACHE_LIMIT = 4096


@dataclass
class Page:
    """A rendered answer: status, body, content type and what it was (for faults, publishing)."""

    status: int
    body: bytes
    content_type: str = HTML
    kind: str = "other"  # "article", "listing", "robots", "other"
    defect: str | None = None  # how an article page is served wrong (generator.DEFECTS)


class Pages:
    """Renders pages for request targets, caching bytes until the Site changes."""

    def __init__(self, site: Site, pagination: str = "query") -> None:
        self.site = site
        self.paging = Paging(site, pagination)
        self.cache: dict[str, Page] = {}
        self.version = site.version

    def get(self, target: str) -> Page:
        """The page for a request target (path and query), cached."""
        if self.version != self.site.version or len(self.cache) > CACHE_LIMIT:
            self.cache.clear()
            self.version = self.site.version
        page = self.cache.get(target)
        if page is None:
            page = self.cache[target] = self.render(target)
        return page

    def render(self, target: str) -> Page:
        """Route and render (uncached)."""
        path, _, query = target.partition("?")
        if path == "/robots.txt":
            return Page(200, ROBOTS_TXT.encode(), "text/plain; charset=utf-8", "robots")
        listing = self.paging.route(path, query)
        if listing is not None:
            status, body, content_type = listing
            return Page(status, body, content_type, "listing")
        if path in HOMES:
            return Page(200, render_home(self.site, HOMES[path]))
        article = self.site.article_at(path)
        defect = self.site.defect(article) if article is not None else None
        if article is not None and defect not in ("gone", "removed"):
            body = render_article(self.site, article)
            return Page(200, body, kind="article", defect=defect)
        lang = lang_of(path)
        if defect in ("gone", "removed"):
            status = 404 if defect == "gone" else 410
            return Page(status, render_simple(self.site, lang, str(status)), kind="article",
                        defect=defect)
        if path == "/search":
            return Page(200, render_simple(self.site, lang, "SEARCH"))
        return Page(404, render_simple(self.site, lang, "404"))


def lang_of(path: str) -> str:
    """Language of a path, from its prefix."""
    for code in ("en", "hy"):
        if path.startswith(f"/{LANG[code].prefix}"):
            return code
    return "ru"


@dataclass
class Options:
    """Server settings from the command line."""

    publish_every: int | None = None
    retry_after: int = 2
    slow_seconds: float = 3.0
    hang_seconds: float = 60.0
    pagination: str = "query"


@dataclass
class Exchange:
    """One request in flight: what the log line needs."""

    t: float
    method: str
    path: str
    ua: str | None
    in_flight: int
    fault: str | None
    keep_alive: bool
    status: int | None = None
    bytes: int = 0
    done: bool = False
    timer: asyncio.TimerHandle | None = field(default=None, repr=False)


class Replica:
    """Shared server state: the site, faults, counters and the request log."""

    def __init__(self, site: Site, plan: FaultPlan, options: Options, log: IO[str] | None) -> None:
        self.site = site
        self.pages = Pages(site, options.pagination)
        self.plan = plan
        self.options = options
        self.log = log
        self.in_flight = 0
        self.attempts: Counter[str] = Counter()
        self.listing_requests = 0

    def write_log(self, ex: Exchange) -> None:
        """One JSON line per request, flushed at once."""
        if self.log is None:
            return
        entry = {
            "t": ex.t, "t_end": time.time(), "method": ex.method, "path": ex.path,
            "status": ex.status, "ua": ex.ua, "in_flight": ex.in_flight, "fault": ex.fault,
            "bytes": ex.bytes,
        }  # fmt: skip
        self.log.write(json.dumps(entry, ensure_ascii=False) + "\n")
        self.log.flush()

    def after_listing(self) -> None:
        """`--publish-every N`: publish one article after every N-th listing request."""
        self.listing_requests += 1
        every = self.options.publish_every
        if every and self.listing_requests % every == 0:
            self.site.publish(1)

    def set_listing_defect(self, defect: str | None) -> str | None:
        """Serve every listing page 1 with `defect` (`paging.LISTING_DEFECTS`), or whole."""
        if defect is not None and defect not in LISTING_DEFECTS:
            raise ValueError(f"no listing defect {defect!r}; known: {', '.join(LISTING_DEFECTS)}")
        self.pages.paging.defect = defect
        self.pages.cache.clear()
        return defect

    # --- control endpoints ----------------------------------------------------------------
    def control(self, method: str, target: str) -> Page:
        """`/__replica__/...`: publish, views, defect, fix, edit, listing, truth, broken,
        disallowed,
        offsection."""
        path, _, query = target.partition("?")
        params = {k: v[0] for k, v in parse_qs(query).items()}
        name = path[len(CONTROL) :]
        try:
            if name == "publish" and method == "POST":
                new = self.site.publish(int(params.get("count", "1")), params.get("lang"))
                return json_page({"published": [a.url for a in new]})
            if name == "views" and method == "POST":
                return json_page({"raised": self.site.raise_views(int(params.get("delta", "1")))})
            if name in ("defect", "fix") and method == "POST":
                kind = params.get("kind", "") if name == "defect" else None
                self.site.set_defect(params.get("path", ""), kind)
                return json_page({name: params.get("path"), "kind": kind})
            if name == "edit" and method == "POST":
                self.site.edit(params.get("path", ""), params.get("kind", ""))
                return json_page({"edited": params.get("path"), "kind": params.get("kind")})
            if method == "GET" and name == "api":
                return json_page({"origin": self.pages.paging.api_origin})
            if name == "listing" and method == "POST":
                return json_page({"listing_defect": self.set_listing_defect(params.get("defect"))})
            if method == "GET" and name == "truth":
                lines = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in self.site.truth())
                return Page(200, lines.encode(), "application/x-ndjson; charset=utf-8")
            lists = {
                "broken": self.site.broken_urls,
                "disallowed": self.site.disallowed_urls,
                "offsection": self.site.offsection_urls,
            }
            if method == "GET" and name in lists:
                return json_page(lists[name]())
        except ValueError as exc:
            return json_page({"error": str(exc)}, 400)
        return json_page({"error": f"no control endpoint {method} {path}"}, 404)


def json_page(data: Any, status: int = 200) -> Page:
    """A JSON answer of a control endpoint."""
    return Page(status, json.dumps(data, ensure_ascii=False).encode(), "application/json")


def head_bytes(status: int, content_type: str, length: int, keep_alive: bool,
               extra: str = "") -> bytes:  # fmt: skip
    """Status line and headers."""
    conn = "keep-alive" if keep_alive else "close"
    return (
        f"HTTP/1.1 {status} {REASONS.get(status, 'Unknown')}\r\nServer: caliber-replica\r\n"
        f"Content-Type: {content_type}\r\nContent-Length: {length}\r\nConnection: {conn}\r\n"
        f"{extra}\r\n"
    ).encode()


class HttpProtocol(asyncio.Protocol):
    """One client connection: parses requests in order, answers one at a time (keep-alive)."""

    def __init__(self, replica: Replica) -> None:
        self.replica = replica
        self.buf = bytearray()
        self.transport: asyncio.Transport | None = None
        self.current: Exchange | None = None  # a delayed answer (slow, timeout) in progress
        self.closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Keep the transport; disable Nagle for small responses."""
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def connection_lost(self, exc: Exception | None) -> None:
        """The client went away: a delayed answer is logged as never sent."""
        self.closed = True
        ex, self.current = self.current, None
        if ex is not None:
            if ex.timer is not None:
                ex.timer.cancel()
            self.finish(ex)

    def data_received(self, data: bytes) -> None:
        """Buffer and handle every complete request (unless one is being delayed)."""
        self.buf += data
        self.process()

    def process(self) -> None:
        """Parse complete requests off the buffer and answer them in order."""
        while self.current is None and not self.closed:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                if len(self.buf) > MAX_HEAD:
                    self.plain_error(400)
                return
            lines = bytes(self.buf[:end]).decode("latin-1").split("\r\n")
            parts = lines[0].split(" ")
            headers: dict[str, str] = {}
            for line in lines[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            length = int(headers.get("content-length", "0") or 0)
            if len(self.buf) < end + 4 + length:
                return
            body = bytes(self.buf[end + 4 : end + 4 + length])
            del self.buf[: end + 4 + length]
            if len(parts) != 3:
                self.plain_error(400)
                return
            method, target, version = parts
            conn = headers.get("connection", "").lower()
            keep_alive = conn != "close" if version == "HTTP/1.1" else conn == "keep-alive"
            self.handle(method, target, headers, keep_alive, body)

    def plain_error(self, status: int) -> None:
        """Answer a malformed request and close."""
        if self.transport is not None:
            self.transport.write(head_bytes(status, HTML, 0, False))
            self.transport.close()
        self.closed = True

    def handle(self, method: str, target: str, headers: dict[str, str], keep_alive: bool,
               body: bytes = b"") -> None:
        """Answer one request: control endpoint, a scripted variant's endpoint, fault, or
        the page."""
        r = self.replica
        ua = headers.get("user-agent")
        if target.startswith(CONTROL):
            self.send(r.control(method, target), keep_alive, None)
            return
        t = time.time()
        r.in_flight += 1
        key = normalize(target)
        r.attempts[key] += 1
        fault = r.plan.decide(target, r.attempts[key])
        ex = Exchange(t, method, target, ua, r.in_flight, fault, keep_alive)
        scripted = r.pages.paging.scripted
        path, _, query = target.partition("?")
        endpoint = scripted.route(method, path, query, headers, body) if scripted else None
        if endpoint is not None:  # never faulted
            status, data, content_type, extra = endpoint
            self.respond(ex, Page(status, data, content_type, "listing"), extra)
            return
        if method not in ("GET", "HEAD"):
            self.respond(ex, Page(405, b""))
            return
        page = r.pages.get(target)
        if fault is None and page.defect:
            ex.fault = page.defect
        if page.kind == "listing":
            r.after_listing()
        if fault in ERROR_STATUS:
            extra = f"Retry-After: {r.options.retry_after}\r\n" if fault.endswith("ra") else ""
            status = ERROR_STATUS[fault]
            body = f"<html><body><h1>{status} {REASONS[status]}</h1></body></html>\n".encode()
            self.respond(ex, Page(status, body), extra)
        elif fault == "slow":
            self.delay(ex, r.options.slow_seconds, lambda: self.respond(ex, page))
        elif fault == "timeout":
            self.delay(ex, r.options.hang_seconds, lambda: self.hang_up(ex))
        elif fault == "reset":
            self.reset()
            self.finish(ex)
        elif fault == "truncate":
            self.truncate(ex, page)
        else:
            self.respond(ex, page)

    def delay(self, ex: Exchange, seconds: float, then: Callable[[], None]) -> None:
        """Hold this connection's answer for `seconds` (later requests wait behind it)."""
        self.current = ex

        def fire() -> None:
            self.current = None
            then()
            self.process()

        ex.timer = asyncio.get_running_loop().call_later(seconds, fire)

    def send(self, page: Page, keep_alive: bool, ex: Exchange | None, extra: str = "") -> int:
        """Write a whole response; returns the bytes written."""
        if self.transport is None or self.closed:
            return 0
        body = b"" if ex is not None and ex.method == "HEAD" else page.body
        data = head_bytes(page.status, page.content_type, len(page.body), keep_alive, extra)
        self.transport.write(data + body)
        if not keep_alive:
            self.transport.close()
            self.closed = True
        return len(data) + len(body)

    def respond(self, ex: Exchange, page: Page, extra: str = "") -> None:
        """Send the page and log the exchange."""
        ex.status = page.status if not self.closed else None
        ex.bytes = self.send(page, ex.keep_alive, ex, extra)
        self.finish(ex)

    def finish(self, ex: Exchange) -> None:
        """The exchange is over: log it, once."""
        if ex.done:
            return
        ex.done = True
        self.replica.in_flight -= 1
        self.replica.write_log(ex)

    def reset(self) -> None:
        """Close with a TCP RST, no response."""
        if self.transport is None:
            return
        sock = self.transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.transport.abort()
        self.closed = True

    def hang_up(self, ex: Exchange) -> None:
        """End of a `timeout` fault: close without having answered."""
        if self.transport is not None:
            self.transport.close()
        self.closed = True
        self.finish(ex)

    def truncate(self, ex: Exchange, page: Page) -> None:
        """Announce the full Content-Length, send half the body, close."""
        if self.transport is None:
            return
        data = head_bytes(page.status, page.content_type, len(page.body), True)
        data += page.body[: len(page.body) // 2]
        self.transport.write(data)
        self.transport.close()
        self.closed = True
        ex.status, ex.bytes = page.status, len(data)
        self.finish(ex)


async def serve(replica: Replica, port: int = 0, ready: Any = None) -> None:
    """Listen on 127.0.0.1:`port` (0: chosen by the OS), call `ready(port)`, serve forever."""
    loop = asyncio.get_running_loop()
    if replica.options.pagination == "script-api":  # its endpoint on another port (host)
        api = await loop.create_server(lambda: HttpProtocol(replica), "127.0.0.1", 0)
        replica.pages.paging.api_origin = f"http://127.0.0.1:{api.sockets[0].getsockname()[1]}"
    server = await loop.create_server(
        lambda: HttpProtocol(replica), "127.0.0.1", port, reuse_address=True, backlog=1024
    )
    bound = server.sockets[0].getsockname()[1]
    if ready is not None:
        ready(bound)
    async with server:
        await server.serve_forever()
