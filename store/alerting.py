"""What alerts need from the store: new threats and doxxing against officials, and what
was sent.

Sent alerts are audit_log rows (action "alert_sent"): object_type "post" with the post
id for a threat, "spike" with "<week>:<dimension>:<key>" for a spike. An alert is sent
once; a failed delivery writes nothing, so the next run tries again.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from cohesion.store.effective import effective_labels, effective_tags, effective_watchlist
from cohesion.store.models import AuditLog, Author, Post, Source
from cohesion.weeks import week_start
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

ALERT_ACTION = "alert_sent"


@dataclass(slots=True, frozen=True)
class ThreatFlag:
    post_id: int
    created_at: datetime
    source: str
    author: str | None
    url: str | None
    text: str
    threat_targets: tuple[str, ...]
    watchlist: tuple[str, ...]
    labels: tuple[str, ...] = ("threat",)  # the effective labels among threat, doxxing


def threats_against_officials(
    session: Session,
    model_id: int | None,
    since: datetime,
    targets: Sequence[str],
) -> list[ThreatFlag]:
    """Posts created since `since` that threaten or dox an official or institution.

    That is: effectively flagged `threat` with a threat target in `targets`, or flagged
    `threat` or `doxxing` and naming a watchlist entry (the officials, staff and
    institutions the locality protects; store.effective.effective_watchlist). Rejected
    posts drop out. Watchlist hits come first, then by time.
    """
    dialect = session.get_bind().dialect.name
    # week_start is in the locality's zone: a week earlier than UTC's is a safe bound.
    first_week = week_start(since, ZoneInfo("UTC")) - timedelta(weeks=1)
    e = effective_labels(dialect, model_id, first_week)
    query = (
        select(
            e.c.post_id,
            e.c.created_at,
            e.c.flag_threat,
            e.c.flag_doxxing,
            Post.text,
            Post.url,
            Author.pseudonym,
            func.coalesce(Source.name, e.c.platform),
        )
        .select_from(e)
        .join(Post, Post.id == e.c.post_id)
        .outerjoin(Author, Author.id == e.c.author_id)
        .outerjoin(Source, Source.id == e.c.source_id)
        .where(or_(e.c.flag_threat == 1, e.c.flag_doxxing == 1), e.c.created_at >= since)
        .order_by(e.c.created_at, e.c.post_id)
    )
    rows = session.execute(query).all()
    if not rows:
        return []
    post_ids = [row.post_id for row in rows]
    tags = effective_tags(dialect, e)
    threat_targets: dict[int, set[str]] = {i: set() for i in post_ids}
    for post_id, value in session.execute(
        select(tags.c.post_id, tags.c.value).where(
            tags.c.kind == "threat_target", tags.c.post_id.in_(post_ids)
        )
    ):
        threat_targets[post_id].add(value)
    hits = effective_watchlist(e)
    watchlist: dict[int, set[str]] = {i: set() for i in post_ids}
    for post_id, value in session.execute(
        select(hits.c.post_id, hits.c.value).where(hits.c.post_id.in_(post_ids))
    ):
        watchlist[post_id].add(value)
    found = []
    for row in rows:
        named = row.flag_threat and threat_targets[row.post_id] & set(targets)
        if named or watchlist[row.post_id]:
            labels = ("threat",) * row.flag_threat + ("doxxing",) * row.flag_doxxing
            found.append(
                ThreatFlag(
                    row.post_id,
                    row.created_at,
                    row[-1],
                    row.pseudonym,
                    row.url,
                    row.text,
                    tuple(sorted(threat_targets[row.post_id])),
                    tuple(sorted(watchlist[row.post_id])),
                    labels,
                )
            )
    return sorted(found, key=lambda t: not t.watchlist)  # stable: by time within each


def already_alerted(session: Session, object_type: str, object_ids: Iterable[str]) -> set[str]:
    ids = list(object_ids)
    if not ids:
        return set()
    query = select(AuditLog.object_id).where(
        AuditLog.action == ALERT_ACTION,
        AuditLog.object_type == object_type,
        AuditLog.object_id.in_(ids),
    )
    return {value for value in session.scalars(query) if value is not None}


def record_alerts(
    session: Session, object_type: str, object_ids: Iterable[str], detail: dict[str, Any]
) -> None:
    for object_id in object_ids:
        session.add(
            AuditLog(
                actor="alerts",
                action=ALERT_ACTION,
                object_type=object_type,
                object_id=object_id,
                detail=detail,
            )
        )
