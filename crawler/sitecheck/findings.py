"""What a site check found: one verdict per assumption, the settings to use, the report.

Verdicts: ``PASS``; ``WARN`` (odd, but no record and no walk is lost); ``UNSEEN`` (an
optional thing the sampled pages did not show, or a check the site gave nothing to judge);
``FAIL`` (records or the walk break: the command exits 1).
"""

from __future__ import annotations

import json
import shlex
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from crawler.site import LANGUAGES

PASS, WARN, UNSEEN, FAIL = "pass", "warn", "unseen", "fail"


@dataclass(frozen=True)
class Check:
    """One assumption checked: where, what was expected, what was seen, and the verdict."""

    lang: str
    name: str
    status: str
    expected: str
    seen: str

    @property
    def failed(self) -> bool:
        return self.status == FAIL


@dataclass
class Findings:
    """Every check of one run of ``scrapy sitecheck``, the settings it found, its cost."""

    checks: list[Check] = field(default_factory=list)
    #: Settings this site needs that differ from the run's: name -> value.
    settings: dict[str, Any] = field(default_factory=dict)
    requests: int = 0
    retries: int = 0
    seconds: float = 0.0
    #: Why the check stopped before its end (an error of the tool itself), if it did.
    aborted: str | None = None

    def add(self, lang: str, name: str, status: str, expected: str, seen: str) -> None:
        self.checks.append(Check(lang, name, status, expected, seen))

    def suggest(self, name: str, value: Any) -> None:
        """Record a setting line to print: the value the site needs."""
        self.settings[name] = value

    @property
    def failed(self) -> list[Check]:
        return [check for check in self.checks if check.failed]


def setting_option(name: str, value: Any) -> str:
    """``-s NAME=VALUE`` as a shell takes it (dicts and lists as JSON)."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return "-s " + shlex.quote(f"{name}={text}")


def format_report(base_url: str, findings: Findings) -> str:
    """The report a person reads: a verdict line, one line per check (by language), the
    settings to use, and what the check cost."""
    failed = findings.failed
    counts = Counter(check.status for check in findings.checks)
    tally = ", ".join(f"{counts[status]} {status}" for status in (PASS, WARN, UNSEEN, FAIL)
                      if counts[status])
    verdict = f"{len(failed)} FAILED" if failed or findings.aborted else "no failure"
    lines = [f"Site check of {base_url}: {verdict} ({len(findings.checks)} checks: {tally})"]
    order = {lang: index for index, lang in enumerate(LANGUAGES)}
    for check in sorted(findings.checks, key=lambda check: order.get(check.lang, -1)):
        lines.append(f"{check.lang:3} {check.status.upper():6} {check.name:16} "
                     f"expected {check.expected}; saw {check.seen}")
    if failed:
        lines.append("Failed: " + ", ".join(f"{c.lang}/{c.name}" for c in failed))
    if findings.aborted:
        lines.append(f"The check stopped early: {findings.aborted}")
    if findings.settings:
        lines.append("Settings this site needs (add to scrapy crawl, or to crawler/settings.py):")
        lines += [f"  {setting_option(name, value)}" for name, value in findings.settings.items()]
    lines.append(f"Requests: {findings.requests} ({findings.retries} retries) in "
                 f"{findings.seconds:.1f} s")
    return "\n".join(lines)
