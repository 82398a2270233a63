"""The local calendar: dated events (a commission vote, an election, a church's event)
that the report's spike section and every chart put beside the weeks they fall in.

Events come from two places: the config file's `[[events]]` (passed in by the caller,
the store knows no config) and `cohesion event add` (stored in `events`, audited).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from cohesion.local_calendar import event_day, event_kind, event_title
from cohesion.store.audit import record_audit
from cohesion.store.models import Event
from cohesion.store.text import sanitize_text
from cohesion.store.types import utcnow
from sqlalchemy import select
from sqlalchemy.orm import Session


class EventInputError(ValueError):
    """An event that cannot be stored; the message says what to change."""


@dataclass(frozen=True, slots=True, order=True)
class CalendarEvent:
    day: date
    title: str
    kind: str
    origin: str = "added"  # "added" (cohesion event add) or "config" ([[events]])


def add_event(
    session: Session, day: date, title: str, kind: str, *, actor: str, today: date | None = None
) -> CalendarEvent:
    """Store an event and audit it; EventInputError for a bad date, kind or title, or a
    duplicate (same day and title)."""
    try:
        cleaned = event_title(sanitize_text(title))
        event_kind(kind)
        event_day(day, today or utcnow().date())
    except ValueError as exc:
        raise EventInputError(str(exc)) from None
    exists = session.scalar(select(Event.id).where(Event.day == day, Event.title == cleaned))
    if exists is not None:
        raise EventInputError(f"an event {cleaned!r} on {day.isoformat()} is already stored")
    event = Event(day=day, title=cleaned, kind=kind, created_by=actor[:100])
    session.add(event)
    session.flush()
    record_audit(session, "event.add", actor=actor, object_type="event", object_id=str(event.id),
                 detail={"day": day.isoformat(), "title": cleaned, "kind": kind})  # fmt: skip
    return CalendarEvent(day, cleaned, kind)


def list_events(session: Session, configured: Iterable[CalendarEvent] = ()) -> list[CalendarEvent]:
    """Every event, stored and configured, by date (a configured event that was also
    added is listed once)."""
    stored = [
        CalendarEvent(day, title, kind)
        for day, title, kind in session.execute(select(Event.day, Event.title, Event.kind))
    ]
    seen = {(e.day, e.title) for e in stored}
    return sorted([*stored, *(e for e in configured if (e.day, e.title) not in seen)])


def events_between(
    session: Session, first: date, last: date, configured: Iterable[CalendarEvent] = ()
) -> list[CalendarEvent]:
    """Events from `first` to `last` (both included), by date."""
    return [e for e in list_events(session, configured) if first <= e.day <= last]
