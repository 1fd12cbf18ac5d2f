"""The layout stays as ``docs/architecture.md`` describes it: no import circle between the
modules under ``crawler/``, no module over ``MAX_LINES`` lines, every module listed once in
the architecture page."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from tests.crawl import ROOT

PACKAGE = ROOT / "crawler"
ARCHITECTURE = ROOT / "docs" / "architecture.md"
#: The longest a module may grow before it is split by concern.
MAX_LINES = 400


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def imports_of(path: Path) -> set[str]:
    """The project's modules ``path`` imports, anywhere in it (a function's import too)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found |= {f"{node.module}.{alias.name}" if f"{node.module}.{alias.name}" in MODULES
                      else node.module for alias in node.names}
    return {name for name in found if name in MODULES}


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan), and self-imports."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1 or node in graph[node]:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_circle_finder_finds_a_circle() -> None:
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert circles({"a": {"b"}, "b": set()}) == []


def test_no_import_circle_under_crawler() -> None:
    graph = {name: imports_of(path) - {name} for name, path in MODULES.items()}
    assert circles(graph) == []


def test_no_module_is_over_the_line_limit() -> None:
    lengths = {name: len(path.read_text(encoding="utf-8").splitlines())
               for name, path in MODULES.items()}
    assert {name: lines for name, lines in lengths.items() if lines > MAX_LINES} == {}


def listed_modules() -> list[str]:
    """The module paths of the architecture page's module table (its first column)."""
    return re.findall(r"^\| `(crawler/[\w/]+\.py)` \|", ARCHITECTURE.read_text("utf-8"), re.M)


def is_only_a_docstring(path: Path) -> bool:
    body = ast.parse(path.read_text(encoding="utf-8")).body
    return len(body) <= 1 and all(isinstance(node, ast.Expr) for node in body)


def test_every_module_is_listed_once_in_the_architecture_page() -> None:
    listed = listed_modules()
    expected = sorted(str(path.relative_to(ROOT)) for path in MODULES.values()
                      if not (path.name == "__init__.py" and is_only_a_docstring(path)))
    assert [path for path in set(listed) if listed.count(path) > 1] == []
    assert sorted(listed) == expected


#: Libraries that tie a module to Scrapy's engine or its responses.
SCRAPY_BOUND = ("scrapy", "twisted", "parsel", "warcio")


def third_party_imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("pure", ["crawler.walk", "crawler.normalize", "crawler.runs.instants",
                                  "crawler.archive.reader"])
def test_pure_modules_import_nothing_scrapy_bound(pure: str) -> None:
    reached, todo = set(), [pure]
    while todo:
        name = todo.pop()
        if name not in reached:
            reached.add(name)
            todo += imports_of(MODULES[name])
    bound = {name: sorted(third_party_imports(MODULES[name]) & set(SCRAPY_BOUND))
             for name in sorted(reached)}
    assert {name: libraries for name, libraries in bound.items() if libraries} == {}


def test_no_spider_callback_is_a_generator_that_returns_a_value() -> None:
    """The check Scrapy would make per response (``WARN_ON_GENERATOR_RETURN_VALUE``, off in
    the project's settings), made once here for every spider method of the project."""
    import inspect

    from scrapy import Spider
    from scrapy.utils.misc import is_generator_with_return_value

    from crawler.archive.reextract import ReextractSpider
    from crawler.dataset.feeds import DatasetFeedSpider
    from crawler.sitecheck.spider import SiteCheckSpider
    from crawler.spiders.analytics import AnalyticsSpider

    methods = [(spider.__name__, name, method)
               for spider in (AnalyticsSpider, ReextractSpider, SiteCheckSpider,
                              DatasetFeedSpider)
               for name, method in inspect.getmembers(spider, inspect.isfunction)
               if name not in vars(Spider)]
    assert len(methods) > 10
    assert [(spider, name) for spider, name, method in methods
            if is_generator_with_return_value(method)] == []
