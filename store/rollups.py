"""Trend rollups: the weekly counts behind the trend series, refreshed incrementally.

The series of store/trends.py (labels, targets, narratives, threat targets, sources)
count a range of weeks from the effective labels of store/effective.py. Computed
directly, that query reads every post of the range and every review, so it grows with
the store. The rollup keeps its result per (model version, week):

- `trend_weekly`: flagged posts per week, dimension ("label" with one key per label
  and "any"; "target", "narrative", "threat_target" with one key per tag value) and key;
- `trend_weekly_posts`: posts collected, assessed and flagged per week and source;
- `trend_rollup_weeks`: the (model version, week) pairs built.

Whatever changes a week's effective labels marks the week dirty in the same
transaction (`mark_weeks` / `mark_posts`, one INSERT of the distinct weeks): storing new
posts (store.posts.upsert_posts), writing classifications (save_classifications),
recording a review (decisions.record_decision), purging posts (retention.purge).
A mark holds for every model version. A model with no rollup yet (a newly activated
one) simply has no built weeks.

`refresh()` first applies the pending marks (drops the built rows of those weeks and
deletes exactly the marks it read, so a mark written by a transaction still in flight
survives for the next refresh), then recomputes the requested weeks that are not built,
with the very queries of store/effective.py, and records them as built. `ensure()` is
what the trend series call before reading the rollup; it returns False when the rollup
cannot be used (no active model, or another transaction is refreshing), and the series
then fall back to the direct query. On PostgreSQL one transaction refreshes at a time (an
advisory lock held until it commits; the others read directly instead of waiting).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import date, timedelta

from cohesion.store.effective import TAG_KINDS, effective_labels, effective_tags, flag_sum
from cohesion.store.models import (
    Post,
    TrendDirtyWeek,
    TrendRollupWeek,
    TrendWeekly,
    TrendWeeklyPosts,
)
from cohesion.store.types import utcnow
from cohesion.taxonomy import LABELS
from sqlalchemy import Integer, delete, func, insert, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

ANY_LABEL = "any"
# One refresh at a time on PostgreSQL (held to the end of the refreshing transaction):
# a refresh that consumed a mark while another was still building that week could
# otherwise let the other's stale rows stand. SQLite serialises writers already (a
# refresh on an outdated snapshot fails with "database is locked" and reads directly).
_LOCK_KEY = 0x636F_6865_7472_6E64  # "cohetrnd"
# Ids or weeks per IN list: far below SQLite's and PostgreSQL's bind-parameter limits.
_CHUNK = 5000


def _chunks(values: Sequence[object]) -> Iterable[Sequence[object]]:
    for offset in range(0, len(values), _CHUNK):
        yield values[offset : offset + _CHUNK]


# --- marking weeks dirty -------------------------------------------------------------


def mark_weeks(session: Session, weeks: Iterable[date | None]) -> None:
    """Mark weeks whose effective labels changed (for every model version)."""
    distinct = sorted({week for week in weeks if week is not None})
    if distinct:
        session.execute(insert(TrendDirtyWeek), [{"week_start": week} for week in distinct])


def mark_posts(session: Session, post_ids: Iterable[int]) -> None:
    """Mark the weeks of these posts dirty."""
    ids = sorted(set(post_ids))
    weeks: set[date] = set()
    for chunk in _chunks(ids):
        weeks.update(session.scalars(select(Post.week_start).where(Post.id.in_(chunk)).distinct()))
    mark_weeks(session, weeks)


# --- refreshing ----------------------------------------------------------------------


def _apply_marks(session: Session) -> None:
    marks = session.execute(select(TrendDirtyWeek.id, TrendDirtyWeek.week_start)).all()
    if not marks:
        return
    weeks = sorted({week for _, week in marks})
    for chunk in _chunks(weeks):
        for table in (TrendRollupWeek, TrendWeekly, TrendWeeklyPosts):
            session.execute(
                delete(table).where(table.week_start.in_(chunk)),
                execution_options={"synchronize_session": False},
            )
    for chunk in _chunks([mark_id for mark_id, _ in marks]):
        session.execute(
            delete(TrendDirtyWeek).where(TrendDirtyWeek.id.in_(chunk)),
            execution_options={"synchronize_session": False},
        )


def _runs(weeks: Iterable[date]) -> list[tuple[date, date]]:
    """Sorted weeks as (first, last) runs of consecutive weeks."""
    runs: list[tuple[date, date]] = []
    for week in sorted(set(weeks)):
        if runs and week - runs[-1][1] == timedelta(weeks=1):
            runs[-1] = (runs[-1][0], week)
        else:
            runs.append((week, week))
    return runs


def _build(session: Session, model_id: int, first: date, last: date) -> None:
    """Insert the rollup rows of the weeks first..last (none of them built yet).

    Two passes over the effective labels of those weeks: per-source volumes with the
    per-label flags (summed per week here for the label rows), and the tags.
    """
    dialect = session.get_bind().dialect.name
    e = effective_labels(dialect, model_id, first, last)
    posts = session.execute(
        select(
            e.c.week_start,
            e.c.source_id,
            e.c.platform,
            func.count(),
            func.coalesce(func.sum(e.c.assessed), 0).cast(Integer),
            flag_sum(e),
            *(flag_sum(e, label) for label in LABELS),
        ).group_by(e.c.week_start, e.c.source_id, e.c.platform)
    ).all()
    per_week: dict[date, list[int]] = {}
    for week, _, _, _, _, flagged, *per_label in posts:
        sums = per_week.setdefault(week, [0] * (len(LABELS) + 1))
        for n, count in enumerate((*per_label, flagged)):
            sums[n] += int(count or 0)
    if posts:
        session.execute(
            insert(TrendWeeklyPosts),
            [
                {
                    "model_version_id": model_id,
                    "week_start": week,
                    "source_id": source_id,
                    "platform": platform,
                    "collected": int(collected),
                    "assessed": int(assessed or 0),
                    "flagged": int(flagged or 0),
                }
                for week, source_id, platform, collected, assessed, flagged, *_ in posts
            ],
        )
    rows = [
        _row(model_id, week, "label", key, count)
        for week, sums in per_week.items()
        for key, count in zip((*LABELS, ANY_LABEL), sums, strict=True)
    ]
    tags = effective_tags(dialect, e)
    counts = (
        select(
            tags.c.week_start, tags.c.kind, tags.c.value, func.count(func.distinct(tags.c.post_id))
        )
        .where(tags.c.kind.in_(TAG_KINDS))
        .group_by(tags.c.week_start, tags.c.kind, tags.c.value)
    )
    for week, kind, value, count in session.execute(counts):
        rows.append(_row(model_id, week, kind, value, count))
    if rows:
        session.execute(insert(TrendWeekly), rows)
    weeks = [first + timedelta(weeks=n) for n in range((last - first).days // 7 + 1)]
    now = utcnow()
    session.execute(
        insert(TrendRollupWeek),
        [{"model_version_id": model_id, "week_start": w, "refreshed_at": now} for w in weeks],
    )


def _row(
    model_id: int, week: date, dimension: str, key: str, count: int | None
) -> dict[str, object]:
    return {
        "model_version_id": model_id,
        "week_start": week,
        "dimension": dimension,
        "key": key,
        "flagged": int(count or 0),
    }


def _built(session: Session, model_id: int, weeks: Sequence[date]) -> set[date]:
    query = select(TrendRollupWeek.week_start).where(TrendRollupWeek.model_version_id == model_id)
    if weeks:
        query = query.where(TrendRollupWeek.week_start.between(min(weeks), max(weeks)))
    return set(session.scalars(query))


def refresh(session: Session, model_version_id: int, weeks: Iterable[date] | None = None) -> int:
    """Bring the rollup of `weeks` (default: every week with posts) up to date.

    Returns how many weeks were recomputed, or -1 when it could not: another
    transaction holds the refresh lock (PostgreSQL) or wrote the same weeks first, or
    SQLite refused the write (an outdated snapshot); this session's changes are then
    rolled back to a savepoint and the caller reads directly. The caller commits, which
    also releases the lock.
    """
    if session.get_bind().dialect.name == "postgresql" and not session.scalar(
        select(func.pg_try_advisory_xact_lock(_LOCK_KEY))
    ):
        return -1  # another transaction is refreshing: read directly rather than wait
    try:
        with session.begin_nested():
            _apply_marks(session)
            if weeks is None:
                wanted = set(session.scalars(select(Post.week_start).distinct()))
            else:
                wanted = set(weeks)
            missing = wanted - _built(session, model_version_id, sorted(wanted))
            for first, last in _runs(missing):
                _build(session, model_version_id, first, last)
            return len(missing)
    except (IntegrityError, OperationalError):  # see the docstring
        log.info("trend rollup of model %s refreshed concurrently", model_version_id)
        return -1


def ensure(session: Session, model_version_id: int | None, first: date, last: date) -> bool:
    """Refresh the weeks first..last for reading; False: read the direct query instead."""
    if model_version_id is None or last < first:
        return False
    weeks = [first + timedelta(weeks=n) for n in range((last - first).days // 7 + 1)]
    return refresh(session, model_version_id, weeks) >= 0


# --- reading -------------------------------------------------------------------------


def weekly_counts(
    session: Session, model_version_id: int, dimension: str, first: date, last: date
) -> list[tuple[date, str, int]]:
    """(week, key, flagged) rows of one dimension over first..last."""
    query = select(TrendWeekly.week_start, TrendWeekly.key, TrendWeekly.flagged).where(
        TrendWeekly.model_version_id == model_version_id,
        TrendWeekly.dimension == dimension,
        TrendWeekly.week_start.between(first, last),
    )
    return [(week, key, int(flagged)) for week, key, flagged in session.execute(query)]


def weekly_assessed(
    session: Session, model_version_id: int, first: date, last: date
) -> dict[date, int]:
    """Week -> assessed posts, for the weeks with posts in first..last."""
    query = (
        select(TrendWeeklyPosts.week_start, func.sum(TrendWeeklyPosts.assessed).cast(Integer))
        .where(
            TrendWeeklyPosts.model_version_id == model_version_id,
            TrendWeeklyPosts.week_start.between(first, last),
        )
        .group_by(TrendWeeklyPosts.week_start)
    )
    return {week: int(n or 0) for week, n in session.execute(query)}
