"""Reading Retry-After (the pause itself is checked end-to-end against the replica)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from crawler.middlewares import retry_after_seconds

NOW = datetime(2026, 11, 28, 6, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("2", 2.0),
        (" 120 ", 120.0),
        ("Sat, 28 Nov 2026 06:00:30 GMT", 30.0),
        ("Sat, 28 Nov 2026 05:59:00 GMT", 0.0),
        (None, None),
        ("", None),
        ("soon", None),
        ("-5", None),
        ("²", None),  # digits to str.isdigit, not to float: once lost a whole language
        ("١٢", None),
    ],
)
def test_retry_after_seconds(header: str | None, seconds: float | None) -> None:
    assert retry_after_seconds(header, NOW) == seconds
