"""Review-app accounts: what `cohesion user ...` and the admin page call."""

from __future__ import annotations

from cohesion.review.auth import hash_password
from cohesion.review.password_policy import check_password
from cohesion.store import audit, review_sessions, users
from cohesion.store.engine import session_scope
from cohesion.store.users import UserInfo
from sqlalchemy.orm import Session, sessionmaker


def add_user(
    sessions: sessionmaker[Session],
    username: str,
    password: str,
    role: str,
    *,
    actor: str = "cli",
    actor_id: int | None = None,
    ip: str | None = None,
) -> UserInfo:
    """Create an account (argon2 hash of the password) and audit it."""
    check_password(password, username)
    password_hash = hash_password(password)
    with session_scope(sessions) as session:
        user = users.create_user(session, username.strip(), password_hash, role)
        _audit(session, "user.create", user, {"role": role}, actor, actor_id, ip)
    return user


def set_disabled(
    sessions: sessionmaker[Session],
    username: str,
    disabled: bool,
    *,
    actor: str = "cli",
    actor_id: int | None = None,
    ip: str | None = None,
) -> UserInfo:
    """Disable (or re-enable) an account; its sessions end at once either way, so a
    cookie copied before a disable does not come back to life with the account."""
    with session_scope(sessions) as session:
        user = users.set_disabled(session, username, disabled)
        ended = review_sessions.end_user_sessions(session, user.id)
        _audit(
            session,
            "user.disable" if disabled else "user.enable",
            user,
            {"sessions_ended": ended},
            actor,
            actor_id,
            ip,
        )
    return user


def set_password(
    sessions: sessionmaker[Session],
    username: str,
    password: str,
    *,
    actor: str = "cli",
    actor_id: int | None = None,
    ip: str | None = None,
) -> UserInfo:
    """Give an account a new password (policy-checked); its sessions end at once."""
    with session_scope(sessions) as session:
        user = users.find_user(session, username)
        check_password(password, user.username)
        users.set_password_hash(session, user.id, hash_password(password))
        ended = review_sessions.end_user_sessions(session, user.id)
        _audit(session, "user.passwd", user, {"sessions_ended": ended}, actor, actor_id, ip)
    return user


def set_role(
    sessions: sessionmaker[Session],
    username: str,
    role: str,
    *,
    actor: str = "cli",
    actor_id: int | None = None,
    ip: str | None = None,
) -> UserInfo:
    """Change an account's role; its sessions end at once, so the new role holds from
    the next login and an old cookie keeps no admin rights."""
    with session_scope(sessions) as session:
        before = users.find_user(session, username)
        user = users.set_role(session, before.id, role)
        ended = review_sessions.end_user_sessions(session, user.id)
        _audit(
            session,
            "user.role",
            user,
            {"from": before.role, "to": role, "sessions_ended": ended},
            actor,
            actor_id,
            ip,
        )
    return user


def list_users(sessions: sessionmaker[Session]) -> list[UserInfo]:
    with session_scope(sessions) as session:
        return users.list_users(session)


def _audit(
    session: Session,
    action: str,
    user: UserInfo,
    detail: dict[str, object],
    actor: str,
    actor_id: int | None,
    ip: str | None,
) -> None:
    """The audit row of an account change, in the same transaction as the change."""
    audit.record_audit(session, action, user_id=actor_id, actor=actor, object_type="user",
                       object_id=user.username, detail=detail, ip=ip)  # fmt: skip
