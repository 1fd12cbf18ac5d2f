"""The documentation stays true: its links lead somewhere, the settings reference is the
declaration, and the record's one human copy (docs/record.md) is the JSON Schema's."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

from crawler.declarations import reference_page
from crawler.items import OPTIONAL_FIELDS
from crawler.validation import article_schema

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PAGES = sorted([ROOT / "README.md", *DOCS.glob("*.md"), ROOT / "tests" / "replica" / "README.md"])

#: ``[text](target)``; an image ``![alt](target)`` matches too.
LINK = re.compile(r"\[[^\]]*\]\(([^()\s]+)\)")
FENCE = re.compile(r"^```.*?^```", re.DOTALL | re.MULTILINE)
INLINE_CODE = re.compile(r"`[^`\n]*`")
SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)


def prose(text: str) -> str:
    """The text without code blocks and inline code, where brackets are not links."""
    return INLINE_CODE.sub("", FENCE.sub("", text))


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[`*_]|<[^>]+>", "", heading).strip().lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    """Every heading anchor of a Markdown page (a repeated heading gets ``-1``, ``-2``...)."""
    found: set[str] = set()
    for heading in HEADING.findall(FENCE.sub("", page.read_text("utf-8"))):
        base = anchor = slug(heading)
        number = 0
        while anchor in found:
            number += 1
            anchor = f"{base}-{number}"
        found.add(anchor)
    return found


def relative_links(page: Path) -> list[str]:
    """The page's links that are not URLs (``https:``, ``mailto:``): files of the repository."""
    return [target for target in LINK.findall(prose(page.read_text("utf-8")))
            if not SCHEME.match(target)]


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.relative_to(ROOT).as_posix())
def test_every_relative_link_leads_to_a_file_and_heading_of_the_repository(page: Path) -> None:
    broken = []
    for target in relative_links(page):
        path, _, anchor = target.partition("#")
        resolved = (page.parent / path).resolve() if path else page
        if not resolved.is_relative_to(ROOT):
            broken.append(f"{target}: outside the repository")
        elif not resolved.exists():
            broken.append(f"{target}: no such file")
        elif anchor and resolved.suffix == ".md" and anchor not in anchors(resolved):
            broken.append(f"{target}: no heading #{anchor} in {resolved.relative_to(ROOT)}")
    assert broken == []


def test_the_readme_links_every_page_of_docs() -> None:
    linked = {(ROOT / target.partition("#")[0]).resolve()
              for target in relative_links(ROOT / "README.md")}
    assert [page.name for page in DOCS.glob("*.md") if page not in linked] == []


def test_the_link_check_sees_links_and_anchors() -> None:
    """The checker itself: it finds links outside code and anchors as GitHub makes them."""
    assert relative_links(ROOT / "README.md"), "no relative link found in the README"
    assert LINK.findall(prose("[a](x.md) `[b](y.md)`\n```\n[c](z.md)\n```\n")) == ["x.md"]
    assert slug("The archive and `scrapy reextract`") == "the-archive-and-scrapy-reextract"
    assert slug("Scrapy's tools in the project") == "scrapys-tools-in-the-project"
    assert slug("An article page (seen, except where marked)") == (
        "an-article-page-seen-except-where-marked")
    assert resolves("crawler.runs.start.declare_run") and resolves("crawler.site.SELECTORS")
    assert not resolves("crawler.runconfig.declare_run") and not resolves("crawler.site.NOPE")


def test_the_settings_reference_is_generated_from_the_declarations() -> None:
    page = (DOCS / "settings.md").read_text("utf-8")
    assert page == reference_page(), (
        "regenerate it: .venv/bin/python -m crawler.declarations > docs/settings.md")


def section(text: str, heading: str) -> str:
    """The body of the ``## heading`` section of a page."""
    match = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", text,
                      re.DOTALL | re.MULTILINE)
    assert match, f"no section '## {heading}'"
    return match.group(1)


