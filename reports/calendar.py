"""Events beside spikes: which local events came shortly before a spike began.

A weekly spike says that a week was unusual, not when the surge started. Its start is
the first day of the week on which the key was flagged at least twice its baseline's
daily rate, at least `MIN_DAY_COUNT` times, and at least `WEEK_SHARE` of the week's
flags (so a stray busy day before the surge is not read as its start); the events within `LEAD_DAYS` days
before that day (the day itself included) are named beside it, e.g. "began 1 day after:
Commission vote on the library policy". Naming is not causation: the report says
"after", never "because of".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from cohesion.store.events import CalendarEvent

LEAD_DAYS = 3
MIN_DAY_COUNT = 2
SURGE_FACTOR = 2.0
WEEK_SHARE = 0.1


@dataclass(frozen=True, slots=True)
class EventBefore:
    event: CalendarEvent
    days_before: int

    @property
    def phrase(self) -> str:
        if self.days_before == 0:
            return "began the same day as"
        return f"began {self.days_before} day{'s' if self.days_before > 1 else ''} after"


@dataclass(frozen=True, slots=True)
class SpikeStart:
    began: date
    events: tuple[EventBefore, ...]


def spike_began(
    week: date, daily: Mapping[date, int], baseline_flagged: int, baseline_weeks: int
) -> date:
    """The first day of the week with a surge (see the module); the week's Monday when
    no single day stands out (a slow rise)."""
    baseline_daily = baseline_flagged / (7 * baseline_weeks) if baseline_weeks else 0.0
    week_total = sum(n for day, n in daily.items() if week <= day < week + timedelta(days=7))
    threshold = max(MIN_DAY_COUNT, SURGE_FACTOR * baseline_daily, WEEK_SHARE * week_total)
    for offset in range(7):
        day = week + timedelta(days=offset)
        if daily.get(day, 0) >= threshold:
            return day
    return week


def events_before(began: date, events: Sequence[CalendarEvent]) -> tuple[EventBefore, ...]:
    """Events from LEAD_DAYS days before `began` up to that day, the nearest first."""
    found = [
        EventBefore(event, (began - event.day).days)
        for event in events
        if 0 <= (began - event.day).days <= LEAD_DAYS
    ]
    return tuple(sorted(found, key=lambda e: (e.days_before, e.event.title)))
