"""Weekly trend queries: volumes, flag rates, places, flagged posts per account.

Everything is counted per ISO week in the locality's time zone (`posts.week_start`,
the Monday of that week, computed when a post is stored) from the *effective labels*
of store/effective.py: the active model's classification, overridden by the latest
analyst review. All aggregation runs in SQL on SQLite and PostgreSQL alike.

The weekly series (`label_series`, `tag_series`, `source_weeks`, `source_series`) read
per-week counts from the trend rollup of store/rollups.py, recomputing a stale week
first from these same effective labels; `direct=True` (and no active model) counts
directly. Both give identical results (tests/store/test_rollups.py).

Rates are flagged posts per 1,000 *assessed* posts (posts the active model classified
or an analyst reviewed), so a classifier backlog does not read as a fall in hostility.
"Posts collected" counts every stored post.

The spike test on these series, the trend rows and the other statistics of the report
live beside the report code (reports/stats.py, reports/trends.py).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from cohesion.store import rollups
from cohesion.store.effective import effective_labels, effective_tags, flag_sum
from cohesion.store.health import BASELINE_WEEKS, collector_health, gap_weeks
from cohesion.store.models import Author, Classification, Post, Source, TrendWeeklyPosts
from cohesion.taxonomy import LABELS
from cohesion.weeks import weeks_between
from sqlalchemy import Integer, func, select
from sqlalchemy.orm import Session

DIMENSIONS: tuple[str, ...] = ("label", "target", "narrative", "threat_target", "source")
Dimension = Literal["label", "target", "narrative", "threat_target", "source"]
ANY_LABEL = "any"


# --- weeks -------------------------------------------------------------------------


# --- the spike test ----------------------------------------------------------------


# --- weekly series -----------------------------------------------------------------


@dataclass(slots=True)
class Series:
    """Weekly (flagged, posts) per key for one dimension, zero-filled."""

    dimension: str
    weeks: list[date]
    keys: list[str]
    flagged: dict[tuple[date, str], int] = field(default_factory=dict)
    posts: dict[tuple[date, str], int] = field(default_factory=dict)

    def get(self, week: date, key: str) -> tuple[int, int]:
        return self.flagged.get((week, key), 0), self.posts.get((week, key), 0)


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def active_model_id(session: Session) -> int | None:
    from cohesion.store.status import active_model

    model = active_model(session)
    return model.id if model else None


def label_series(
    session: Session, model_id: int | None, first: date, last: date, *, direct: bool = False
) -> Series:
    """Flagged posts per label (and "any") and assessed posts, per week.

    Read from the rollup (store/rollups.py), refreshed first where stale; `direct`
    (or no active model) counts from the effective labels instead, with equal results.
    """
    if not direct and rollups.ensure(session, model_id, first, last):
        assert model_id is not None
        series = Series("label", weeks_between(first, last), [*LABELS, ANY_LABEL])
        for week, key, flagged in rollups.weekly_counts(session, model_id, "label", first, last):
            series.flagged[(week, key)] = flagged
        _fill_posts(series, rollups.weekly_assessed(session, model_id, first, last))
        return series
    e = effective_labels(_dialect(session), model_id, first, last)
    query = select(
        e.c.week_start,
        func.sum(e.c.assessed).cast(Integer),
        flag_sum(e),
        *(flag_sum(e, label) for label in LABELS),
    ).group_by(e.c.week_start)
    series = Series("label", weeks_between(first, last), [*LABELS, ANY_LABEL])
    for week, assessed, flagged, *per_label in session.execute(query):
        for key, count in zip((*LABELS, ANY_LABEL), (*per_label, flagged), strict=True):
            series.flagged[(week, key)] = int(count or 0)
            series.posts[(week, key)] = int(assessed or 0)
    _fill_posts(series, _assessed(series))
    return series


def tag_series(
    session: Session,
    model_id: int | None,
    kind: str,
    first: date,
    last: date,
    *,
    direct: bool = False,
) -> Series:
    """Flagged posts per tag value of one kind, and assessed posts, per week."""
    if not direct and rollups.ensure(session, model_id, first, last):
        assert model_id is not None
        rolled = rollups.weekly_counts(session, model_id, kind, first, last)
        series = Series(kind, weeks_between(first, last), sorted({key for _, key, _ in rolled}))
        for week, key, flagged in rolled:
            series.flagged[(week, key)] = flagged
        _fill_posts(series, rollups.weekly_assessed(session, model_id, first, last))
        return series
    dialect = _dialect(session)
    e = effective_labels(dialect, model_id, first, last)
    tags = effective_tags(dialect, e)
    counts = (
        select(tags.c.week_start, tags.c.value, func.count(func.distinct(tags.c.post_id)))
        .where(tags.c.kind == kind)
        .group_by(tags.c.week_start, tags.c.value)
    )
    rows = session.execute(counts).all()
    assessed: dict[date, int | None] = dict(
        session.execute(
            select(e.c.week_start, func.sum(e.c.assessed).cast(Integer)).group_by(e.c.week_start)
        ).all()
    )
    keys = sorted({value for _, value, _ in rows})
    series = Series(kind, weeks_between(first, last), keys)
    for week, value, count in rows:
        series.flagged[(week, value)] = int(count)
    _fill_posts(series, {week: int(n or 0) for week, n in assessed.items()})
    return series


@dataclass(slots=True, frozen=True)
class SourceWeek:
    week_start: date
    source: str
    collected: int
    assessed: int
    flagged: int


def source_weeks(
    session: Session, model_id: int | None, first: date, last: date, *, direct: bool = False
) -> list[SourceWeek]:
    """Posts collected, assessed and flagged per source and week."""
    if not direct and rollups.ensure(session, model_id, first, last):
        r = TrendWeeklyPosts
        name = func.coalesce(Source.name, r.platform)
        query = (
            select(
                r.week_start,
                name,
                func.sum(r.collected).cast(Integer),
                func.sum(r.assessed).cast(Integer),
                func.sum(r.flagged).cast(Integer),
            )
            .select_from(r)
            .outerjoin(Source, Source.id == r.source_id)
            .where(r.model_version_id == model_id, r.week_start.between(first, last))
            .group_by(r.week_start, name)
            .order_by(r.week_start, name)
        )
        return [
            SourceWeek(week, source, int(n), int(a or 0), int(f or 0))
            for week, source, n, a, f in session.execute(query)
        ]
    e = effective_labels(_dialect(session), model_id, first, last)
    name = func.coalesce(Source.name, e.c.platform)
    query = (
        select(
            e.c.week_start, name, func.count(), func.sum(e.c.assessed).cast(Integer), flag_sum(e)
        )
        .select_from(e)
        .outerjoin(Source, Source.id == e.c.source_id)
        .group_by(e.c.week_start, name)
        .order_by(e.c.week_start, name)
    )
    return [
        SourceWeek(week, source, int(n), int(a or 0), int(f or 0))
        for week, source, n, a, f in session.execute(query)
    ]


def source_series(
    session: Session, model_id: int | None, first: date, last: date, *, direct: bool = False
) -> Series:
    rows = source_weeks(session, model_id, first, last, direct=direct)
    series = Series("source", weeks_between(first, last), sorted({r.source for r in rows}))
    for row in rows:
        series.flagged[(row.week_start, row.source)] = row.flagged
        series.posts[(row.week_start, row.source)] = row.assessed
    return series


def series_for(
    session: Session,
    model_id: int | None,
    by: str,
    first: date,
    last: date,
    *,
    direct: bool = False,
) -> Series:
    if by == "label":
        return label_series(session, model_id, first, last, direct=direct)
    if by in ("target", "narrative", "threat_target"):
        return tag_series(session, model_id, by, first, last, direct=direct)
    if by == "source":
        return source_series(session, model_id, first, last, direct=direct)
    raise ValueError(f"unknown dimension {by!r} (choose from {', '.join(DIMENSIONS)})")


def collection_gaps(
    session: Session, weeks: Sequence[date], tz: ZoneInfo | str
) -> dict[date, list[str]]:
    """Week start -> sources with a collection gap, over `weeks` and their baselines."""
    if not weeks:
        return {}
    first = min(weeks) - timedelta(weeks=BASELINE_WEEKS)
    return gap_weeks(collector_health(session, weeks_between(first, max(weeks)), tz))


def _assessed(series: Series) -> dict[date, int]:
    return {week: n for (week, key), n in series.posts.items() if key == ANY_LABEL}


def _fill_posts(series: Series, assessed: dict[date, int]) -> None:
    for week in series.weeks:
        for key in series.keys:
            series.posts[(week, key)] = assessed.get(week, 0)


# --- places, concentration, texts, Wilson interval -------------------------------


def top_places(
    session: Session, model_id: int | None, week: date, limit: int = 10
) -> list[tuple[str, int]]:
    """Places (gazetteer names) most mentioned in the week's flagged posts."""
    e = effective_labels(_dialect(session), model_id, week, week)
    query = select(Post.places).join(e, e.c.post_id == Post.id).where(e.c.flagged == 1)
    counts: Counter[str] = Counter()
    for (places,) in session.execute(query):
        counts.update(set(places or []))
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:limit]


