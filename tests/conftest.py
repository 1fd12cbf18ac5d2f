"""The `replica` fixture: start local replicas of the site, always stopped at teardown."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.replica.handle import ReplicaHandle


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
