"""Webhook alerts: spikes in the weekly report, new threats and doxxing against officials.

The message is Slack-compatible JSON ({"text": ..., "blocks": [...]}); Microsoft Teams
and most chat webhooks read its "text". Delivery retries timeouts, connection errors,
429 and 5xx with exponential backoff (honouring Retry-After), never raises, and never
logs the webhook URL (it is a secret). Post text goes out only when
`[alerts] include_text` is true; otherwise an alert carries labels, source, pseudonym
and a link.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import httpx
from cohesion.config import AlertSettings
from cohesion.patterns.coordination import Burst
from cohesion.reports.escape import slack_text
from cohesion.reports.links import post_link
from cohesion.reports.trends import TrendRow
from cohesion.retry import retry_delay
from cohesion.store.alerting import (
    ThreatFlag,
    already_alerted,
    record_alerts,
    threats_against_officials,
)
from cohesion.store.engine import session_scope
from cohesion.store.types import utcnow
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)
T = TypeVar("T")

BACKOFF_SECONDS = 1.0
MAX_DELAY_SECONDS = 60.0
# Threat targets that make a threat an alert (besides any watchlist match).
OFFICIAL_TARGETS: tuple[str, ...] = ("official", "staff")
# Only threats in posts this recent alert, so a backfill does not flood the channel.
THREAT_LOOKBACK = timedelta(days=7)
MAX_ITEMS = 20
TEXT_LIMIT = 280
RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


@dataclass(slots=True, frozen=True)
class AlertResult:
    sent: bool
    attempts: int = 0
    status_code: int | None = None
    error: str | None = None
    items: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "sent": self.sent,
            "attempts": self.attempts,
            "status_code": self.status_code,
            "error": self.error,
            "items": self.items,
        }


class Webhook:
    """POSTs JSON to one URL with retries; `send` returns an AlertResult, never raises."""

    def __init__(
        self,
        url: str,
        *,
        timeout: float = 10.0,
        retries: int = 3,
        backoff: float | None = None,
        max_delay: float = MAX_DELAY_SECONDS,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.url = url
        self.timeout = timeout
        self.retries = retries
        self.backoff = BACKOFF_SECONDS if backoff is None else backoff
        self.max_delay = max_delay
        self.sleep = sleep
        self.transport = transport

    @classmethod
    def from_settings(cls, settings: AlertSettings) -> Webhook | None:
        if not settings.webhook_url:
            return None
        return cls(settings.webhook_url, timeout=settings.timeout, retries=settings.retries)

    def send(self, payload: dict[str, Any], items: int = 0) -> AlertResult:
        status: int | None = None
        error: str | None = None
        attempts = 0
        try:
            with httpx.Client(timeout=self.timeout, transport=self.transport) as client:
                for attempt in range(self.retries + 1):
                    attempts += 1
                    retry_after: str | None = None
                    try:
                        response = client.post(self.url, json=payload)
                    except httpx.HTTPError as exc:
                        status, error = None, f"{type(exc).__name__}: {exc}"
                    else:
                        status = response.status_code
                        if response.is_success:
                            return AlertResult(True, attempts, status, None, items)
                        error = f"HTTP {status}"
                        if status not in RETRY_STATUSES:
                            break
                        retry_after = response.headers.get("Retry-After")
                    if attempt < self.retries:
                        log.warning("webhook attempt %d failed (%s); retrying", attempts, error)
                        self.sleep(
                            retry_delay(
                                attempt + 1,
                                retry_after,
                                base=self.backoff,
                                cap=self.max_delay,
                                retry_after_cap=self.max_delay,
                                now=utcnow(),
                            )
                        )
        except Exception as exc:  # a broken alert must never break the job that sends it
            error = f"{type(exc).__name__}: {exc}"
        log.error("webhook alert not delivered after %d attempt(s): %s", attempts, error)
        return AlertResult(False, attempts, status, error, items)


def message(title: str, lines: Sequence[str], link_note: str | None = None) -> dict[str, Any]:
    """A Slack-compatible payload; `text` alone is the full message for other receivers."""
    body = "\n".join(lines)
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": title[:150]}},
        {"type": "section", "text": {"type": "mrkdwn", "text": body[:2900] or "-"}},
    ]
    if link_note:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": link_note}]})
    return {"text": f"{title}\n{body}", "blocks": blocks}


def spike_message(locality: str, week: str, rows: Sequence[TrendRow]) -> dict[str, Any]:
    lines = [
        f"• {slack_text(_name(row.key))} ({row.dimension}): {row.flagged} flagged, "
        f"{row.rate or 0:.1f} per 1,000 posts against a baseline of "
        f"{row.test.baseline_rate or 0:.1f} (z {row.test.z or 0:+.1f})"
        for row in rows
    ]
    title = f"Cohesion: spike in flagged posts, {slack_text(locality)}, {week}"
    return message(title, lines, "Spike test: quasi-Poisson z against the previous four weeks.")


def _entries(names: Sequence[str], kinds: Mapping[str, str]) -> list[str]:
    """Watchlist entries with their kinds: "Dana Reyes (watchlist person)"."""
    return [f"{name} (watchlist {kinds.get(name, 'entry')})" for name in names]


def _name(key: str) -> str:
    return "any label" if key == "any" else key.replace("_", " ")


def threat_message(
    locality: str,
    threats: Sequence[ThreatFlag],
    include_text: bool,
    timezone: str,
    watchlist: Mapping[str, str] | None = None,
    review_url: str = "",
) -> dict[str, Any]:
    """One message listing the posts; `watchlist` maps entry names to their kinds.

    Each post links to its page in the review app (`review_url`), where the sealed
    link to the original is opened with an audit row; post N names it without one."""
    zone = ZoneInfo(timezone)
    kinds = watchlist or {}
    lines = []
    for threat in threats[:MAX_ITEMS]:
        named = [*_entries(threat.watchlist, kinds), *threat.threat_targets]
        url = post_link(threat.post_id, threat.url, review_url)
        when = threat.created_at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
        line = (
            f"• {' and '.join(threat.labels)} against {slack_text(', '.join(named))} · "
            f"{slack_text(threat.source)} · author {slack_text(threat.author or 'unknown')} · "
            f"{when}"
        )
        line += f" · <{url}|link>" if url else f" · post {threat.post_id} in the review app"
        if include_text:
            line += f"\n> {slack_text(threat.text, TEXT_LIMIT)}"
        lines.append(line)
    if len(threats) > MAX_ITEMS:
        lines.append(f"… and {len(threats) - MAX_ITEMS} more in the review queue")
    count = len(threats)
    what = "threat or doxxing" if any("doxxing" in t.labels for t in threats) else "threat"
    title = f"Cohesion: {count} new {what} flag{'s' if count != 1 else ''} against officials, "
    return message(title + slack_text(locality), lines, "Review them in the Cohesion review app.")


def alert_spikes(
    sessions: sessionmaker[Session],
    settings: AlertSettings,
    locality: str,
    week: str,
    rows: Sequence[TrendRow],
    webhook: Webhook | None = None,
) -> AlertResult | None:
    """Send one alert for the week's spikes not alerted before; None when nothing to do."""
    webhook = webhook or Webhook.from_settings(settings)
    if webhook is None or not rows:
        return None
    return _send_new(
        sessions,
        webhook,
        "spike",
        {f"{week}:{row.dimension}:{row.key}": row for row in rows},
        lambda fresh: spike_message(locality, week, fresh),
        lambda _row: {"week": week},
    )


