"""Weekly trend queries: volumes, flag rates, spikes, places, concentration.

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

Spike test (quasi-Poisson, trailing four-week baseline). For a key (a label, a target,
a narrative or a source) in week w, with baseline weeks b = w-4 .. w-1:

    p0  = sum(O_b) / sum(N_b)                 pooled baseline rate (0.5 / sum(N_b) if no flags)
    E   = p0 * N_w                            expected flags at this week's volume
    phi = max(1, sum((O_b - p0 N_b)^2 / (p0 N_b)) / (B - 1))   over-dispersion (Pearson)
    Var = phi * E * (1 + N_w / sum(N_b))      Poisson noise of this week and of p0
    z   = (O_w - E) / sqrt(Var)

and a spike is z >= alerts.spike_z with O_w >= alerts.min_count. Only baseline weeks
with assessed posts and without a collection gap count (B of them); fewer than two gives
no test. A collection gap (store/health.py: a source far below its own baseline, or not
crawled) makes a quiet week look calm, so a gap week never enters a baseline (for the
source dimension: a week with a gap in that source), and its rows carry the names of the
sources with a gap (`TrendRow.gap`) so that a fall there is not read as less hostility.
Scaling by this week's volume keeps a busier week from reading as a spike; the
dispersion factor keeps bursty series (an election week) from alerting on ordinary
swings; the second term of the variance accounts for the baseline itself being an
estimate; the half-count keeps a first-ever flag measurable without dividing by zero. The "baseline band" on the
charts is E +/- spike_z * sqrt(Var), as a rate: the range the test accepts.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, func, select
from sqlalchemy.orm import Session

from store import rollups
from store.effective import effective_labels, effective_tags, flag_sum
from store.health import collector_health, gap_weeks
from store.models import LABELS, Author, Classification, Post, Source, TrendWeeklyPosts
from store.posts import week_start

BASELINE_WEEKS = 4
DIMENSIONS: tuple[str, ...] = ("label", "target", "narrative", "threat_target", "source")
Dimension = Literal["label", "target", "narrative", "threat_target", "source"]
ANY_LABEL = "any"
_WEEK_RE = re.compile(r"^(\d{4})-?W(\d{1,2})$", re.IGNORECASE)
# Weeks a report can be about: it reads weeks before the one asked for and the days
# after it, so the very ends of `date` (years 1 and 9999) would overflow.
FIRST_WEEK_YEAR, LAST_WEEK_YEAR = 1970, 9998


# --- weeks -------------------------------------------------------------------------


def parse_week(text: str) -> date:
    """'2026-W47' -> the Monday of that ISO week."""
    match = _WEEK_RE.match(text.strip())
    if not match:
        raise ValueError(f"week {text!r} is not an ISO week like 2026-W47")
    if not FIRST_WEEK_YEAR <= int(match[1]) <= LAST_WEEK_YEAR:
        raise ValueError(
            f"week {text!r} is out of range ({FIRST_WEEK_YEAR}-W01 to {LAST_WEEK_YEAR}-W52)"
        )
    try:
        return date.fromisocalendar(int(match[1]), int(match[2]), 1)
    except ValueError:
        raise ValueError(f"week {text!r} does not exist") from None


def week_label(monday: date) -> str:
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"


def last_complete_week(now: datetime, tz: ZoneInfo | str) -> date:
    """Monday of the last ISO week that has ended in the locality's time zone."""
    zone = ZoneInfo(tz) if isinstance(tz, str) else tz
    return week_start(now, zone) - timedelta(weeks=1)


def week_range(last: date, weeks: int) -> list[date]:
    return [last - timedelta(weeks=n) for n in range(weeks - 1, -1, -1)]


# --- the spike test ----------------------------------------------------------------


