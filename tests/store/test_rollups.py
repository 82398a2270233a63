"""Trend rollups (store/rollups.py) read exactly what the direct queries read (both backends).

The constructed dataset of tests/reports/dataset.py is read both ways, then again after
each kind of change that makes a week stale: a review, a new classification batch
(with new posts), a purge and a newly activated model.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cohesion import weeks as isoweeks
from cohesion.reports import trends as report_trends
from cohesion.store import decisions, rollups, trends
from cohesion.store.classifications import (
    ClassificationRecord,
    register_model_version,
    save_classifications,
)
from cohesion.store.engine import session_scope
from cohesion.store.models import Post, TrendDirtyWeek, TrendRollupWeek
from cohesion.store.retention import purge
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from tests.reports import dataset as ds

W47 = ds.WEEK
FIRST = ds.BASELINE[0] - timedelta(weeks=trends.BASELINE_WEEKS)  # includes empty weeks
LAST = W47 + timedelta(weeks=1)


@pytest.fixture
def data(sessions: sessionmaker[Session]) -> ds.Dataset:
    return ds.build(sessions)


def _assert_same(sessions: sessionmaker[Session], model_id: int) -> dict[str, trends.Series]:
    """Every series the report and `cohesion trends` read: rollup == direct."""
    read: dict[str, trends.Series] = {}
    with session_scope(sessions) as session:
        for by in trends.DIMENSIONS:
            for first, last in ((FIRST, LAST), (W47, W47), (ds.BASELINE[1], ds.BASELINE[2])):
                rolled = trends.series_for(session, model_id, by, first, last)
                direct = trends.series_for(session, model_id, by, first, last, direct=True)
                assert rolled == direct, (by, first, last)
            read[by] = trends.series_for(session, model_id, by, FIRST, LAST)
            shown = isoweeks.week_range(W47, 5)
            assert report_trends.trend_rows(
                session, model_id, by, shown, 3.0, 5
            ) == report_trends.trend_rows(session, model_id, by, shown, 3.0, 5, direct=True)
        rolled_sources = trends.source_weeks(session, model_id, FIRST, LAST)
        assert rolled_sources == trends.source_weeks(session, model_id, FIRST, LAST, direct=True)
        assert rolled_sources  # the dataset has posts in these weeks
        assert session.scalar(select(func.count()).select_from(TrendDirtyWeek)) == 0
    return read


def _built(sessions: sessionmaker[Session], model_id: int) -> int:
    with session_scope(sessions) as session:
        return (
            session.scalar(
                select(func.count())
                .select_from(TrendRollupWeek)
                .where(TrendRollupWeek.model_version_id == model_id)
            )
            or 0
        )


def test_rollup_series_equal_direct_series_through_changes(
    sessions: sessionmaker[Session], data: ds.Dataset
) -> None:
    before = _assert_same(sessions, data.model_id)
    weeks = (LAST - FIRST).days // 7 + 1
    assert _built(sessions, data.model_id) == weeks
    with session_scope(sessions) as session:  # all built and clean: nothing to recompute
        assert rollups.refresh(session, data.model_id, isoweeks.week_range(LAST, weeks)) == 0

    # A review: rejecting c0 (hate by the model) takes one hate flag off W47.
    from cohesion.store import users

    with session_scope(sessions) as session:
        user = users.create_user(session, "ana", "hash", "analyst")
        decisions.record_decision(
            session,
            post_id=data.post_ids["c0"],
            user_id=user.id,
            actor="ana",
            decision="reject",
        )
        assert session.scalar(select(func.count()).select_from(TrendDirtyWeek)) == 1
    after_review = _assert_same(sessions, data.model_id)
    assert after_review["label"].get(W47, "hate")[0] == before["label"].get(W47, "hate")[0] - 1

    # A new classification batch (new posts of W47, flagged hate against a new target).
    when = datetime(2026, 11, 18, 15, tzinfo=UTC)
    ds.add(
        sessions,
        data,
        [ds.Spec(f"n{i}", "news-rss", f"N{i}", ("hate",), ("roma",)) for i in range(3)],
        when,
    )
    after_batch = _assert_same(sessions, data.model_id)
    assert after_batch["target"].get(W47, "roma") == (
        3,
        after_review["label"].get(W47, "any")[1] + 3,
    )

    # A purge of everything older than W47 (the report week stays).
    with session_scope(sessions) as session:
        now = datetime.combine(W47, datetime.min.time(), ds.ZONE).astimezone(UTC)
        result = purge(session, data.model_id, 0, 0, now=now)
        assert result.posts > 0
    after_purge = _assert_same(sessions, data.model_id)
    assert after_purge["label"].get(ds.BASELINE[0], "any") == (0, 0)
    assert after_purge["label"].get(W47, "any") == after_batch["label"].get(W47, "any")


def test_a_new_model_has_its_own_rollup(sessions: sessionmaker[Session], data: ds.Dataset) -> None:
    old = _assert_same(sessions, data.model_id)
    with session_scope(sessions) as session:
        model = register_model_version(
            session, "test.v2", path=None, training_summary={}, metrics={}, thresholds={}
        )
        new_id = model.id
        posts = session.scalars(select(Post.id).where(Post.week_start == W47)).all()
        save_classifications(
            session,
            new_id,
            [ClassificationRecord(post_id, ["threat"], {"threat": 0.9}) for post_id in posts[:5]],
        )
    assert _built(sessions, new_id) == 0
    series = _assert_same(sessions, new_id)
    assert series["label"] != old["label"]
    assert _built(sessions, new_id) > 0
    _assert_same(sessions, data.model_id)  # the old model's rollup is still right


def test_no_active_model_reads_direct(sessions: sessionmaker[Session]) -> None:
    with session_scope(sessions) as session:
        assert not rollups.ensure(session, None, FIRST, LAST)
        assert trends.label_series(session, None, FIRST, LAST) == trends.label_series(
            session, None, FIRST, LAST, direct=True
        )
        assert session.scalar(select(func.count()).select_from(TrendRollupWeek)) == 0


def test_a_concurrent_refresh_falls_back_to_direct(
    sessions: sessionmaker[Session], data: ds.Dataset
) -> None:
    # Weeks recorded as built but with their rows missing, then a "concurrent" build:
    # the refresh hits the primary key, rolls back to its savepoint and reports -1.
    with session_scope(sessions) as session:
        assert rollups.refresh(session, data.model_id, [W47]) == 1
    with session_scope(sessions) as session:
        session.execute(delete(TrendRollupWeek).where(TrendRollupWeek.week_start == W47))
    with session_scope(sessions) as session:
        assert rollups.refresh(session, data.model_id, [W47]) == -1
        assert trends.label_series(session, data.model_id, W47, W47) == trends.label_series(
            session, data.model_id, W47, W47, direct=True
        )


# PostgreSQL only: SQLite serialises writers itself (BEGIN IMMEDIATE).
@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_one_refresh_at_a_time_on_postgresql(
    sessions: sessionmaker[Session], data: ds.Dataset
) -> None:
    with session_scope(sessions) as holder, session_scope(sessions) as other:
        assert rollups.refresh(holder, data.model_id, [W47]) == 1  # holds the lock
        assert rollups.refresh(other, data.model_id, [W47]) == -1
        assert trends.label_series(other, data.model_id, W47, W47) == trends.label_series(
            holder, data.model_id, W47, W47
        )
    with session_scope(sessions) as session:  # released at commit
        assert rollups.refresh(session, data.model_id, [W47]) == 0
