"""`python -m tests.replica.loadtest`: measure the replica's pages/s over keep-alive connections.

Against `--url` (a running replica) or a replica it starts itself (and stops); the client is
a bounded asyncio loop: `--connections` sockets, one request in flight on each, for
`--seconds`, cycling over every article and listing page.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from .handle import ReplicaHandle
from .lang import LANG, LANGS, SITE

AGENT = "User-Agent: replica-loadtest\r\n"


@dataclass
class Tally:
    """What the client loop got back."""

    pages: int = 0
    bytes: int = 0
    errors: int = 0


def site_paths(base_url: str) -> list[str]:
    """Paths to cycle over: every article of the truth plus the listing pages."""
    with urllib.request.urlopen(base_url + "/__replica__/truth", timeout=10) as resp:
        truth = [json.loads(line) for line in resp.read().decode().splitlines() if line]
    paths = [record["url"][len(SITE) :] for record in truth]
    for lang in LANGS:
        count = sum(1 for r in truth if r["lang"] == lang)
        path = LANG[lang].listing_path
        paths += [path] + [f"{path}?page={n}" for n in range(2, count // 18 + 2)]
    return paths


async def client(host: str, port: int, paths: list[str], start: int, deadline: float,
                 tally: Tally) -> None:  # fmt: skip
    """One keep-alive connection requesting pages one after the other until the deadline."""
    reader, writer = await asyncio.open_connection(host, port)
    i = start
    try:
        while time.perf_counter() < deadline:
            path = paths[i % len(paths)]
            i += 1
            writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n{AGENT}\r\n".encode())
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            await reader.readexactly(length)
            if head.startswith(b"HTTP/1.1 200"):
                tally.pages += 1
                tally.bytes += len(head) + length
            else:
                tally.errors += 1
    finally:
        writer.close()


async def measure(base_url: str, seconds: float, connections: int) -> tuple[Tally, float]:
    """Run the client loop; returns the tally and the elapsed time."""
    paths = site_paths(base_url)
    parts = urlsplit(base_url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    tally = Tally()
    began = time.perf_counter()
    deadline = began + seconds
    step = max(1, len(paths) // connections)
    await asyncio.gather(
        *(client(host, port, paths, n * step, deadline, tally) for n in range(connections))
    )
    return tally, time.perf_counter() - began


def report(tally: Tally, elapsed: float) -> str:
    """One line: pages/s, MB/s, errors."""
    return (
        f"{tally.pages / elapsed:,.0f} pages/s  {tally.bytes / elapsed / 1e6:,.1f} MB/s  "
        f"({tally.pages} pages in {elapsed:.1f} s, {tally.errors} non-200)"
    )


def main(argv: list[str] | None = None) -> None:
    """Parse the command line, start a replica unless `--url`, measure, print."""
    p = argparse.ArgumentParser(prog="python -m tests.replica.loadtest", description=__doc__)
    p.add_argument("--url", default=None, help="a running replica; default: start one")
    p.add_argument("--articles", type=int, default=200)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--seconds", type=float, default=5.0)
    p.add_argument("--connections", type=int, default=8)
    p.add_argument("--no-log", action="store_true", help="self-started replica without --log")
    args = p.parse_args(argv)
    if args.url:
        print(report(*asyncio.run(measure(args.url, args.seconds, args.connections))))
        return
    with tempfile.TemporaryDirectory(prefix="replica-load-") as tmp, ReplicaHandle(
        args.articles, args.seed, log_path=Path(tmp) / "requests.jsonl", log=not args.no_log
    ) as replica:
        print(report(*asyncio.run(measure(replica.base_url, args.seconds, args.connections))))


if __name__ == "__main__":
    main()
