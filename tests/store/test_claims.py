"""Classification leases on PostgreSQL: SKIP LOCKED, expiry and take-over."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from cohesion.store.claims import claim_batch, release, still_held
from cohesion.store.classifications import (
    ClassificationRecord,
    register_model_version,
    save_classifications,
)
from cohesion.store.engine import make_engine, make_session_factory, session_scope
from cohesion.store.migrate import upgrade
from cohesion.store.posts import PostRecord, upsert_posts
from sqlalchemy import create_engine
from sqlalchemy.orm import Session, sessionmaker

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg(postgres_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(postgres_url)
    upgrade(engine)
    factory = make_session_factory(engine)
    with session_scope(factory) as session:
        upsert_posts(
            session,
            [
                PostRecord(
                    platform="rss",
                    external_id=str(i),
                    text=f"post {i}",
                    created_at=datetime(2026, 11, 18, tzinfo=UTC),
                )
                for i in range(10)
            ],
        )
        register_model_version(
            session, "m-1", path=None, training_summary={}, metrics={}, thresholds={}
        )
    yield factory
    engine.dispose()


def test_concurrent_claims_skip_each_others_rows(pg: sessionmaker[Session]) -> None:
    first = pg()
    second = pg()
    try:
        a = claim_batch(first, 1, "a", 4, lease_seconds=60)
        # first's transaction is still open: its rows are locked, second skips them.
        b = claim_batch(second, 1, "b", 4, lease_seconds=60)
        assert {p.id for p in a}.isdisjoint({p.id for p in b})
        assert len(a) == 4 and len(b) == 4
        first.commit()
        second.commit()
        with pg() as third:
            c = claim_batch(third, 1, "c", 10, lease_seconds=60)
            third.commit()
        assert len(c) == 2  # only the unclaimed remainder
    finally:
        first.close()
        second.close()


def test_expired_claim_is_taken_over_and_the_late_worker_writes_nothing(
    pg: sessionmaker[Session],
) -> None:
    with session_scope(pg) as session:
        crashed = [p.id for p in claim_batch(session, 1, "crashed", 3, lease_seconds=60)]
    with session_scope(pg) as session:
        # With a zero lease every claim counts as expired.
        taken = [p.id for p in claim_batch(session, 1, "rescuer", 3, lease_seconds=0)]
    assert taken == crashed
    with session_scope(pg) as session:
        assert still_held(session, 1, "crashed", crashed) == set()
        assert still_held(session, 1, "rescuer", taken) == set(taken)
        save_classifications(
            session, 1, [ClassificationRecord(post_id=i, flags=[], scores={}) for i in taken]
        )
        release(session, 1, "rescuer", taken)
    with session_scope(pg) as session:
        remaining = claim_batch(session, 1, "next", 100, lease_seconds=60)
    assert {p.id for p in remaining}.isdisjoint(taken)
    assert len(remaining) == 7


def test_claims_refuse_sqlite(tmp_path) -> None:  # type: ignore[no-untyped-def]
    engine = create_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with Session(engine) as session, pytest.raises(NotImplementedError, match="PostgreSQL"):
        claim_batch(session, 1, "w", 1, 60)
    engine.dispose()
