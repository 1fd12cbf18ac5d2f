"""Fault injection: parse `--faults SPEC` and decide, deterministically, which request fails.

SPEC is a comma list of `kind:rate` (a fraction of requests, drawn from an RNG keyed on seed,
kind, path and attempt number, so a retry can succeed), `kind@path` (always for that exact
path incl. query) or `kind@path#n` (the first n requests of that path). `broken` is a property
of an article page, not of a request: it is permanent and handed to the Site.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from urllib.parse import unquote

KINDS: tuple[str, ...] = (
    "503", "503ra", "429", "429ra", "500", "slow", "reset", "timeout", "truncate", "broken",
)  # fmt: skip
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
    def broken_paths(self) -> set[str]:
        """Articles explicitly served broken."""
        return {r.target for r in self.paths if r.kind == "broken"}

    def decide(self, target: str, attempt: int) -> str | None:
        """The fault for the `attempt`-th request (1-based) of `target`, or None."""
        key = normalize(target)
        for rule in self.paths:
            hit = rule.kind != "broken" and rule.target == key
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
                if kind == "broken":
                    raise ValueError("broken pages are permanent: broken@path takes no #n")
            if not target.startswith("/"):
                raise ValueError(f"fault {item!r}: the path must start with '/'")
            _check_kind(kind)
            plan.paths.append(PathRule(kind, normalize(target), limit))
        else:
            kind, sep, rate = item.partition(":")
            _check_kind(kind)
            value = float(rate) if sep else 1.0
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"fault {item!r}: rate must be within [0, 1]")
            plan.rates.append(RateRule(kind, value))
    return plan


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise ValueError(f"unknown fault kind {kind!r}; known: {', '.join(KINDS)}")
