"""The suite's Hypothesis profile, and the `replica` fixture (local replicas of the site,
always stopped at teardown)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from tests.replica.handle import ReplicaHandle

# One profile for the whole suite, so that it passes the same on every fresh clone of a slow
# shared 2-core CI machine: the same examples every run (derandomize) and no example database
# (.hypothesis/ is never read or written); no deadline, and no health check that times how
# fast examples are generated (too_slow, data_too_large measure the machine, not the code).
settings.register_profile(
    "suite", derandomize=True, database=None, deadline=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
# `make fuzz`: the same, but new random examples each time (a search, not a regression test).
settings.register_profile("fuzz", settings.get_profile("suite"), derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "suite"))


@pytest.fixture
def replica(tmp_path: Path) -> Iterator[Callable[..., ReplicaHandle]]:
    """Factory: `replica(articles=30, seed=7, faults=None, publish_every=None, **options)`.

    Each call starts `python -m tests.replica` on a fresh OS-chosen port with its own request
    log in tmp_path; options are ReplicaHandle's (retry_after, slow_seconds, hang_seconds).
    """
    handles: list[ReplicaHandle] = []

    def start(
        articles: int = 30,
        seed: int = 7,
        faults: str | None = None,
        publish_every: int | None = None,
        **options: Any,
    ) -> ReplicaHandle:
        log_path = tmp_path / f"replica-{len(handles)}.jsonl"
        handle = ReplicaHandle(articles, seed, faults, publish_every, log_path=log_path, **options)
        handles.append(handle)
        return handle.start()

    try:
        yield start
    finally:
        for handle in handles:
            handle.stop()
