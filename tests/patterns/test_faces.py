"""Storylines and coordinated posting through the report, the command line and the alert."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cohesion.cli import app
from cohesion.config import Settings
from cohesion.jobs.patterns import alert_coordination
from cohesion.reports.render import write_report
from cohesion.reports.weekly import build_weekly_report
from cohesion.runtime import Runtime
from cohesion.store.engine import session_scope
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from tests.patterns import corpus
from tests.reports import dataset as ds
from tests.reports.loopback import Hook

NOW = datetime(2026, 11, 23, 13, 0, tzinfo=UTC)  # the last complete week is W47
HOSTILE_SCRIPT = f"{ds.HOSTILE} everyone must flood the county clerk office with calls today"


def hostile_burst() -> list[ds.Spec]:
    """Six accounts post one hostile text within an hour (an unflagged copy-paste burst)."""
    return [
        ds.Spec(
            f"burst{n}",
            "r-olathe",
            f"H{n}",
            text=HOSTILE_SCRIPT,
            created_at=ds._local(ds.WEEK + timedelta(days=4), 20, 10 * n),
        )
        for n in range(6)
    ]


@pytest.fixture
def planted(sessions: sessionmaker[Session]) -> ds.Dataset:
    data = corpus.build(sessions)
    ds.add(sessions, data, hostile_burst(), NOW)
    return data


def test_report_sections_show_storylines_and_bursts_escaped(
    sessions: sessionmaker[Session], planted: ds.Dataset, tmp_path: Path
) -> None:
    settings = Settings.model_validate({"locality": {"name": "J", "timezone": ds.TZ}})
    with session_scope(sessions) as session:
        report = build_weekly_report(session, settings, ds.WEEK, now=NOW)
    written = write_report(report, tmp_path)
    markdown = (written.out_dir / "report.md").read_text()
    html = written.index.read_text()
    for text in (markdown, html):
        assert "Storylines this week" in text and "Copy-paste and coordinated posting" in text
        assert "5 storylines cover 34 of 37 flagged posts in 2026-W47." in text
        assert "3 bursts of near-identical posts in 2026-W47." in text
        assert "<script>" not in text and "@someone" not in text
    assert "| drag · show · library | growing | 10 (4) | 10 | reddit, rss |" in markdown
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "\\[click\\]\\(javascript:alert\\(1\\)\\)" in markdown  # no live Markdown link
    assert 'javascript:alert(1)">' not in html
    burst_row = next(line for line in markdown.splitlines() if "flood the county clerk" in line)
    assert "| 6 | 6 | reddit | pH0 | 2026-11-20 20:00 to 11-20 20:50 (50 min) | 0 |" in burst_row


def test_storylines_and_coordination_commands(
    db_url: str,
    planted: ds.Dataset,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = tmp_path / "cohesion.toml"
    config.write_text(f'[database]\nurl = "{db_url}"\n\n[locality]\ntimezone = "{ds.TZ}"\n')
    monkeypatch.setattr("cohesion.store.types.utcnow", lambda: NOW)
    runner = CliRunner()
    base = ["--config", str(config)]
    found = runner.invoke(app, [*base, "storylines", "--format", "json"])
    assert found.exit_code == 0, found.output
    rows = json.loads(found.output)
    assert [(r["week"], r["label"], r["status"]) for r in rows][:2] == [
        ("2026-W47", "ballots · count · stole", "new"),
        ("2026-W47", "drag · show · library", "growing"),
    ]
    table = runner.invoke(app, [*base, "storylines", "--week", "2026-W46"])
    assert table.exit_code == 0, table.output
    assert "4 storylines cover 24 of 24 flagged posts in 2026-W46." in table.output
    empty = runner.invoke(app, [*base, "storylines", "--week", "2026-W49", "--format", "table"])
    assert "No flagged posts in 2026-W49, so no storylines." in empty.output
    csv_out = runner.invoke(app, [*base, "coordination", "--format", "csv"])
    assert csv_out.exit_code == 0, csv_out.output
    header, *lines = csv_out.output.splitlines()
    assert header.startswith("week,text,posts,accounts,platforms,first_author")
    assert len(lines) == 3
    quiet = runner.invoke(app, [*base, "coordination", "--week", "2026-W49"])
    assert "No copy-paste or coordinated posting found in 2026-W49." in quiet.output
    bad = runner.invoke(app, [*base, "storylines", "--week", "2026-W99"])
    assert bad.exit_code == 2 and "2026-W99" in bad.output


@pytest.fixture
def hook() -> Iterator[Hook]:
    server = Hook()
    yield server
    server.close()


def test_a_burst_naming_the_watchlist_alerts_once(
    db_url: str,
    planted: ds.Dataset,
    hook: Hook,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The ballots copies name "County Commission" (c7): one alert, then none."""
    config = tmp_path / "cohesion.toml"
    config.write_text(
        f'[database]\nurl = "{db_url}"\n\n[locality]\nname = "J"\ntimezone = "{ds.TZ}"\n\n'
        '[alerts]\nretries = 0\n\n[[watchlist]]\nname = "County Commission"\n'
        'kind = "institution"\n'
    )
    monkeypatch.setenv("COHESION_ALERTS__WEBHOOK_URL", hook.url)
    runtime = Runtime.open(config)
    try:
        hook.script = [(500, {})]
        failed = alert_coordination(runtime, now=NOW)
        assert failed is not None and not failed["sent"]
        sent = alert_coordination(runtime, now=NOW)  # not recorded when it failed: retried
        assert sent is not None and sent["sent"] and sent["items"] == 1
        assert alert_coordination(runtime, now=NOW) is None  # once per burst
        # A week later the burst is too old to alert about.
        later = alert_coordination(runtime, now=NOW + timedelta(days=14))
    finally:
        runtime.close()
    assert later is None
    body = hook.bodies[-1]
    assert body["text"].startswith("Cohesion: 1 coordinated burst naming the watchlist, J")
    assert "County Commission (watchlist institution)" in body["text"]
    assert "from 6 accounts on reddit, rss" in body["text"]
    assert "stole" not in body["text"]  # no post text unless [alerts] include_text
