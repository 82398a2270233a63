"""The one Retry-After parser and backoff rule (cohesion/retry.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from cohesion.retry import backoff_seconds, retry_after_seconds, retry_delay

NOW = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        (b"120", 120.0),
        ("  7 ", 7.0),
        ("-5", 0.0),
        ("Wed, 04 Mar 2026 12:00:30 GMT", 30.0),
        ("Wed, 04 Mar 2026 12:01:00 -0000", 60.0),  # naive once parsed: read as UTC
        ("Wed, 04 Mar 2026 13:00:00 +0100", 0.0),  # the same instant as now
        ("Wed, 21 Oct 2015 07:28:00 -0000", 0.0),  # in the past: now
    ],
)
def test_retry_after_values(value: bytes | str, seconds: float) -> None:
    assert retry_after_seconds(value, NOW) == pytest.approx(seconds)


@pytest.mark.parametrize("value", [None, "", "soon", "nan", "Wed, 99 Foo 2026", b"\xff\xfe"])
def test_unreadable_retry_after_is_none(value: bytes | str | None) -> None:
    assert retry_after_seconds(value, NOW) is None


def test_backoff_doubles_up_to_its_cap() -> None:
    assert [backoff_seconds(n, 2.0, 10.0) for n in (0, 1, 2, 3, 4)] == [2.0, 2.0, 4.0, 8.0, 10.0]


def test_retry_after_wins_over_backoff_and_is_capped() -> None:
    assert retry_delay(3, None, base=1.0, cap=60.0, retry_after_cap=600.0, now=NOW) == 4.0
    assert retry_delay(3, "90", base=1.0, cap=60.0, retry_after_cap=600.0, now=NOW) == 90.0
    assert retry_delay(3, "9000", base=1.0, cap=60.0, retry_after_cap=600.0, now=NOW) == 600.0