def flagged_per_author(
    session: Session, model_id: int | None, week: date
) -> tuple[list[int], int, int]:
    """The week's flagged posts per pseudonymous account (one count per account that
    posted that week), the number of those accounts, and flagged posts without one."""
    e = effective_labels(_dialect(session), model_id, week, week)
    # Summed here rather than with GROUP BY author_id: grouping tempts SQLite into
    # walking the whole author index instead of the one week's posts.
    per_author: Counter[int] = Counter()
    unattributed = 0
    for author_id, flagged in session.execute(select(e.c.author_id, e.c.flagged)):
        if author_id is None:
            unattributed += flagged
        else:
            per_author[author_id] += flagged
    return list(per_author.values()), len(per_author), unattributed


def flagged_texts(
    session: Session, model_id: int | None, first: date, last: date
) -> list[tuple[date, str]]:
    """(week_start, text) of every effectively flagged post in the weeks."""
    e = effective_labels(_dialect(session), model_id, first, last)
    query = (
        select(e.c.week_start, Post.text)
        .join(Post, Post.id == e.c.post_id)
        .where(e.c.flagged == 1)
        .order_by(Post.id)
    )
    return [(week, text) for week, text in session.execute(query)]


def daily_flagged(
    session: Session,
    model_id: int | None,
    week: date,
    dimension: str,
    key: str,
    tz: ZoneInfo | str,
) -> dict[date, int]:
    """Posts of one key (a label, "any", a target, narrative or threat target) flagged on
    each day of a week, by local day: when in the week a spike began."""
    zone = ZoneInfo(tz) if isinstance(tz, str) else tz
    dialect = _dialect(session)
    e = effective_labels(dialect, model_id, week, week)
    query = select(e.c.post_id, e.c.created_at)
    if dimension == "label":
        query = query.where((e.c.flagged if key == ANY_LABEL else e.c[f"flag_{key}"]) == 1)
    elif dimension in ("target", "narrative", "threat_target"):
        tags = effective_tags(dialect, e)
        query = (
            select(e.c.post_id, e.c.created_at)
            .join(tags, tags.c.post_id == e.c.post_id)
            .where(tags.c.kind == dimension, tags.c.value == key)
            .distinct()
        )
    else:
        raise ValueError(f"no daily counts by {dimension!r}")
    counts: Counter[date] = Counter()
    for _, created in session.execute(query):
        counts[created.astimezone(zone).date()] += 1
    return dict(counts)


