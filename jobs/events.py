"""The local calendar: `cohesion event add` and `cohesion event list`, and the events
every report and chart draws (the config's `[[events]]` plus the stored ones)."""

from __future__ import annotations

import getpass
from datetime import date

from cohesion.runtime import Runtime
from cohesion.store.engine import session_scope
from cohesion.store.events import CalendarEvent, add_event, list_events


def configured_events(runtime: Runtime) -> list[CalendarEvent]:
    return [
        CalendarEvent(entry.date, entry.title, entry.kind, origin="config")
        for entry in runtime.settings.events
    ]


def add(
    runtime: Runtime, day: date, title: str, kind: str, actor: str | None = None
) -> CalendarEvent:
    """Store one event, audited as the operating-system user who added it."""
    who = actor or f"cli:{_user()}"
    with session_scope(runtime.sessions) as session:
        return add_event(session, day, title, kind, actor=who)


def every_event(runtime: Runtime) -> list[CalendarEvent]:
    with session_scope(runtime.sessions) as session:
        return list_events(session, configured_events(runtime))


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name in a container without /etc/passwd entry
        return "unknown"
