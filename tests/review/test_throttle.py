"""Issue #15 item 3: login throttling per account, per address and globally, with a
bounded number of password checks per second; one audit row per blocked window; an
unknown username never stored as typed. A fake clock drives every window."""

from __future__ import annotations

from typing import Any

import pytest
from cohesion.review.throttle import LoginThrottle
from cohesion.store.engine import session_scope
from cohesion.store.models import AuditLog
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.review.client import AppClient
from tests.review.seed import ADMIN, ANALYST


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _throttle(clock: Clock, **limits: Any) -> LoginThrottle:
    limits.setdefault("checks_per_second", 1_000_000)  # the budget has a test of its own
    return LoginThrottle(clock=clock, **limits)


def _fail(throttle: LoginThrottle, username: str, address: str, times: int) -> None:
    for _ in range(times):
        assert throttle.check(username, address).allowed
        throttle.failed(username, address)


def test_per_account_and_address_then_the_window_passes() -> None:
    clock = Clock()
    throttle = _throttle(clock)
    _fail(throttle, "Maria", "10.0.0.1", 5)
    verdict = throttle.check("maria ", "10.0.0.1")  # case and spaces do not matter
    assert not verdict.allowed and verdict.reason == "account and address"
    assert verdict.report and verdict.retry_after == 15 * 60 + 1
    assert not throttle.check("maria", "10.0.0.1").report  # reported once per window
    assert throttle.check("maria", "10.0.0.2").allowed  # another address
    clock.now += 15 * 60
    assert throttle.check("maria", "10.0.0.1").allowed


def test_per_account_from_many_addresses() -> None:
    throttle = _throttle(Clock())
    for n in range(20):
        _fail(throttle, "admin", f"10.0.{n}.1", 1)
    verdict = throttle.check("admin", "192.0.2.7")
    assert not verdict.allowed and verdict.reason == "account"
    assert throttle.check("maria", "192.0.2.7").allowed


def test_per_address_over_many_usernames() -> None:
    throttle = _throttle(Clock())
    for n in range(50):
        _fail(throttle, f"user{n}", "10.0.0.1", 1)
    verdict = throttle.check("someone-else", "10.0.0.1")
    assert not verdict.allowed and verdict.reason == "address"
    assert throttle.check("someone-else", "10.0.0.2").allowed


def test_a_success_clears_only_its_own_pair() -> None:
    throttle = _throttle(Clock(), per_account=6)
    _fail(throttle, "maria", "10.0.0.1", 4)
    throttle.succeeded("maria", "10.0.0.1")
    _fail(throttle, "maria", "10.0.0.1", 2)
    assert not throttle.check("maria", "10.0.0.9").allowed  # the account saw 6 failures


def test_password_checks_per_second_are_bounded() -> None:
    clock = Clock()
    throttle = LoginThrottle(clock=clock, checks_per_second=4)
    allowed = reports = 0
    for step in range(10_000):  # 1,000 attempts a second for 10 s, all different names
        clock.now = 1000.0 + step / 1000
        verdict = throttle.check(f"name{step}", f"10.{step % 250}.0.1")
        allowed += verdict.allowed
        reports += verdict.report
        if not verdict.allowed:
            assert verdict.reason == "busy"
    assert 40 <= allowed <= 44  # 4 a second, plus the first second's full bucket
    assert reports == 1  # one audit row for the busy minute


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def timed_app(sessions: sessionmaker[Session], world: object, clock: Clock) -> FastAPI:
    from cohesion.review.app import create_app

    from tests.review.conftest import SECRET

    return create_app(sessions, secret=SECRET, throttle=_throttle(clock))


def _audit(sessions: sessionmaker[Session], action: str) -> list[AuditLog]:
    with session_scope(sessions) as s:
        return list(s.scalars(select(AuditLog).where(AuditLog.action == action)))


def test_a_blocked_window_writes_one_audit_row(
    timed_app: FastAPI, sessions: sessionmaker[Session], clock: Clock
) -> None:
    client = AppClient(timed_app)
    for _ in range(5):
        assert client.login(ANALYST[0], "wrong password").status_code == 401
    for _ in range(40):
        refused = client.login(*ANALYST)
        assert refused.status_code == 429 and refused.headers["retry-after"] == "901"
    blocked = _audit(sessions, "login.blocked")
    assert len(blocked) == 1 and blocked[0].actor == ANALYST[0]
    assert blocked[0].detail["limit"] == "account and address"
    clock.now += 15 * 60
    assert client.login(ANALYST[0], "wrong password").status_code == 401
    for _ in range(4):
        client.login(ANALYST[0], "wrong password")
    assert client.login(*ANALYST).status_code == 429
    assert len(_audit(sessions, "login.blocked")) == 2  # a new window, a new row
    client.close()


def test_an_unknown_username_is_not_stored_as_typed(
    timed_app: FastAPI, sessions: sessionmaker[Session]
) -> None:
    client = AppClient(timed_app)
    typed = "My-Secret-Passw0rd!"  # a password typed into the username field
    for _ in range(6):
        client.login(typed, "whatever")
    client.login(ADMIN[0], "wrong")
    with session_scope(sessions) as s:
        rows = list(s.scalars(select(AuditLog)))
    assert not any(typed.lower() in repr((r.actor, r.object_id, r.detail)).lower() for r in rows)
    unknown = [r for r in rows if r.actor == "<unknown>"]
    assert {r.action for r in unknown} == {"login.failed", "login.blocked"}
    assert len({r.detail["username_hash"] for r in unknown}) == 1  # same name, same hash
    assert [r.actor for r in rows if r.detail.get("reason") == "bad password"] == [ADMIN[0]]
    client.close()
