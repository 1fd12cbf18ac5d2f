"""One output directory (and its state) per site: the first run binds them to its host.

A crawl of the replica, a staging copy or another site into the directory of the live
site's runs would mix their records into one dataset with nothing in a row to tell them
apart. So the first run writes ``site.json`` (the host it crawled) into
``ANALYTICS_OUTPUT_DIR`` and into the directory of ``ANALYTICS_STATE_PATH`` (one file where
they are one directory, the default); a later run against another host is refused before
its first request, unless ``ANALYTICS_SITE_MIRRORS`` names that host as a mirror of the
same site.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from crawler.arguments import ArgumentError
from crawler.disk import write_json_atomic

#: The binding's file, in ``ANALYTICS_OUTPUT_DIR``.
BINDING_NAME = "site.json"


def host_of(base_url: str) -> str:
    """The host a base URL crawls (its port aside: one site on any port of one host)."""
    return (urlsplit(base_url).hostname or "").lower()


@dataclass(frozen=True)
class SiteBinding:
    """The host an output directory belongs to, and the run that bound it."""

    host: str
    bound_by: str

    @classmethod
    def read(cls, output_dir: Path) -> SiteBinding | None:
        """The directory's binding, or None before its first run."""
        path = output_dir / BINDING_NAME
        try:
            data: dict[str, Any] = json.loads(path.read_text("utf-8"))
            return cls(str(data["host"]), str(data["bound_by"]))
        except FileNotFoundError:
            return None
        except (ValueError, KeyError, TypeError) as error:
            raise ArgumentError(f"ANALYTICS_OUTPUT_DIR: {path} is not a site binding "
                                f"({error}); restore it or remove it to bind again") from None


def bind_site(directories: list[Path], base_url: str, run_id: str,
              mirrors: list[str]) -> None:
    """Bind each directory a run writes (its output's, its state's) to the run's host when
    it has no binding yet; ``ArgumentError`` (one line) before anything is written, for a
    run against a host that is neither a directory's bound one nor one of ``mirrors``."""
    host = host_of(base_url)
    unbound = []
    for directory in dict.fromkeys(path.absolute() for path in directories):
        binding = SiteBinding.read(directory)
        if binding is None:
            unbound.append(directory)
        elif host != binding.host and host not in mirrors:
            raise ArgumentError(
                f"base_url: {base_url!r} is host {host}, but {directory} holds the runs of "
                f"{binding.host} (bound by run {binding.bound_by}); use another "
                f"ANALYTICS_OUTPUT_DIR and ANALYTICS_STATE_PATH, or -s ANALYTICS_SITE_MIRRORS="
                f"{host} if it serves the same site")
    for directory in unbound:
        write_json_atomic(directory / BINDING_NAME, {"host": host, "bound_by": run_id})
