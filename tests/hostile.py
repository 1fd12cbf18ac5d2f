"""A tiny site on loopback whose pages are made per test: redirects, loops, endless pages."""

from __future__ import annotations

import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType

from tests.responses import SAMPLES

#: (status, headers, body) for a path with its query.
Route = Callable[[str], tuple[int, dict[str, str], bytes]]

ARTICLE = (SAMPLES / "en-article.html").read_text("utf-8")
SAMPLE_SLUG = "caspian-transit-the-corridor-s-arithmetic"


SAMPLE_TITLE = "Caspian transit: the corridor&#39;s arithmetic"
SAMPLE_CANONICAL = f"https://caliber.az/en/post/{SAMPLE_SLUG}"


def article_page(slug: str, padding: int = 0, canonical: str | None = None) -> bytes:
    """The English sample article under another slug, titled by it (so pages differ),
    optionally padded to a size or naming another ``canonical`` URL (link and og:url)."""
    page = ARTICLE.replace(SAMPLE_CANONICAL, canonical or SAMPLE_CANONICAL)
    page = page.replace(SAMPLE_SLUG, slug).replace(SAMPLE_TITLE, f"Story {slug}")
    return (page + "<!--" + "x" * padding + "-->").encode("utf-8")


def listing_page(hrefs: list[str], dates: dict[str, str] | None = None) -> bytes:
    """A listing with one card per href, in the site's card markup, dated 17 May 2025 (or
    as ``dates`` says for an href)."""
    cards = "".join(
        f'<div class="float_block"><a href="{href}"><h2 class="float_block_title">T</h2></a>'
        f'<div class="float_block_bottom"><div class="float_block_time">'
        f'{(dates or {}).get(href, "17 May 2025 10:29")}</div></div></div>' for href in hrefs
    )
    return f'<html><body><div class="float_blocks">{cards}</div></body></html>'.encode()


class HostileSite:
    """Serves ``route(path_with_query)`` on ``host``; records every path it was asked for."""

    def __init__(self, route: Route, host: str = "127.0.0.1",
                 robots: Route = lambda path: (200, {}, b"User-agent: *\n")) -> None:
        self.route = route
        self.requested: list[str] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                site.requested.append(self.path)
                answer = robots if self.path == "/robots.txt" else site.route
                status, headers, body = answer(self.path)
                self.send_response(status)
                headers = {"Content-Type": "text/html; charset=utf-8",
                           "Content-Length": str(len(body)), **headers}
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                return None

        self.server = ThreadingHTTPServer((host, 0), Handler)
        self.base_url = f"http://{host}:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> HostileSite:
        self.thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.server.shutdown()
        self.server.server_close()
