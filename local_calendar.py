"""What makes a local-calendar event valid: the one rule for events in the config file
(`[[events]]`) and events added with `cohesion event add` (store/events.py)."""

from __future__ import annotations

from datetime import date, timedelta

from cohesion.taxonomy import EVENT_KINDS

EARLIEST_EVENT = date(1990, 1, 1)
# Further ahead than this is a typo (2062 for 2026), not a plan.
EVENT_HORIZON_DAYS = 2 * 366
TITLE_MAX = 300


def event_title(title: str) -> str:
    """The title on one line; ValueError when it is too short or too long."""
    cleaned = " ".join(title.split())
    if len(cleaned) < 2:
        raise ValueError("the event needs a title of at least two characters")
    if len(cleaned) > TITLE_MAX:
        raise ValueError(f"the title is {len(cleaned)} characters; keep it under {TITLE_MAX}")
    return cleaned


def event_kind(kind: str) -> str:
    if kind not in EVENT_KINDS:
        raise ValueError(f"unknown kind {kind!r} (choose from {', '.join(EVENT_KINDS)})")
    return kind


def event_day(day: date, today: date) -> date:
    """The day when it is plausible (from 1990 to two years ahead of `today`)."""
    latest = today + timedelta(days=EVENT_HORIZON_DAYS)
    if not EARLIEST_EVENT <= day <= latest:
        raise ValueError(
            f"{day.isoformat()} is not a plausible date for an event "
            f"(between {EARLIEST_EVENT.isoformat()} and {latest.isoformat()})"
        )
    return day
