"""The audit log: who did what, from where (logins, decisions, exports, accounts, retrains).

Rows are appended in the caller's transaction, so an action and its audit row are
committed together or not at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cohesion.store.models import AuditLog
from cohesion.store.types import utcnow
from sqlalchemy import or_, select
from sqlalchemy.orm import Session


@dataclass(slots=True, frozen=True)
class AuditEntry:
    at: datetime
    actor: str | None
    action: str
    object_type: str | None
    object_id: str | None
    detail: dict[str, Any]
    ip: str | None


def record_audit(
    session: Session,
    action: str,
    *,
    user_id: int | None = None,
    actor: str | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    detail: dict[str, Any] | None = None,
    ip: str | None = None,
) -> None:
    session.add(
        AuditLog(
            at=utcnow(),
            user_id=user_id,
            actor=actor[:100] if actor else None,
            action=action,
            object_type=object_type,
            object_id=object_id,
            detail=detail or {},
            ip=ip,
        )
    )
    session.flush()


def recent_audit(
    session: Session, limit: int = 200, actions: Sequence[str] = ()
) -> list[AuditEntry]:
    query = select(AuditLog).order_by(AuditLog.id.desc()).limit(limit)
    if actions:
        query = query.where(or_(*(AuditLog.action.startswith(a) for a in actions)))
    return [
        AuditEntry(a.at, a.actor, a.action, a.object_type, a.object_id, a.detail or {}, a.ip)
        for a in session.scalars(query)
    ]
