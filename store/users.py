"""Review-app accounts: create, list, look up, disable (argon2 hashes come from review.auth).

Usernames are unique case-insensitively. The caller owns the transaction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from cohesion.store.models import ROLES, User
from cohesion.store.review_queries import ReviewInputError
from cohesion.store.types import utcnow
from sqlalchemy import func, select
from sqlalchemy.orm import Session

USERNAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,99}$")


@dataclass(slots=True, frozen=True)
class UserInfo:
    id: int
    username: str
    role: str
    disabled: bool
    created_at: datetime
    last_login: datetime | None


def _info(user: User) -> UserInfo:
    return UserInfo(
        user.id, user.username, user.role, user.disabled, user.created_at, user.last_login
    )


def create_user(session: Session, username: str, password_hash: str, role: str) -> UserInfo:
    if not USERNAME_PATTERN.match(username):
        raise ReviewInputError(
            "a username has 1-100 letters, digits or . _ @ - and starts with a letter or digit"
        )
    if role not in ROLES:
        raise ReviewInputError(f"unknown role {role!r} (use {', '.join(ROLES)})")
    if session.scalar(select(User.id).where(func.lower(User.username) == username.lower())):
        raise ReviewInputError(f"a user named {username!r} exists already")
    user = User(username=username, password_hash=password_hash, role=role, disabled=False)
    session.add(user)
    session.flush()
    return _info(user)


def list_users(session: Session) -> list[UserInfo]:
    return [_info(u) for u in session.scalars(select(User).order_by(User.username))]


def get_user(session: Session, user_id: int) -> UserInfo | None:
    user = session.get(User, user_id)
    return _info(user) if user else None


def credentials(session: Session, username: str) -> tuple[UserInfo, str] | None:
    """The user and their stored password hash, looked up case-insensitively."""
    user = session.scalar(select(User).where(func.lower(User.username) == username.lower()))
    return (_info(user), user.password_hash) if user else None


def find_user(session: Session, username: str) -> UserInfo:
    """The account named `username` (any case); LookupError when there is none."""
    found = credentials(session, username)
    if found is None:
        raise LookupError(f"no user named {username!r}")
    return found[0]


def set_role(session: Session, user_id: int, role: str) -> UserInfo:
    """Change a role; the last enabled admin cannot stop being one (nobody could manage
    accounts in the app any more)."""
    if role not in ROLES:
        raise ReviewInputError(f"unknown role {role!r} (use {', '.join(ROLES)})")
    user = session.get_one(User, user_id)
    if user.role == "admin" and role != "admin":
        admins = session.scalar(
            select(func.count()).where(User.role == "admin", User.disabled.is_(False))
        )
        if not user.disabled and (admins or 0) <= 1:
            raise ReviewInputError(f"{user.username} is the only admin; make another admin first")
    user.role = role
    return _info(user)


def set_password_hash(session: Session, user_id: int, password_hash: str) -> None:
    session.get_one(User, user_id).password_hash = password_hash


def mark_login(session: Session, user_id: int) -> None:
    session.get_one(User, user_id).last_login = utcnow()


def set_disabled(session: Session, username: str, disabled: bool) -> UserInfo:
    user = session.scalar(select(User).where(func.lower(User.username) == username.lower()))
    if user is None:
        raise LookupError(f"no user named {username!r}")
    user.disabled = disabled
    return _info(user)