RECORD = (DOCS / "record.md").read_text("utf-8")
ROW = re.compile(r"^\| `(\w+)` \| ([^|]+?) \|", re.MULTILINE)


def schema_type(spec: dict[str, object]) -> str:
    """A property's JSON Schema type as the page words it: ``string or null``."""
    kinds = spec["type"] if isinstance(spec["type"], list) else [spec["type"]]
    return " or ".join(str(kind) for kind in kinds)


def test_the_record_page_has_the_schema_fields_in_order_with_their_types() -> None:
    properties = article_schema()["properties"]
    rows = ROW.findall(section(RECORD, "Fields"))
    assert rows == [(name, schema_type(spec)) for name, spec in properties.items()]


def test_the_record_page_says_which_fields_may_be_null_as_the_schema_does() -> None:
    properties = article_schema()["properties"]
    nullable = [name for name, spec in properties.items() if "null" in schema_type(spec)]
    never_null = [name for name in properties if name not in nullable]
    text = section(RECORD, "Required and optional").replace("\n", " ")
    said_never = re.search(r"((?:`\w+`,? )+and `\w+`) are never null", text)
    said_optional = re.search(r"((?:`\w+`,? )+and `\w+`) are optional", text)
    assert said_never and said_optional
    assert re.findall(r"`(\w+)`", said_never.group(1)) == never_null
    assert re.findall(r"`(\w+)`", said_optional.group(1)) == nullable == list(OPTIONAL_FIELDS)
    assert article_schema()["required"] == list(properties)  # "every line has all the keys"
    assert f"all {len(properties)} keys" in text or "all twelve keys" in text


def test_the_record_page_names_the_schema_version_and_its_changelog_opens_with_it() -> None:
    schema = article_schema()
    assert f"`{schema['$id']}`" in RECORD
    changelog = section(RECORD, "Changelog of the schema")
    assert re.findall(r"^- \*\*([\d.]+)\*\*", changelog, re.MULTILINE)[0] == schema["version"]


def test_ci_runs_exactly_the_readme_test_command() -> None:
    setup = section((ROOT / "README.md").read_text("utf-8"), "Set-up: two commands")
    commands = [line.split("#")[0].strip() for line in FENCE.findall(setup)[0].splitlines()[1:-1]]
    assert commands == ["make demo", "make test"]
    ci = [line.strip() for line in (ROOT / ".ci" / "run").read_text("utf-8").splitlines()
          if line.strip() and not line.lstrip().startswith("#")]
    assert ci[-1] == commands[1]


#: A file of the repository named in code style: `crawler/site.py`, `deploy/schedule.py`.
NAMED_PATH = re.compile(r"`((?:crawler|tests|deploy|bench|docs)/[\w./-]*\w)`")
#: A module or one of its names in code style: `crawler.runs.start.declare_run`.
NAMED_MODULE = re.compile(r"`(crawler(?:\.\w+)+)`")
#: A name of the site or items module as the pages cite it: `site.SELECTORS`.
SHORT_NAME = re.compile(r"`((?:site|items)\.(?!md`)\w+)`")


def resolves(dotted: str) -> bool:
    """True when ``dotted`` is a module of the project, or a name defined in one."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            target: object = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for name in parts[cut:]:
            if not hasattr(target, name):
                return False
            target = getattr(target, name)
        return True
    return False


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.relative_to(ROOT).as_posix())
def test_every_file_and_module_a_page_names_exists(page: Path) -> None:
    text = page.read_text("utf-8")
    paths = {path for path in NAMED_PATH.findall(text) if "<" not in path and "*" not in path}
    assert sorted(path for path in paths if not (ROOT / path).exists()) == []
    names = {*NAMED_MODULE.findall(text), *(f"crawler.{name}" for name in SHORT_NAME.findall(text))}
    assert sorted(name for name in names if not resolves(name)) == []
