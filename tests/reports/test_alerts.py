"""Webhook alerts against a loopback HTTP server: retries, Retry-After, payloads, no repeats."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from cohesion.config import AlertSettings
from cohesion.reports import trends as report_trends
from cohesion.reports.alerts import Webhook, alert_spikes, alert_threats
from cohesion.store.engine import session_scope
from cohesion.store.models import AuditLog
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from tests.reports import dataset as ds
from tests.reports.loopback import Hook

NOW = datetime(2026, 11, 21, 18, 0, tzinfo=UTC)


@pytest.fixture
def hook() -> Iterator[Hook]:
    server = Hook()
    yield server
    server.close()


def webhook(url: str, sleeps: list[float], retries: int = 3) -> Webhook:
    return Webhook(url, timeout=5, retries=retries, backoff=0.01, sleep=sleeps.append)


def test_retries_with_backoff_and_retry_after(hook: Hook) -> None:
    hook.script = [(500, {}), (429, {"Retry-After": "2"}), (503, {}), (200, {})]
    sleeps: list[float] = []
    result = webhook(hook.url, sleeps).send({"text": "hello"})
    assert result.sent and result.attempts == 4 and result.status_code == 200
    # Backoff doubles (0.01, 0.02, 0.04); a 429's Retry-After replaces its delay.
    assert sleeps == [0.01, 2.0, 0.04]
    assert hook.bodies == [{"text": "hello"}] * 4


def test_retry_after_as_an_http_date_without_a_zone_is_honoured(hook: Hook) -> None:
    """`-0000` parses as a naive datetime; it used to raise TypeError and drop the alert."""
    hook.script = [(429, {"Retry-After": "Wed, 21 Oct 2015 07:28:00 -0000"}), (200, {})]
    sleeps: list[float] = []
    result = webhook(hook.url, sleeps).send({"text": "hello"})
    assert result.sent and result.attempts == 2
    assert sleeps == [0.0]  # a date in the past: try again at once


def test_gives_up_without_raising(hook: Hook) -> None:
    hook.script = [(503, {})] * 10
    sleeps: list[float] = []
    result = webhook(hook.url, sleeps, retries=2).send({"text": "x"})
    assert not result.sent and result.attempts == 3 and result.error == "HTTP 503"
    assert len(sleeps) == 2


def test_client_errors_are_not_retried(hook: Hook) -> None:
    hook.script = [(404, {})]
    result = webhook(hook.url, []).send({"text": "x"})
    assert not result.sent and result.attempts == 1 and result.status_code == 404


def test_unreachable_webhook_is_reported_not_raised() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    sleeps: list[float] = []
    result = webhook(f"http://127.0.0.1:{port}/hook", sleeps, retries=1).send({"text": "x"})
    assert not result.sent and result.attempts == 2
    assert result.error and "ConnectError" in result.error


def _settings(url: str, include_text: bool = False) -> AlertSettings:
    return AlertSettings(webhook_url=url, include_text=include_text, retries=1, timeout=5)


def test_threat_alerts_once_without_text(sessions: sessionmaker[Session], hook: Hook) -> None:
    data = ds.build(sessions)

    def send(include_text: bool) -> Any:
        return alert_threats(
            sessions,
            _settings(hook.url, include_text),
            "Johnson County",
            ds.TZ,
            data.model_id,
            NOW,
            webhook(hook.url, [], retries=1),
        )

    hook.script = [(500, {}), (500, {})]
    failed = send(False)
    assert failed is not None and not failed.sent
    result = send(False)  # the failed delivery was not recorded, so it is tried again
    assert result is not None and result.sent and result.items == 1
    body = hook.bodies[-1]
    assert body["text"].startswith("Cohesion: 1 new threat flag against officials")
    assert "official" in body["text"] and "pA5" in body["text"]
    assert "<https://example.org/c13|link>" in body["text"]
    assert "clerk" not in json.dumps(body)  # no post text unless configured
    assert {block["type"] for block in body["blocks"]} == {"header", "section", "context"}
    assert send(False) is None  # already alerted
    with session_scope(sessions) as session:
        rows = session.scalar(
            select(func.count()).select_from(AuditLog).where(AuditLog.action == "alert_sent")
        )
    assert rows == 1


def test_threat_alert_text_only_when_configured(
    sessions: sessionmaker[Session], hook: Hook
) -> None:
    data = ds.build(sessions)
    result = alert_threats(
        sessions,
        _settings(hook.url, True),
        "Johnson County",
        ds.TZ,
        data.model_id,
        NOW,
        webhook(hook.url, []),
    )
    assert result is not None and result.sent
    assert "\n> the clerk should watch out" in hook.bodies[-1]["text"]


def test_old_threats_do_not_alert(sessions: sessionmaker[Session], hook: Hook) -> None:
    data = ds.build(sessions)
    later = datetime(2026, 12, 20, tzinfo=UTC)
    result = alert_threats(
        sessions, _settings(hook.url), "X", ds.TZ, data.model_id, later, webhook(hook.url, [])
    )
    assert result is None and hook.bodies == []


def test_spike_alert_once(sessions: sessionmaker[Session], hook: Hook) -> None:
    data = ds.build(sessions)
    with session_scope(sessions) as session:
        rows = report_trends.trend_rows(session, data.model_id, "label", [ds.WEEK], 3.0, 5)
    spikes = [row for row in rows if row.test.spike]
    assert [row.key for row in spikes] == ["hate", "any"]
    settings = _settings(hook.url)
    first = alert_spikes(sessions, settings, "Johnson County", "2026-W47", spikes)
    assert first is not None and first.sent and first.items == 2
    assert "hate (label): 6 flagged, 300.0 per 1,000 posts" in hook.bodies[0]["text"]
    assert alert_spikes(sessions, settings, "Johnson County", "2026-W47", spikes) is None
    assert len(hook.bodies) == 1


def test_no_webhook_configured_sends_nothing(sessions: sessionmaker[Session]) -> None:
    data = ds.build(sessions)
    assert alert_threats(sessions, AlertSettings(), "X", ds.TZ, data.model_id, NOW) is None


def test_doxxing_and_threats_naming_the_watchlist_alert_at_once(
    sessions: sessionmaker[Session], hook: Hook
) -> None:
    data = ds.build(sessions)
    ds.add(
        sessions,
        data,
        [
            # Doxxing of a watchlisted official: alerted, naming the entry and its kind.
            ds.Spec(
                "x1",
                "r-olathe",
                "X1",
                ("doxxing",),
                watchlist=("Dana Reyes",),
                text="her home address is 12 Elm St",
            ),
            # Doxxing of someone not on the watchlist: not an alert.
            ds.Spec("x2", "r-olathe", "X2", ("doxxing",), text="his phone is 555-0101"),
            # A watchlist threat an analyst rejected: not an alert.
            ds.Spec(
                "x3",
                "news-rss",
                "X3",
                ("threat",),
                watchlist=("County Commission",),
                reviews=[("reject", None)],
            ),
            # Hate naming an entry is not a threat against it.
            ds.Spec("x4", "news-rss", "X4", ("hate",), ("jewish",), watchlist=("Dana Reyes",)),
        ],
        datetime(2026, 11, 21, 9, tzinfo=UTC),
    )

    def send() -> Any:
        return alert_threats(
            sessions,
            _settings(hook.url),
            "Johnson County",
            ds.TZ,
            data.model_id,
            NOW,
            webhook(hook.url, [], retries=1),
            ds.WATCHLIST,
        )

    result = send()
    assert result is not None and result.sent and result.items == 2
    text = hook.bodies[-1]["text"]
    assert text.startswith("Cohesion: 2 new threat or doxxing flags against officials")
    lines = [line for line in text.splitlines() if line.startswith("•")]
    # Watchlist hits first, oldest first.
    assert lines[0].startswith("• threat against County Clerk (watchlist role), official")
    assert lines[1].startswith("• doxxing against Dana Reyes (watchlist person) · r-olathe")
    assert "<https://example.org/x1|link>" in lines[1]
    assert "Elm" not in json.dumps(hook.bodies[-1])  # include_text is off
    assert send() is None and len(hook.bodies) == 1  # never twice
    with session_scope(sessions) as session:
        details = sorted(
            (row.object_id, row.detail["kind"], tuple(row.detail["watchlist"]))
            for row in session.scalars(select(AuditLog).where(AuditLog.action == "alert_sent"))
        )
    assert details == sorted(
        [
            (str(data.post_ids["x1"]), "doxxing", ("Dana Reyes",)),
            (str(data.post_ids["c13"]), "threat", ("County Clerk",)),
        ]
    )
