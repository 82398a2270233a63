"""The retention purge: posts past their retention time are deleted."""

from __future__ import annotations

from typing import Any

from cohesion.runtime import Runtime
from cohesion.store.engine import session_scope


def purge(
    runtime: Runtime, dry_run: bool = False, *, now: Any = None, actor: str = "system"
) -> Any:
    """Delete posts past retention (store.retention.PurgeResult); dry_run only counts."""
    from cohesion.store import retention, trends

    settings = runtime.settings.retention
    with session_scope(runtime.sessions) as session:
        return retention.purge(
            session,
            trends.active_model_id(session),
            settings.unflagged_days,
            settings.flagged_days,
            dry_run=dry_run,
            now=now,
            actor=actor,
        )
