"""Fault injection: parse `--faults SPEC` and decide, deterministically, which request fails.

SPEC is a comma list of `kind:rate` (a fraction of requests, drawn from an RNG keyed on seed,
kind, path and attempt number, so a retry can succeed), `kind@path` (always for that exact
path incl. query) or `kind@path#n` (the first n requests of that path). `broken`, `nodate`
and `gone` are properties of an article page, not of a request: permanent (until fixed through
the control endpoint) and handed to the Site; `nodate` and `gone` name their article (`@path`).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from urllib.parse import unquote

KINDS: tuple[str, ...] = (
    "503", "503ra", "429", "429ra", "500", "slow", "reset", "timeout", "truncate", "broken",
    "nodate", "gone",
)  # fmt: skip
#: Kinds that are a page's property, not a request's fault.
PAGE_DEFECTS = ("broken", "nodate", "gone")
ERROR_STATUS: dict[str, int] = {"503": 503, "503ra": 503, "429": 429, "429ra": 429, "500": 500}


def normalize(target: str) -> str:
    """A request target as faults and attempt counters key it: percent-decoded."""
    return unquote(target)


@dataclass(frozen=True)
class RateRule:
    """`kind:rate`: that fraction of requests fails, decided per (path, attempt)."""

    kind: str
    rate: float


@dataclass(frozen=True)
class PathRule:
    """`kind@path` or `kind@path#n`: this exact target fails (its first n requests)."""

    kind: str
    target: str  # normalized
    limit: int | None = None


@dataclass
class FaultPlan:
    """The parsed SPEC, plus the seed that makes rate decisions reproducible."""

    seed: int = 0
    rates: list[RateRule] = field(default_factory=list)
    paths: list[PathRule] = field(default_factory=list)

    @property
    def broken_rate(self) -> float:
        """Fraction of article pages served broken."""
        return sum(r.rate for r in self.rates if r.kind == "broken")

    @property
    def defect_paths(self) -> dict[str, str]:
        """Articles explicitly served with a defect (broken, nodate, gone), by path."""
        return {r.target: r.kind for r in self.paths if r.kind in PAGE_DEFECTS}

    def decide(self, target: str, attempt: int) -> str | None:
        """The fault for the `attempt`-th request (1-based) of `target`, or None."""
        key = normalize(target)
        for rule in self.paths:
            hit = rule.kind not in PAGE_DEFECTS and rule.target == key
            if hit and (rule.limit is None or attempt <= rule.limit):
                return rule.kind
        if key == "/robots.txt":
            return None
        for r in self.rates:
            if r.kind == "broken":
                continue
            if random.Random(f"{self.seed}:{r.kind}:{key}:{attempt}").random() < r.rate:
                return r.kind
        return None


def parse_faults(spec: str | None, seed: int = 0) -> FaultPlan:
    """Parse SPEC (see module doc); raises ValueError on an unknown kind or a bad rate."""
    plan = FaultPlan(seed=seed)
    for raw in (spec or "").split(","):
        item = raw.strip()
        if not item:
            continue
        if "@" in item:
            kind, _, target = item.partition("@")
            limit: int | None = None
            if "#" in target:
                target, _, n = target.rpartition("#")
                limit = int(n)
                if kind in PAGE_DEFECTS:
                    raise ValueError(f"{kind} pages are permanent: {kind}@path takes no #n")
            if not target.startswith("/"):
                raise ValueError(f"fault {item!r}: the path must start with '/'")
            _check_kind(kind)
            plan.paths.append(PathRule(kind, normalize(target), limit))
        else:
            kind, sep, rate = item.partition(":")
            _check_kind(kind)
            if kind in PAGE_DEFECTS and kind != "broken":
                raise ValueError(f"fault {item!r}: {kind} names its article: {kind}@path")
            value = float(rate) if sep else 1.0
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"fault {item!r}: rate must be within [0, 1]")
            plan.rates.append(RateRule(kind, value))
    return plan


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise ValueError(f"unknown fault kind {kind!r}; known: {', '.join(KINDS)}")