@dataclass(slots=True, frozen=True)
class SamplePost:
    post_id: int
    created_at: datetime
    source: str
    author: str | None
    url: str | None
    text: str
    labels: tuple[str, ...]
    tags: tuple[tuple[str, str], ...]
    decision: str | None
    priority: float


def flagged_sample(
    session: Session, model_id: int | None, week: date, limit: int
) -> list[SamplePost]:
    """The week's effectively flagged posts with the highest review priority."""
    if limit <= 0:
        return []
    dialect = _dialect(session)
    e = effective_labels(dialect, model_id, week, week)
    active = Classification.__table__.alias("sample_c")
    # Each post's priority by the (post_id, model_version_id) index: a join let the
    # planner hash every stored classification (300 ms at 1M posts, growing).
    priority = func.coalesce(
        select(active.c.priority)
        .where(
            active.c.post_id == e.c.post_id,
            active.c.model_version_id == (model_id if model_id is not None else -1),
        )
        .scalar_subquery(),
        0.0,
    ).label("sample_priority")
    query = (
        select(
            e,
            Post.text,
            Post.url,
            Author.pseudonym,
            func.coalesce(Source.name, e.c.platform),
            priority,
        )
        .select_from(e)
        .join(Post, Post.id == e.c.post_id)
        .outerjoin(Author, Author.id == e.c.author_id)
        .outerjoin(Source, Source.id == e.c.source_id)
        .where(e.c.flagged == 1)
        .order_by(priority.desc(), e.c.post_id)
        .limit(limit)
    )
    rows = session.execute(query).all()
    ids = [row.post_id for row in rows]
    tags: dict[int, list[tuple[str, str]]] = {i: [] for i in ids}
    if ids:
        t = effective_tags(dialect, e)
        for post_id, kind, value in session.execute(
            select(t.c.post_id, t.c.kind, t.c.value)
            .where(t.c.post_id.in_(ids))
            .order_by(t.c.post_id, t.c.kind, t.c.value)
        ):
            tags[post_id].append((kind, value))
    return [
        SamplePost(
            post_id=row.post_id,
            created_at=row.created_at,
            source=row[-2],
            author=row.pseudonym,
            url=row.url,
            text=row.text,
            labels=tuple(label for label in LABELS if row._mapping[f"flag_{label}"]),
            tags=tuple(tags[row.post_id]),
            decision=row.decision,
            priority=float(row[-1]),
        )
        for row in rows
    ]
