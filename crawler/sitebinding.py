"""One output directory (and its state) per site: the first run binds them to its host.

A crawl of the replica, a staging copy or another site into the directory of the live
site's runs would mix their records into one dataset with nothing in a row to tell them
apart. So the first run writes ``site.json`` (the host it crawled) into
``ANALYTICS_OUTPUT_DIR``; a later run against another host is refused before its first
request, unless ``ANALYTICS_SITE_MIRRORS`` names that host as a mirror of the same site.
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


def bind_site(output_dir: Path, base_url: str, run_id: str, mirrors: list[str]) -> SiteBinding:
    """The directory's binding, written by its first run; ``ArgumentError`` (one line) for a
    run against a host that is neither the bound one nor one of its ``mirrors``."""
    host = host_of(base_url)
    binding = SiteBinding.read(output_dir)
    if binding is None:
        binding = SiteBinding(host, run_id)
        write_json_atomic(output_dir / BINDING_NAME,
                          {"host": binding.host, "bound_by": binding.bound_by})
        return binding
    if host != binding.host and host not in mirrors:
        raise ArgumentError(
            f"base_url: {base_url!r} is host {host}, but {output_dir} holds the runs of "
            f"{binding.host} (bound by run {binding.bound_by}); use another "
            f"ANALYTICS_OUTPUT_DIR and ANALYTICS_STATE_PATH, or -s ANALYTICS_SITE_MIRRORS="
            f"{host} if it serves the same site")
    return binding
