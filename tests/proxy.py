"""Loopback HTTP servers of the tests: one answering every GET as told, and a proxy of the
replica that renames classes and redirects chosen paths (to another host, say)."""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Hits:
    """Paths a loopback server was asked for."""

    def __init__(self) -> None:
        self.paths: list[str] = []


@contextmanager
def serving(answer: Callable[[BaseHTTPRequestHandler], None]) -> Iterator[str]:
    """A loopback HTTP server answering every GET with ``answer``; yields its base URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            answer(self)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def rewriting_proxy(upstream: str, renames: dict[str, str] | None = None,
                    redirects: dict[str, str] | None = None) -> Iterator[str]:
    """Serves ``upstream``'s pages with class names renamed, and answers the paths of
    ``redirects`` with a 302 to the URL given."""

    def answer(handler: BaseHTTPRequestHandler) -> None:
        if handler.path in (redirects or {}):
            handler.send_response(302)
            handler.send_header("Location", (redirects or {})[handler.path])
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return
        try:
            with urllib.request.urlopen(upstream + handler.path, timeout=10) as got:
                status, body, kind = got.status, got.read(), got.headers
        except urllib.error.HTTPError as error:
            status, body, kind = error.code, error.read(), error.headers
        text = body.decode("utf-8")
        for old, new in (renames or {}).items():
            text = text.replace(old, new)
        data = text.encode("utf-8")
        handler.send_response(status)
        handler.send_header("Content-Type", kind.get("Content-Type", "text/html"))
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    with serving(answer) as url:
        yield url
