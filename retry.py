"""When to try again: the one backoff and Retry-After rule of Cohesion's HTTP clients.

The crawlers (crawlers/middlewares.py) and the alert webhook (reports/alerts.py) both
wait before another attempt: the server's Retry-After when it sends one (seconds or an
HTTP date, RFC 9110 10.2.3), capped; otherwise exponential backoff, capped.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime


def retry_after_seconds(value: bytes | str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header value, or None when absent/unreadable.

    An HTTP date without a zone ("-0000" parses as naive) is read as UTC, the zone
    HTTP dates are always in; a date in the past means "now".
    """
    if not value:
        return None
    text = (value.decode("latin-1") if isinstance(value, bytes) else value).strip()
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if seconds == seconds else None  # NaN is unreadable
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def backoff_seconds(attempt: int, base: float, cap: float) -> float:
    """Exponential backoff before retry number `attempt` (1 = the first retry)."""
    return min(cap, base * 2 ** max(0, attempt - 1))


def retry_delay(
    attempt: int,
    retry_after: bytes | str | None,
    *,
    base: float,
    cap: float,
    retry_after_cap: float,
    now: datetime | None = None,
) -> float:
    """The wait before retry number `attempt`: Retry-After (capped) or the backoff."""
    told = retry_after_seconds(retry_after, now)
    return min(told, retry_after_cap) if told is not None else backoff_seconds(attempt, base, cap)
