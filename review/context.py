"""What every request handler reaches through `request.app.state.ctx`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from cohesion.config import CoordinationSettings
from cohesion.review.retrain import RetrainManager
from cohesion.review.throttle import LoginThrottle
from cohesion.store.engine import session_scope
from cohesion.store.events import CalendarEvent
from cohesion.store.privacy import PostPrivacy
from fastapi import Request
from sqlalchemy.orm import Session, sessionmaker


@dataclass
class AppContext:
    sessions: sessionmaker[Session]
    throttle: LoginThrottle
    retrain: RetrainManager
    session_hours: int
    username_key: bytes  # keys the hash of unknown usernames in the audit log
    locality: str = ""
    timezone: str = "UTC"  # the locality's: weeks start on Monday there
    # The config file's [[events]]; the app adds the stored ones when it draws charts.
    events: tuple[CalendarEvent, ...] = ()
    coordination: CoordinationSettings = field(default_factory=CoordinationSettings)
    # Posts in coordinated bursts per (weeks, posts fingerprint): finding bursts reads
    # and compares every post of the weeks (seconds at scale), the queue asks per page.
    burst_posts: dict[tuple[object, ...], frozenset[int]] = field(default_factory=dict)
    # Opens the sealed links to original posts (store/privacy.py); None: not available.
    privacy: PostPrivacy | None = None


def app_context(request: Request) -> AppContext:
    ctx: AppContext = request.app.state.ctx
    return ctx


@contextmanager
def db(request: Request) -> Iterator[Session]:
    """One transaction for the request's work: committed on success, else rolled back."""
    with session_scope(app_context(request).sessions) as session:
        yield session


def client_ip(request: Request) -> str:
    # The app binds to loopback by default and trusts no proxy header.
    return request.client.host if request.client else "unknown"