def alert_threats(
    sessions: sessionmaker[Session],
    settings: AlertSettings,
    locality: str,
    timezone: str,
    model_id: int | None,
    now: datetime | None = None,
    webhook: Webhook | None = None,
    watchlist: Mapping[str, str] | None = None,
    review_url: str = "",
) -> AlertResult | None:
    """Send one alert listing threats (and doxxing) against officials not alerted before.

    Threats at an official or staff member, and threats or doxxing naming a watchlist
    entry (`watchlist` maps entry names to kinds, for the message). Each post is
    alerted once; nothing is recorded when delivery fails, so the next run retries.
    """
    webhook = webhook or Webhook.from_settings(settings)
    if webhook is None:
        return None
    since = (now or utcnow()) - THREAT_LOOKBACK
    with session_scope(sessions) as session:
        threats = threats_against_officials(session, model_id, since, OFFICIAL_TARGETS)
    return _send_new(
        sessions,
        webhook,
        "post",
        {str(t.post_id): t for t in threats},
        lambda fresh: threat_message(
            locality, fresh, settings.include_text, timezone, watchlist, review_url
        ),
        lambda t: {"kind": " and ".join(t.labels), "watchlist": list(t.watchlist)},
    )


def burst_message(
    locality: str,
    bursts: Sequence[Burst],
    include_text: bool,
    timezone: str,
    watchlist: Mapping[str, str] | None = None,
    review_url: str = "",
) -> dict[str, Any]:
    """One message listing coordinated bursts that name watchlist entries."""
    zone = ZoneInfo(timezone)
    kinds = watchlist or {}
    lines = []
    for burst in bursts[:MAX_ITEMS]:
        entries = ", ".join(_entries(burst.watchlist, kinds))
        start = burst.start.astimezone(zone).strftime("%Y-%m-%d %H:%M")
        minutes = round(burst.span.total_seconds() / 60)
        line = (
            f"• {slack_text(entries)} · {len(burst.posts)} near-identical posts from "
            f"{burst.accounts} accounts on {slack_text(', '.join(burst.platforms))} within "
            f"{minutes} min from {start} · first poster "
            f"{slack_text(burst.first.author or 'unknown')}"
        )
        first = burst.first.post_id
        url = post_link(first, burst.first.url, review_url)
        line += f" · <{url}|first post>" if url else f" · first post: {first} in the review app"
        if include_text:
            line += f"\n> {slack_text(burst.text, TEXT_LIMIT)}"
        lines.append(line)
    if len(bursts) > MAX_ITEMS:
        lines.append(f"… and {len(bursts) - MAX_ITEMS} more in the review app")
    count = len(bursts)
    title = (
        f"Cohesion: {count} coordinated burst{'s' if count != 1 else ''} naming the "
        f"watchlist, {slack_text(locality)}"
    )
    return message(title, lines, "Near-identical text from many accounts at once.")


