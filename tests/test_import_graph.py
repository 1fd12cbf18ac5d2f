"""What a crawl imports: the spider not the pipelines, and nothing of the dataset or report.

Scrapy imports every command module for every command, so a heavy import there (pyarrow,
matplotlib) would cost every crawl; and a spider that imports the pipelines is the side
channel the structure rules out. Checked in a fresh interpreter: the real ``scrapy crawl``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.crawl import PAST_LAST, ROOT, CrawlResult, assert_crawl_recorded
from tests.replica.handle import ReplicaHandle

#: Never loaded by a crawl (only ``scrapy dataset``/``scrapy report`` load them; the browser
#: only ``scrapy sitecheck --browser``).
CRAWL_NEVER_IMPORTS = ("crawler.dataset", "crawler.report", "pyarrow", "matplotlib",
                       "playwright", "scrapy_playwright")


def imported_by(code: str, tmp_path: Path) -> set[str]:
    """The modules loaded once ``code`` ran (or exited) in a new interpreter."""
    dump = tmp_path / "modules.json"
    probe = ("import atexit, json, pathlib, sys\n"
             f"atexit.register(lambda: pathlib.Path({str(dump)!r})"
             ".write_text(json.dumps(list(sys.modules))))\n")
    completed = subprocess.run([sys.executable, "-c", probe + code], cwd=ROOT, capture_output=True,
                               text=True, timeout=300, env={**os.environ, "PYTHONPATH": str(ROOT)},
                               check=False)
    assert dump.exists(), completed.stderr[-3000:]
    return set(json.loads(dump.read_text()))


def loaded(modules: set[str], name: str) -> bool:
    return any(module == name or module.startswith(f"{name}.") for module in modules)


def test_the_spider_module_does_not_import_the_pipelines(tmp_path: Path) -> None:
    modules = imported_by("import crawler.spiders.analytics", tmp_path)
    assert "crawler.spiders.analytics" in modules
    assert "crawler.pipelines" not in modules
    # The fetch instant comes by a key of crawler.runs.instants, not from the archive writer.
    assert not [name for name in ("crawler.archive.writer", "warcio") if loaded(modules, name)]
    assert not [name for name in CRAWL_NEVER_IMPORTS if loaded(modules, name)]


@pytest.mark.e2e
def test_a_crawl_imports_neither_the_dataset_nor_pyarrow_nor_matplotlib(
    replica: Callable[..., ReplicaHandle], tmp_path: Path
) -> None:
    site = replica(articles=3)
    output = tmp_path / "out"
    crawl = ["scrapy", "crawl", "analytics", "-a", f"base_url={site.base_url}", "-a", "lang=en",
             "-s", f"ANALYTICS_OUTPUT_DIR={output}", "-s", f"ANALYTICS_STATE_PATH={output}/s.db",
             "-s", "ANALYTICS_LOOPBACK_UNTHROTTLED=True"]
    modules = imported_by(f"from scrapy.cmdline import execute\nexecute({crawl!r})", tmp_path)
    assert list((output / "articles").glob("*.jsonl")), "the crawl wrote no run file"
    assert_crawl_recorded(CrawlResult(0, "", output), set(), endings=PAST_LAST)  # exit not read
    assert {"crawler.pipelines", "crawler.runs.summary", "crawler.commands.dataset"} <= modules
    assert [name for name in CRAWL_NEVER_IMPORTS if loaded(modules, name)] == []
