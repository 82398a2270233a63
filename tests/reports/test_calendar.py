"""The local calendar: events from the config and `cohesion event add`, named beside the
spikes they shortly precede, and drawn on the charts (both backends)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from cohesion.cli import app
from cohesion.config import Settings
from cohesion.reports.calendar import events_before, spike_began
from cohesion.reports.render import write_report
from cohesion.reports.weekly import build_weekly_report
from cohesion.store.engine import session_scope
from cohesion.store.events import CalendarEvent, EventInputError, add_event, list_events
from cohesion.store.models import AuditLog
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from tests.reports import dataset as ds

NOW = datetime(2026, 11, 23, 13, 0, tzinfo=UTC)
TODAY = date(2026, 11, 23)


def test_a_spike_begins_on_its_first_day_of_surge() -> None:
    week = date(2026, 11, 16)
    # Baseline: 28 flags over 4 weeks = 1 a day; the surge starts Wednesday.
    daily = {date(2026, 11, 16): 1, date(2026, 11, 17): 1, date(2026, 11, 18): 6}
    assert spike_began(week, daily, 28, 4) == date(2026, 11, 18)
    # A slow rise with no day standing out: the week's Monday.
    assert spike_began(week, {date(2026, 11, 19): 1}, 28, 4) == week
    # No baseline at all: two flags in a day are a start.
    assert spike_began(week, {date(2026, 11, 20): 2}, 0, 0) == date(2026, 11, 20)
    # A stray pair on Tuesday is not the start of a 40-flag surge from Friday.
    burst = {date(2026, 11, 17): 2, date(2026, 11, 20): 20, date(2026, 11, 21): 20}
    assert spike_began(week, burst, 4, 4) == date(2026, 11, 20)


def test_events_within_three_days_before_are_named_nearest_first() -> None:
    began = date(2026, 11, 18)
    events = [
        CalendarEvent(date(2026, 11, 14), "too early", "meeting"),
        CalendarEvent(date(2026, 11, 15), "Commission vote", "meeting"),
        CalendarEvent(date(2026, 11, 17), "Pride service at St. Mark's", "community"),
        CalendarEvent(date(2026, 11, 18), "same day", "national"),
        CalendarEvent(date(2026, 11, 19), "after", "election"),
    ]
    found = events_before(began, events)
    assert [(e.event.title, e.days_before, e.phrase) for e in found] == [
        ("same day", 0, "began the same day as"),
        ("Pride service at St. Mark's", 1, "began 1 day after"),
        ("Commission vote", 3, "began 3 days after"),
    ]


def test_adding_events_is_validated_and_audited(sessions: sessionmaker[Session]) -> None:
    with session_scope(sessions) as session:
        added = add_event(session, date(2026, 11, 17), "  Library  vote ", "meeting",
                          actor="cli:ana", today=TODAY)  # fmt: skip
        assert added.title == "Library vote"
        for day, title, kind, message in [
            (date(2026, 11, 17), "Library vote", "meeting", "already stored"),
            (date(2031, 1, 1), "far away", "meeting", "not a plausible date"),
            (date(1066, 10, 14), "Hastings", "national", "not a plausible date"),
            (date(2026, 11, 17), " ", "meeting", "at least two characters"),
            (date(2026, 11, 17), "x" * 301, "meeting", "keep it under 300"),
            (date(2026, 11, 17), "Fair", "party", "unknown kind"),
        ]:
            with pytest.raises(EventInputError, match=message):
                add_event(session, day, title, kind, actor="cli:ana", today=TODAY)
        audit = session.scalars(select(AuditLog).where(AuditLog.action == "event.add")).all()
        assert [(a.actor, a.detail["title"]) for a in audit] == [("cli:ana", "Library vote")]
        configured = [
            CalendarEvent(date(2026, 11, 17), "Library vote", "meeting", "config"),
            CalendarEvent(date(2026, 11, 1), "Election day", "election", "config"),
        ]
        listed = list_events(session, configured)
    assert [(e.day.isoformat(), e.title, e.origin) for e in listed] == [
        ("2026-11-01", "Election day", "config"),
        ("2026-11-17", "Library vote", "added"),
    ]


def _settings(events: list[dict[str, str]]) -> Settings:
    return Settings.model_validate(
        {"locality": {"name": "Johnson County", "timezone": ds.TZ}, "events": events}
    )


def test_the_report_names_the_events_before_a_spike(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    data = ds.build(sessions)
    with session_scope(sessions) as session:
        add_event(session, date(2026, 11, 16), "Commission vote on the library policy",
                  "meeting", actor="test", today=TODAY)  # fmt: skip
    settings = _settings([
        {"date": "2026-11-17", "title": "Pride service at St. Mark's", "kind": "community"},
        {"date": "2026-10-01", "title": "Budget hearing", "kind": "meeting"},
    ])  # fmt: skip
    with session_scope(sessions) as session:
        report = build_weekly_report(session, settings, ds.WEEK, NOW)
    assert data.model_id
    hate = next(r for r in report.spikes if r.key == "hate")
    start = report.spike_start(hate)
    assert start is not None and start.began == date(2026, 11, 18)
    assert [(e.event.title, e.days_before) for e in start.events] == [
        ("Pride service at St. Mark's", 1),
        ("Commission vote on the library policy", 2),
    ]
    assert [e.title for e in report.events] == [  # every event on the charted weeks
        "Budget hearing",
        "Commission vote on the library policy",
        "Pride service at St. Mark's",
    ]
    written = write_report(report, tmp_path / "out")
    markdown = (written.out_dir / "report.md").read_text()
    assert "began 1 day after: Pride service at St. Mark's (community, 2026-11-17)" in markdown
    assert "began 2 days after: Commission vote on the library policy" in markdown
    html = (written.out_dir / "index.html").read_text()
    assert "began 1 day after: <strong>Pride service at St. Mark&#39;s</strong>" in html
    assert "Events on the chart (dotted lines): 1. 2026-10-01 Budget hearing" in html


def test_a_hostile_event_title_stays_text(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    ds.build(sessions)
    settings = _settings([{"date": "2026-11-17", "title": "<img src=x onerror=alert(1)>"}])
    with session_scope(sessions) as session:
        report = build_weekly_report(session, settings, ds.WEEK, NOW)
    written = write_report(report, tmp_path / "out")
    html = (written.out_dir / "index.html").read_text()
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html


def test_event_commands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "cohesion.toml"
    config.write_text(
        f'[database]\nurl = "sqlite:///{tmp_path / "c.db"}"\n'
        '[[events]]\ndate = "2026-11-01"\ntitle = "Election day"\nkind = "election"\n'
    )
    runner = CliRunner()
    assert runner.invoke(app, ["--config", str(config), "db", "upgrade"]).exit_code == 0
    added = runner.invoke(app, ["--config", str(config), "event", "add", "2026-11-10",
                                "Commission vote", "--kind", "meeting"])  # fmt: skip
    assert added.exit_code == 0, added.output
    assert "added meeting event on 2026-11-10: Commission vote" in added.output
    listed = runner.invoke(app, ["--config", str(config), "event", "list", "--format", "csv"])
    assert listed.output.splitlines() == [
        "date,kind,title,origin",
        "2026-11-01,election,Election day,config",
        "2026-11-10,meeting,Commission vote,added",
    ]
    for args, message in [
        (["event", "add", "10/11/2026", "x y"], "is not a date like 2026-11-10"),
        (["event", "add", "2026-11-10", "Commission vote", "--kind", "meeting"], "already stored"),
        (["event", "add", "9999-01-01", "Far"], "not a plausible date"),
    ]:
        result = runner.invoke(app, ["--config", str(config), *args])
        assert result.exit_code == 2, result.output
        assert "error:" in result.output and message in result.output
    bad = tmp_path / "bad.toml"
    bad.write_text('[[events]]\ndate = "2026-13-01"\ntitle = "x y"\n')
    result = runner.invoke(app, ["--config", str(bad), "event", "list"])
    assert result.exit_code == 2 and "events[0].date" in result.output
