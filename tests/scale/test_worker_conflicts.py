"""Concurrent workers on PostgreSQL: the lock modes and the retry of transient conflicts.

A claim locks its posts; another worker writing classifications for posts it claimed
earlier must not wait on that lock (its foreign-key check takes FOR KEY SHARE on the
post). And when PostgreSQL does break a deadlock, the worker runs the rolled-back
transaction again instead of dying.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from cohesion.jobs import classify as classify_job
from cohesion.store.claims import claim_batch, is_retryable
from cohesion.store.classifications import (
    ClassificationRecord,
    register_model_version,
    save_classifications,
)
from cohesion.store.engine import make_session_factory, session_scope
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session

from tests.scale.workers import scalar, seed_posts

pytestmark = pytest.mark.postgres


def _version(engine: Engine) -> int:
    with session_scope(make_session_factory(engine)) as session:
        return register_model_version(
            session, "m-1", path=None, training_summary={}, metrics={}, thresholds={}
        ).id


def test_writing_classifications_does_not_wait_on_another_workers_claim_lock(
    pg_engine: Engine,
) -> None:
    seed_posts(pg_engine, 3)
    version = _version(pg_engine)
    sessions = make_session_factory(pg_engine)
    claimer = sessions()
    try:
        # The claim transaction is still open: its row locks on the posts are held.
        claimed = claim_batch(claimer, version, "a", 3, 600)
        assert len(claimed) == 3
        with session_scope(sessions) as writer:
            writer.execute(text("SET LOCAL lock_timeout = '2s'"))  # a wait fails, never hangs
            record = ClassificationRecord(
                post_id=claimed[0].id, flags=["hate"], scores={"hate": 0.9}
            )
            assert save_classifications(writer, version, [record]) == 1
    finally:
        claimer.rollback()
        claimer.close()
    assert scalar(pg_engine, "SELECT count(*) FROM classifications") == 1


def _real_deadlock(engine: Engine) -> DBAPIError:
    """Two transactions that lock two rows in opposite orders; PostgreSQL kills one."""
    seed_posts(engine, 2)
    with engine.connect() as connection:
        first, second = connection.execute(text("SELECT id FROM posts ORDER BY id")).scalars()
    errors: list[DBAPIError] = []
    both_hold_one = threading.Barrier(2)

    def lock(mine: int, theirs: int) -> None:
        with engine.connect() as connection:
            try:
                connection.execute(
                    text("SELECT 1 FROM posts WHERE id = :i FOR UPDATE"), {"i": mine}
                )
                both_hold_one.wait(timeout=10)
                connection.execute(
                    text("SELECT 1 FROM posts WHERE id = :i FOR UPDATE"), {"i": theirs}
                )
            except DBAPIError as error:
                errors.append(error)
            finally:
                connection.rollback()

    threads = [
        threading.Thread(target=lock, args=(first, second)),
        threading.Thread(target=lock, args=(second, first)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(errors) == 1, errors
    return errors[0]


def test_a_real_deadlock_is_recognised_as_retryable(pg_engine: Engine) -> None:
    error = _real_deadlock(pg_engine)
    assert isinstance(error, OperationalError)
    assert is_retryable(error)


def test_other_database_errors_are_not_retried(pg_engine: Engine) -> None:
    with pytest.raises(DBAPIError) as caught, pg_engine.connect() as connection:
        connection.execute(text("SELECT * FROM no_such_table"))
    assert not is_retryable(caught.value)


class _Runtime:
    def __init__(self, engine: Engine) -> None:
        self.sessions = make_session_factory(engine)


def test_the_worker_runs_a_deadlocked_transaction_again(pg_engine: Engine) -> None:
    deadlock = _real_deadlock(pg_engine)
    calls: list[int] = []

    def work(session: Session) -> int:
        calls.append(1)
        if len(calls) < 3:
            raise deadlock
        return int(session.execute(text("SELECT count(*) FROM posts")).scalar_one())

    runtime: Any = _Runtime(pg_engine)
    assert classify_job._retrying(runtime, work) == 2
    assert len(calls) == 3


def test_the_worker_gives_up_after_its_attempts_and_on_other_errors(pg_engine: Engine) -> None:
    deadlock = _real_deadlock(pg_engine)
    runtime: Any = _Runtime(pg_engine)
    calls: list[int] = []

    def always_deadlocked(_session: Session) -> None:
        calls.append(1)
        raise deadlock

    with pytest.raises(OperationalError):
        classify_job._retrying(runtime, always_deadlocked, attempts=3)
    assert len(calls) == 3

    calls.clear()

    def broken(session: Session) -> None:
        calls.append(1)
        session.execute(text("SELECT * FROM no_such_table"))

    with pytest.raises(DBAPIError):
        classify_job._retrying(runtime, broken)
    assert len(calls) == 1  # not a conflict: no second try