def alert_bursts(
    sessions: sessionmaker[Session],
    settings: AlertSettings,
    locality: str,
    timezone: str,
    bursts: Sequence[Burst],
    webhook: Webhook | None = None,
    watchlist: Mapping[str, str] | None = None,
    review_url: str = "",
) -> AlertResult | None:
    """Send one alert listing bursts not alerted before (each keyed by its first post);
    nothing is recorded when delivery fails, so the next run retries."""
    webhook = webhook or Webhook.from_settings(settings)
    if webhook is None or not bursts:
        return None
    return _send_new(
        sessions,
        webhook,
        "burst",
        {b.key: b for b in bursts},
        lambda fresh: burst_message(
            locality, fresh, settings.include_text, timezone, watchlist, review_url
        ),
        lambda b: {"watchlist": list(b.watchlist), "posts": len(b.posts)},
    )


def _send_new(
    sessions: sessionmaker[Session],
    webhook: Webhook,
    kind: str,
    items: Mapping[str, T],
    payload: Callable[[list[T]], dict[str, Any]],
    detail: Callable[[T], dict[str, Any]],
) -> AlertResult | None:
    """One message for the items not alerted before (keyed by id); each is recorded
    only once delivered, so a failed delivery is retried on the next run."""
    with session_scope(sessions) as session:
        done = already_alerted(session, kind, items)
    fresh = {key: item for key, item in items.items() if key not in done}
    if not fresh:
        return None
    result = webhook.send(payload(list(fresh.values())), len(fresh))
    if result.sent:
        with session_scope(sessions) as session:
            for key, item in fresh.items():
                record_alerts(session, kind, [key], detail(item))
    return result
