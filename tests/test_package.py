"""The package: pyproject.toml's ranges and requirements.txt's exact pins name the same
packages, and every pin lies inside its range (`make package-check` installs the wheel)."""

from __future__ import annotations

import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]


def pinned(name: str = "requirements.txt") -> dict[str, str]:
    """A requirements file: package -> exact version."""
    lines = (ROOT / name).read_text("utf-8").splitlines()
    pins = [Requirement(line) for line in lines if line.strip() and not line.startswith("#")]
    return {canonicalize_name(pin.name): str(pin.specifier).removeprefix("==") for pin in pins}


def test_the_declared_ranges_hold_the_pinned_versions() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    ranges = {canonicalize_name(r.name): r.specifier
              for r in map(Requirement, project["dependencies"])}
    pins = pinned()
    assert set(ranges) == set(pins)
    outside = {name: (pins[name], str(spec)) for name, spec in ranges.items()
               if pins[name] not in spec}
    assert outside == {}
    assert all(spec and any(s.operator == ">=" for s in spec) for spec in ranges.values())


def test_the_browser_extra_holds_its_pins() -> None:
    """`pip install .[browser]` and requirements-browser.txt name the same packages."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    ranges = {canonicalize_name(r.name): r.specifier
              for r in map(Requirement, project["optional-dependencies"]["browser"])}
    pins = pinned("requirements-browser.txt")
    assert set(ranges) == set(pins) == {"scrapy-playwright", "playwright"}
    assert all(pins[name] in spec for name, spec in ranges.items())
