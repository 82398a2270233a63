"""Storylines and coordinated posting for one week (`cohesion storylines`,
`cohesion coordination`), and the alert on coordinated bursts naming a watchlist entry."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from cohesion import weeks as isoweeks
from cohesion.runtime import Runtime
from cohesion.store.engine import session_scope

# Bursts in posts this recent alert (as threats do), so a backfill does not flood.
ALERT_LOOKBACK_DAYS = 7


def _monday(runtime: Runtime, week: str | date | None, now: Any) -> date:
    from cohesion.store.types import utcnow

    if isinstance(week, str):
        return isoweeks.parse_week(week)
    if isinstance(week, date):
        return isoweeks.monday_of(week)
    return isoweeks.last_complete_week(now or utcnow(), runtime.settings.locality.zone)


def storylines(runtime: Runtime, week: str | date | None = None, *, now: Any = None) -> Any:
    """The week's storylines (patterns.storylines.WeekStorylines); default the last
    complete week in the locality's time zone."""
    from cohesion.patterns.storylines import week_storylines
    from cohesion.store.trends import active_model_id

    monday = _monday(runtime, week, now)
    with session_scope(runtime.sessions) as session:
        return week_storylines(session, active_model_id(session), monday)


def coordination(runtime: Runtime, week: str | date | None = None, *, now: Any = None) -> Any:
    """The week's bursts of copy-paste or coordinated posting (patterns.coordination)."""
    from cohesion.patterns.coordination import week_bursts
    from cohesion.store.trends import active_model_id

    monday = _monday(runtime, week, now)
    with session_scope(runtime.sessions) as session:
        return week_bursts(session, active_model_id(session), monday, runtime.settings.coordination)


def alert_coordination(runtime: Runtime, *, now: Any = None) -> dict[str, Any] | None:
    """Alert the webhook, once per burst, about bursts in the last week that name a
    watchlist entry."""
    from cohesion.patterns.coordination import bursts_between
    from cohesion.reports.alerts import alert_bursts
    from cohesion.store.trends import active_model_id
    from cohesion.store.types import utcnow

    settings = runtime.settings
    moment = now or utcnow()
    zone = settings.locality.zone
    since = moment - timedelta(days=ALERT_LOOKBACK_DAYS)
    first = isoweeks.monday_of(since.astimezone(zone).date())
    last = isoweeks.monday_of(moment.astimezone(zone).date())
    with session_scope(runtime.sessions) as session:
        _, bursts = bursts_between(
            session, active_model_id(session), first, last, settings.coordination
        )
    named = [b for b in bursts if b.watchlist and b.end >= since]
    result = alert_bursts(
        runtime.sessions,
        settings.alerts,
        settings.locality.name,
        settings.locality.timezone,
        named,
        watchlist={entry.name: entry.kind for entry in settings.watchlist},
        review_url=settings.review.public_url,
    )
    return result.as_dict() if result else None
