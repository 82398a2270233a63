"""The weekly report, its trend series, and the alerts on spikes and new threats."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cohesion import weeks as isoweeks
from cohesion.runtime import Runtime
from cohesion.store.engine import session_scope


@dataclass
class ReportResult:
    week: str
    out_dir: Path
    files: list[Path]
    spikes: list[str]
    alert: dict[str, Any] | None


def weekly_trends(
    runtime: Runtime, weeks: int = 8, by: str = "label", *, now: Any = None
) -> list[Any]:
    """Trend rows (reports.trends.TrendRow) for the `weeks` weeks up to the last complete one.

    Weeks with a collection gap (store.health) stay out of the spike-test baselines.
    """
    from cohesion.reports import trends as report_trends
    from cohesion.store import trends
    from cohesion.store.types import utcnow

    settings = runtime.settings
    last = isoweeks.last_complete_week(now or utcnow(), settings.locality.zone)
    shown = isoweeks.week_range(last, weeks)
    with session_scope(runtime.sessions) as session:
        return report_trends.trend_rows(
            session,
            trends.active_model_id(session),
            by,
            shown,
            settings.alerts.spike_z,
            settings.alerts.min_count,
            trends.collection_gaps(session, shown, settings.locality.zone),
        )


def weekly_report(
    runtime: Runtime, week: Any = None, out_dir: Path | str | None = None, *, now: Any = None
) -> ReportResult:
    """Write the weekly report (index.html, report.md, trends.csv, charts) and alert on spikes.

    `week` is an ISO week ("2026-W47") or its Monday; default the last complete week.
    `out_dir` defaults to <report.out_dir>/<week>. A failing webhook never fails the job.
    """
    from datetime import date

    from cohesion.reports.alerts import alert_spikes
    from cohesion.reports.render import write_report
    from cohesion.reports.weekly import build_weekly_report
    from cohesion.store.types import utcnow

    settings = runtime.settings
    now = now or utcnow()
    if isinstance(week, str):
        monday = isoweeks.parse_week(week)
    elif isinstance(week, date):
        monday = isoweeks.monday_of(week)
    else:
        monday = isoweeks.last_complete_week(now, settings.locality.zone)
    with session_scope(runtime.sessions) as session:
        report = build_weekly_report(session, settings, monday, now)
    target = Path(out_dir) if out_dir else settings.resolve(settings.report.out_dir) / report.week
    written = write_report(report, target)
    alert = alert_spikes(
        runtime.sessions, settings.alerts, settings.locality.name, report.week, report.spikes
    )
    return ReportResult(
        report.week,
        written.out_dir,
        list(written.files),
        [f"{row.dimension}:{row.key}" for row in report.spikes],
        alert.as_dict() if alert else None,
    )


def alert_threats(runtime: Runtime, *, now: Any = None) -> dict[str, Any] | None:
    """Alert the webhook about new threats and doxxing against officials (after classify)."""
    from cohesion.reports.alerts import alert_threats as send
    from cohesion.store import trends

    settings = runtime.settings
    with session_scope(runtime.sessions) as session:
        model_id = trends.active_model_id(session)
    result = send(
        runtime.sessions,
        settings.alerts,
        settings.locality.name,
        settings.locality.timezone,
        model_id,
        now,
        watchlist={entry.name: entry.kind for entry in settings.watchlist},
        review_url=settings.review.public_url,
    )
    return result.as_dict() if result else None
