"""`python -m tests.replica`: serve a replica of caliber.az's Analytics section on 127.0.0.1.

The first line of stdout is the base URL (`http://127.0.0.1:PORT`), so a parent process can
start it on an OS-chosen port and read where it listens.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys

from .faults import parse_faults
from .generator import build_site
from .paging import PAGINATIONS
from .redesign import MARKUPS
from .server import Options, Replica, serve


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line (see tests/replica/README.md)."""
    p = argparse.ArgumentParser(prog="python -m tests.replica", description=__doc__)
    p.add_argument("--articles", type=int, default=30, help="Analytics articles (all languages)")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--port", type=int, default=0, help="0: chosen by the OS")
    p.add_argument("--faults", default=None, help="e.g. '503:0.1,reset@/robots.txt#1'")
    p.add_argument("--log", default=None, help="request log, one JSON line per request")
    p.add_argument("--publish-every", type=int, default=None,
                   help="publish one article after every N-th listing request")  # fmt: skip
    p.add_argument("--retry-after", type=int, default=2, help="seconds, for 503ra/429ra")
    p.add_argument("--slow-seconds", type=float, default=3.0, help="delay of the slow fault")
    p.add_argument("--hang-seconds", type=float, default=60.0, help="hang of the timeout fault")
    p.add_argument("--pagination", choices=PAGINATIONS, default="query",
                   help="how listings page (tests/replica/README.md)")
    p.add_argument("--lang-articles", type=per_language, default=None,
                   help="articles per language, e.g. 'en=40,ru=5,hy=5' (instead of --articles)")
    p.add_argument("--markup", choices=MARKUPS, default="current",
                   help="the markup: current, or after a redesign (tests/replica/redesign.py)")
    p.add_argument("--rare-fields", type=field_names, default=(),
                   help="optional fields kept on one article in ten, e.g. 'subtitle,image'")
    return p.parse_args(argv)


def per_language(value: str) -> dict[str, int]:
    """`en=40,ru=5` -> {"en": 40, "ru": 5}."""
    try:
        pairs = [item.split("=", 1) for item in value.split(",") if item.strip()]
        return {lang.strip(): int(count) for lang, count in pairs}
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{value!r}: expected LANG=N,... such as en=40,ru=5") from None


def field_names(value: str) -> tuple[str, ...]:
    """`subtitle,image` -> ("subtitle", "image")."""
    return tuple(name.strip() for name in value.split(",") if name.strip())


def main(argv: list[str] | None = None) -> None:
    """Build the site, apply faults, listen, print the base URL, serve until SIGTERM/SIGINT."""
    args = parse_args(argv)
    site = build_site(args.seed, args.articles, args.lang_articles, args.rare_fields, args.markup)
    plan = parse_faults(args.faults, args.seed)
    site.set_broken(plan.broken_rate, plan.defect_paths)
    options = Options(args.publish_every, args.retry_after, args.slow_seconds, args.hang_seconds,
                      args.pagination)
    log = open(args.log, "a", encoding="utf-8") if args.log else None  # noqa: SIM115
    replica = Replica(site, plan, options, log)

    def ready(port: int) -> None:
        print(f"http://127.0.0.1:{port}", flush=True)

    async def run() -> None:
        loop = asyncio.get_running_loop()
        task = asyncio.create_task(serve(replica, args.port, ready))
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, task.cancel)
        with contextlib.suppress(asyncio.CancelledError):
            await task

    try:
        asyncio.run(run())
    finally:
        if log is not None:
            log.close()
    sys.exit(0)


if __name__ == "__main__":
    main()
