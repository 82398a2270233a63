"""What `cohesion status` shows: posts per source and week, gaps, last crawls, the model."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cohesion.runtime import Runtime
from cohesion.store import status as store_status
from cohesion.store import types
from cohesion.store.engine import session_scope
from cohesion.store.health import collector_health
from cohesion.weeks import last_complete_week, week_range


@dataclass(frozen=True)
class Status:
    locality: str
    totals: dict[str, int]
    per_week: Any  # store.status.posts_per_source_week
    gaps: list[Any]  # store.health.SourceHealth rows with a gap
    runs: list[Any]  # store.status.last_crawl_runs
    model: str | None


def collect_status(runtime: Runtime, weeks: int, *, now: Any = None) -> Status:
    """The installation's state over the last `weeks` complete weeks."""
    zone = runtime.settings.locality.zone
    with session_scope(runtime.sessions) as session:
        model = store_status.active_model(session)
        checked = week_range(last_complete_week(now or types.utcnow(), zone), weeks)
        return Status(
            locality=runtime.settings.locality.name,
            totals=store_status.totals(session),
            per_week=store_status.posts_per_source_week(session, weeks),
            gaps=[h for h in collector_health(session, checked, zone) if h.gap],
            runs=store_status.last_crawl_runs(session),
            model=model.name if model else None,
        )
