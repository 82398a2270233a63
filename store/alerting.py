"""What alerts need from the store: new threats against officials, and what was sent.

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

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from store.effective import effective_labels, effective_tags
from store.models import AuditLog, Author, ClassificationTag, Post, Source
from store.posts import week_start

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


def threats_against_officials(
    session: Session,
    model_id: int | None,
    since: datetime,
    targets: Sequence[str],
) -> list[ThreatFlag]:
    """Posts created since `since` effectively flagged as threats that name an official.

    "Name an official": a threat target in `targets`, or a watchlist entry (the
    officials, staff and institutions the locality protects). Rejected posts drop out.
    """
    dialect = session.get_bind().dialect.name
    # week_start is in the locality's zone: a week earlier than UTC's is a safe bound.
    first_week = week_start(since, ZoneInfo("UTC")) - timedelta(weeks=1)
    e = effective_labels(dialect, model_id, first_week)
    tags = effective_tags(dialect, e)
    query = (
        select(
            e.c.post_id,
            e.c.classification_id,
            e.c.created_at,
            Post.text,
            Post.url,
            Author.pseudonym,
            func.coalesce(Source.name, e.c.platform),
        )
        .select_from(e)
        .join(Post, Post.id == e.c.post_id)
        .outerjoin(Author, Author.id == e.c.author_id)
        .outerjoin(Source, Source.id == e.c.source_id)
        .where(e.c.flag_threat == 1, e.c.created_at >= since)
        .order_by(e.c.created_at, e.c.post_id)
    )
    rows = session.execute(query).all()
    if not rows:
        return []
    post_ids = [row.post_id for row in rows]
    threat_targets: dict[int, list[str]] = {i: [] for i in post_ids}
    for post_id, value in session.execute(
        select(tags.c.post_id, tags.c.value).where(
            tags.c.kind == "threat_target", tags.c.post_id.in_(post_ids)
        )
    ):
        threat_targets[post_id].append(value)
    basis = {row.classification_id: row.post_id for row in rows if row.classification_id}
    watchlist: dict[int, list[str]] = {i: [] for i in post_ids}
    if basis:
        for classification_id, value in session.execute(
            select(ClassificationTag.classification_id, ClassificationTag.value).where(
                ClassificationTag.kind == "watchlist",
                ClassificationTag.classification_id.in_(list(basis)),
            )
        ):
            watchlist[basis[classification_id]].append(value)
    found = []
    for row in rows:
        named = [t for t in threat_targets[row.post_id] if t in targets]
        if named or watchlist[row.post_id]:
            found.append(
                ThreatFlag(
                    row.post_id,
                    row.created_at,
                    row[-1],
                    row.pseudonym,
                    row.url,
                    row.text,
                    tuple(sorted(set(threat_targets[row.post_id]))),
                    tuple(sorted(set(watchlist[row.post_id]))),
                )
            )
    return found


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
