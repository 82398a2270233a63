"""Issue #15 item 2: server-side sessions that end. Every test replays a cookie copied
before the event and checks the app no longer honours it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from cohesion.review.app import SESSION_COOKIE
from cohesion.store.engine import session_scope
from cohesion.store.models import ReviewSession
from cohesion.store.types import utcnow
from fastapi import FastAPI
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from tests.review.client import AppClient
from tests.review.seed import ANALYST


@pytest.fixture
def replay(app: FastAPI) -> Iterator[AppClient]:
    client = AppClient(app)
    yield client
    client.close()


def _copy_cookie(source: AppClient, target: AppClient) -> None:
    target.cookies.set(SESSION_COOKIE, source.cookies[SESSION_COOKIE])


def _works(client: AppClient) -> bool:
    """The session reads the queue, exports CSV and may act (its CSRF token is served)."""
    queue = client.get("/queue")
    export = client.get("/export.csv")
    if (queue.status_code, export.status_code) == (200, 200):
        return True
    assert queue.status_code == 303 and queue.headers["location"].startswith("/login")
    assert export.status_code == 303
    return False


def test_logout_ends_the_session_for_every_copy(analyst: AppClient, replay: AppClient) -> None:
    _copy_cookie(analyst, replay)
    assert _works(replay)
    token = analyst.csrf("/queue")
    assert analyst.post("/logout", data={"csrf_token": token}).status_code == 303
    assert not _works(replay)
    decided = replay.post("/logout", data={"csrf_token": token})
    assert decided.status_code == 401


def test_disable_and_enable_end_sessions(admin: AppClient, analyst: AppClient,
                                         replay: AppClient) -> None:  # fmt: skip
    _copy_cookie(analyst, replay)
    token = admin.csrf("/admin/users")
    admin.post(f"/admin/users/{ANALYST[0]}/disable", data={"csrf_token": token})
    assert not _works(replay)
    admin.post(f"/admin/users/{ANALYST[0]}/enable", data={"csrf_token": token})
    assert not _works(replay)  # the old cookie does not come back with the account
    assert not _works(analyst)
    assert analyst.login(*ANALYST).status_code == 303 and _works(analyst)


def test_an_expired_session_ends(sessions: sessionmaker[Session], analyst: AppClient) -> None:
    assert _works(analyst)
    with session_scope(sessions) as s:
        s.execute(update(ReviewSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert not _works(analyst)


def test_the_store_holds_no_usable_cookie(sessions: sessionmaker[Session], analyst: AppClient,
                                          app: FastAPI) -> None:  # fmt: skip
    with session_scope(sessions) as s:
        rows = list(s.scalars(select(ReviewSession)))
    assert len(rows) == 1 and len(rows[0].token_hash) == 64
    # A second login opens a second session; ending one leaves the other.
    second = AppClient(app)
    assert second.login(*ANALYST).status_code == 303
    token = analyst.csrf("/queue")
    analyst.post("/logout", data={"csrf_token": token})
    assert _works(second) and not _works(analyst)
    second.close()
