"""Project commands (``COMMANDS_MODULE``): ``crawl`` with exit codes that tell the truth,
``parse`` that shows records, ``dataset``, ``report``, ``sitecheck``, ``state`` and ``reextract``.

Every command refuses a wrong setting or option before it does anything: one line, exit 2.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from scrapy.exceptions import UsageError

from crawler.arguments import ArgumentError
from crawler.runs.paths import has_run_files
from crawler.runs.start import validate_settings


def check_settings_or_exit(settings: Any) -> None:
    """``validate_settings``, a refusal turned into Scrapy's usage error (one line, exit 2)."""
    try:
        validate_settings(settings)
    except ArgumentError as error:
        raise UsageError(str(error), print_help=False) from None


def output_dir_with_runs(settings: Any) -> Path:
    """``ANALYTICS_OUTPUT_DIR``, refused (exit 2) when it holds no run files: a mistyped path
    must neither read as an empty dataset nor be created."""
    given = settings["ANALYTICS_OUTPUT_DIR"]
    output_dir = Path(given)
    if not has_run_files(output_dir):
        raise UsageError(
            f"ANALYTICS_OUTPUT_DIR: given {given!r}; expected a directory with run files "
            f"(articles/*.jsonl, runs/*.json); {output_dir.absolute()} has none",
            print_help=False)
    return output_dir