@dataclass(slots=True, frozen=True)
class SpikeTest:
    observed: int
    posts: int
    baseline_flagged: int
    baseline_posts: int
    baseline_weeks: int
    expected: float | None = None
    dispersion: float | None = None
    variance: float | None = None
    z: float | None = None
    spike: bool = False

    @property
    def rate(self) -> float | None:
        return per_thousand(self.observed, self.posts)

    @property
    def baseline_rate(self) -> float | None:
        return per_thousand(self.baseline_flagged, self.baseline_posts)

    def band(self, z: float) -> tuple[float, float] | None:
        """The rates (per 1,000) within which the test finds no spike at threshold z."""
        if self.expected is None or self.variance is None or not self.posts:
            return None
        half = z * math.sqrt(self.variance)
        scale = 1000 / self.posts
        return max(0.0, (self.expected - half) * scale), (self.expected + half) * scale


def per_thousand(count: int, posts: int) -> float | None:
    return count * 1000 / posts if posts else None


def spike_test(
    observed: int,
    posts: int,
    baseline: Sequence[tuple[int, int]],
    spike_z: float,
    min_count: int,
) -> SpikeTest:
    """The quasi-Poisson test of the module docstring; baseline is [(flagged, posts)]."""
    weeks = [(o, n) for o, n in baseline if n > 0]
    base_flagged = sum(o for o, _ in weeks)
    base_posts = sum(n for _, n in weeks)
    result = SpikeTest(observed, posts, base_flagged, base_posts, len(weeks))
    if len(weeks) < 2 or posts <= 0:
        return result
    p0 = (base_flagged if base_flagged else 0.5) / base_posts
    pearson = sum((o - p0 * n) ** 2 / (p0 * n) for o, n in weeks)
    dispersion = max(1.0, pearson / (len(weeks) - 1))
    expected = p0 * posts
    variance = dispersion * expected * (1 + posts / base_posts)
    z = (observed - expected) / math.sqrt(variance)
    return SpikeTest(
        observed,
        posts,
        base_flagged,
        base_posts,
        len(weeks),
        expected,
        dispersion,
        variance,
        z,
        spike=z >= spike_z and observed >= min_count,
    )


# --- weekly series -----------------------------------------------------------------


@dataclass(slots=True, frozen=True)
class TrendRow:
    week_start: date
    dimension: str
    key: str
    flagged: int
    posts: int
    test: SpikeTest
    gap: tuple[str, ...] = ()  # sources with a collection gap this week (see module doc)

    @property
    def week(self) -> str:
        return week_label(self.week_start)

    @property
    def rate(self) -> float | None:
        return per_thousand(self.flagged, self.posts)

    def as_dict(self) -> dict[str, Any]:
        t = self.test
        return {
            "week": self.week,
            "week_start": self.week_start.isoformat(),
            "dimension": self.dimension,
            "key": self.key,
            "posts": self.posts,
            "flagged": self.flagged,
            "rate_per_1000": _round(self.rate),
            "baseline_rate_per_1000": _round(t.baseline_rate),
            "expected": _round(t.expected),
            "z": _round(t.z),
            "spike": t.spike,
            "collection_gap": ";".join(self.gap),
        }


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


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
    from store.status import active_model

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
        series = Series("label", _weeks(first, last), [*LABELS, ANY_LABEL])
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
    series = Series("label", _weeks(first, last), [*LABELS, ANY_LABEL])
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
        series = Series(kind, _weeks(first, last), sorted({key for _, key, _ in rolled}))
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
    series = Series(kind, _weeks(first, last), keys)
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
    series = Series("source", _weeks(first, last), sorted({r.source for r in rows}))
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


