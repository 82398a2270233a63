"""Server-side review-app sessions: opened at login, checked on every request, ended by
logout, expiry, or any change to the account (disable, password, role).

The signed cookie holds a random token; the table keeps its SHA-256 only. The caller
owns the transaction.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from cohesion.store.models import ReviewSession
from cohesion.store.types import utcnow
from sqlalchemy import delete, select
from sqlalchemy.orm import Session


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def open_session(session: Session, user_id: int, hours: float) -> str:
    """A new session for `user_id`; returns the token for the cookie. Expired rows of
    every account are deleted here, so the table stays as small as the live sessions."""
    now = utcnow()
    session.execute(delete(ReviewSession).where(ReviewSession.expires_at <= now))
    token = secrets.token_urlsafe(32)
    session.add(
        ReviewSession(
            token_hash=_digest(token),
            user_id=user_id,
            created_at=now,
            expires_at=now + timedelta(hours=hours),
        )
    )
    session.flush()
    return token


def session_user(session: Session, token: str, max_hours: float) -> int | None:
    """The account a live session belongs to, or None (unknown, ended or expired).

    A session also ends `max_hours` after it opened, so lowering review.session_hours
    shortens the sessions already open."""
    row = session.scalar(select(ReviewSession).where(ReviewSession.token_hash == _digest(token)))
    now = utcnow()
    if row is None or row.expires_at <= now or row.created_at + timedelta(hours=max_hours) <= now:
        return None
    return row.user_id


def end_session(session: Session, token: str) -> None:
    session.execute(delete(ReviewSession).where(ReviewSession.token_hash == _digest(token)))


def end_user_sessions(session: Session, user_id: int) -> int:
    """End every session of one account; returns how many were open."""
    result = session.execute(delete(ReviewSession).where(ReviewSession.user_id == user_id))
    return int(getattr(result, "rowcount", 0) or 0)
