"""ISO weeks in the locality's time zone: the one place Cohesion computes them.

A post belongs to the ISO week (Monday to Sunday) that holds its time in the locality's
time zone; weeks are named "2026-W47" and stored as their Monday (`posts.week_start`).
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo


def week_start(moment: datetime, tz: ZoneInfo) -> date:
    """Monday of the ISO week that holds `moment` in the locality's time zone."""
    local = moment.astimezone(tz).date()
    return monday_of(local)


def monday_of(day: date) -> date:
    """Monday of the ISO week that holds `day`."""
    return day - timedelta(days=day.weekday())


_WEEK_RE = re.compile(r"^(\d{4})-?W(\d{1,2})$", re.IGNORECASE)
# Weeks a report can be about: it reads weeks before the one asked for and the days
# after it, so the very ends of `date` (years 1 and 9999) would overflow.
FIRST_WEEK_YEAR, LAST_WEEK_YEAR = 1970, 9998


def parse_week(text: str) -> date:
    """'2026-W47' -> the Monday of that ISO week."""
    match = _WEEK_RE.match(text.strip())
    if not match:
        raise ValueError(f"week {text!r} is not an ISO week like 2026-W47")
    if not FIRST_WEEK_YEAR <= int(match[1]) <= LAST_WEEK_YEAR:
        raise ValueError(
            f"week {text!r} is out of range ({FIRST_WEEK_YEAR}-W01 to {LAST_WEEK_YEAR}-W52)"
        )
    try:
        return date.fromisocalendar(int(match[1]), int(match[2]), 1)
    except ValueError:
        raise ValueError(f"week {text!r} does not exist") from None


def week_label(monday: date) -> str:
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"


def last_complete_week(now: datetime, tz: ZoneInfo | str) -> date:
    """Monday of the last ISO week that has ended in the locality's time zone."""
    zone = ZoneInfo(tz) if isinstance(tz, str) else tz
    return week_start(now, zone) - timedelta(weeks=1)


def week_range(last: date, weeks: int) -> list[date]:
    return [last - timedelta(weeks=n) for n in range(weeks - 1, -1, -1)]


def weeks_between(first: date, last: date) -> list[date]:
    """The Mondays from `first` to `last`, both included."""
    count = (last - first).days // 7 + 1
    return [first + timedelta(weeks=n) for n in range(max(count, 0))]