def trend_rows(
    session: Session,
    model_id: int | None,
    by: str,
    weeks: Sequence[date],
    spike_z: float,
    min_count: int,
    gaps: Mapping[date, Sequence[str]] | None = None,
    *,
    direct: bool = False,
) -> list[TrendRow]:
    """One row per (week, key) over `weeks`, each with its spike test.

    `gaps` (week start -> sources with a collection gap, see `collection_gaps`) keeps
    gap weeks out of the baselines and marks the rows of gap weeks. `direct`: count
    from the effective labels rather than the rollup (see `label_series`).
    """
    if not weeks:
        return []
    first, last = min(weeks), max(weeks)
    first -= timedelta(weeks=BASELINE_WEEKS)
    series = series_for(session, model_id, by, first, last, direct=direct)
    gaps = gaps or {}

    def gap(week: date, key: str) -> tuple[str, ...]:
        sources = tuple(sorted(gaps.get(week, ())))
        if by == "source":
            return (key,) if key in sources else ()
        return sources

    rows = []
    for week in sorted(weeks):
        for key in series.keys:
            flagged, posts = series.get(week, key)
            before = [week - timedelta(weeks=n) for n in range(BASELINE_WEEKS, 0, -1)]
            baseline = [series.get(b, key) for b in before if not gap(b, key)]
            test = spike_test(flagged, posts, baseline, spike_z, min_count)
            rows.append(TrendRow(week, by, key, flagged, posts, test, gap(week, key)))
    return rows


def collection_gaps(
    session: Session, weeks: Sequence[date], tz: ZoneInfo | str
) -> dict[date, list[str]]:
    """Week start -> sources with a collection gap, over `weeks` and their baselines."""
    if not weeks:
        return {}
    first = min(weeks) - timedelta(weeks=BASELINE_WEEKS)
    return gap_weeks(collector_health(session, _weeks(first, max(weeks)), tz))


def _weeks(first: date, last: date) -> list[date]:
    count = (last - first).days // 7 + 1
    return [first + timedelta(weeks=n) for n in range(max(count, 0))]


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


@dataclass(slots=True, frozen=True)
class Concentration:
    """How concentrated the week's flagged posts are among pseudonymous accounts.

    Computed over the accounts with at least one flagged post that week ("flagging
    accounts"); posts without a known author are left out and counted separately.
    """

    flagged_posts: int
    flagging_accounts: int
    active_accounts: int
    top1pct_accounts: int
    top1pct_share: float | None
    top10_share: float | None
    gini: float | None
    unattributed_posts: int
    counts: tuple[int, ...] = ()


def gini(values: Iterable[int]) -> float | None:
    """Gini coefficient of non-negative counts (0 = equal, towards 1 = one holds all)."""
    ordered = sorted(values)
    n, total = len(ordered), sum(ordered)
    if n == 0 or total == 0:
        return None
    weighted = sum(rank * value for rank, value in enumerate(ordered, start=1))
    return 2 * weighted / (n * total) - (n + 1) / n


def concentration_of(
    counts: Sequence[int], active_accounts: int, unattributed: int
) -> Concentration:
    ordered = sorted((c for c in counts if c > 0), reverse=True)
    total = sum(ordered)
    top1 = math.ceil(len(ordered) / 100) if ordered else 0
    return Concentration(
        flagged_posts=total,
        flagging_accounts=len(ordered),
        active_accounts=active_accounts,
        top1pct_accounts=top1,
        top1pct_share=sum(ordered[:top1]) / total if total else None,
        top10_share=sum(ordered[:10]) / total if total else None,
        gini=gini(ordered),
        unattributed_posts=unattributed,
        counts=tuple(ordered),
    )


def concentration(session: Session, model_id: int | None, week: date) -> Concentration:
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
    return concentration_of(list(per_author.values()), len(per_author), unattributed)


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


def wilson_interval(successes: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


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
    query = (
        select(
            e,
            Post.text,
            Post.url,
            Author.pseudonym,
            func.coalesce(Source.name, e.c.platform),
            func.coalesce(active.c.priority, 0.0),
        )
        .select_from(e)
        .join(Post, Post.id == e.c.post_id)
        .outerjoin(Author, Author.id == e.c.author_id)
        .outerjoin(Source, Source.id == e.c.source_id)
        .outerjoin(
            active,
            (active.c.post_id == e.c.post_id)
            & (active.c.model_version_id == (model_id if model_id is not None else -1)),
        )
        .where(e.c.flagged == 1)
        .order_by(func.coalesce(active.c.priority, 0.0).desc(), e.c.post_id)
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
