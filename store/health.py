"""Collector health: is a quiet week calm, or did a collector stop seeing?

Per source and ISO week (the locality's weeks, as in posts.week_start):
- posts: posts created that week and collected from the source;
- baseline: the mean of the same source's weekly posts over the trailing four weeks
  (weeks before the source's first post do not count; fewer than two such weeks means
  no baseline yet);
- failed_runs / ok_runs: crawl runs started that week, by outcome;
- last_ok: the end of the source's latest successful crawl (as of now).

The gap rule (documented in README "Collector health"): a source-week is a collection
gap when
  1. a baseline exists, it is at least MIN_BASELINE posts, and the week holds fewer
     than GAP_SHARE of it (a source that collected 40 a week and now 5 has a gap); or
  2. every crawl run of the week failed (there was at least one, and none succeeded); or
  3. the source had a baseline but no successful crawl ended in or after the week
     (it is not being collected at all).
A gap is never read as a fall in hostility: the trend report puts a caveat on that
week's rates and keeps it out of the spike test's baseline.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from cohesion.store.models import CrawlRun, Post, Source
from cohesion.weeks import week_start
from sqlalchemy import func, select
from sqlalchemy.orm import Session

BASELINE_WEEKS = 4
MIN_BASELINE = 5.0
GAP_SHARE = 0.3


@dataclass(slots=True, frozen=True)
class SourceWeekHealth:
    source: str
    week_start: date
    posts: int
    baseline: float | None
    failed_runs: int
    ok_runs: int
    last_ok: datetime | None
    gap: bool
    reason: str | None


def collector_health(
    session: Session, weeks: list[date], tz: ZoneInfo | str = "UTC"
) -> list[SourceWeekHealth]:
    """Health of every enabled source for each of the given week starts (Mondays)."""
    if not weeks:
        return []
    zone = ZoneInfo(tz) if isinstance(tz, str) else tz
    weeks = sorted(weeks)
    first = weeks[0] - timedelta(weeks=BASELINE_WEEKS)
    sources = {s.id: s.name for s in session.scalars(select(Source).where(Source.enabled))}
    counts: dict[tuple[int | None, date], int] = {}
    query = (
        select(Post.source_id, Post.week_start, func.count(Post.id))
        .where(Post.week_start >= first, Post.week_start <= weeks[-1])
        .group_by(Post.source_id, Post.week_start)
    )
    for source_id, week, n in session.execute(query):
        counts[(source_id, week)] = n
    # Each enabled source's first week, one ordered look-up each on ix_posts_week_source
    # (the first entry of the source in week order), rather than grouping every post.
    first_post = {
        source_id: session.scalar(
            select(Post.week_start)
            .where(Post.source_id == source_id)
            .order_by(Post.week_start)
            .limit(1)
        )
        for source_id in sources
    }
    runs: dict[tuple[int, date], dict[str, int]] = defaultdict(lambda: {"ok": 0, "failed": 0})
    ok_ends: dict[int, list[datetime]] = defaultdict(list)
    for source_id, started, finished, status in session.execute(
        select(CrawlRun.source_id, CrawlRun.started_at, CrawlRun.finished_at, CrawlRun.status)
    ):
        if status in ("ok", "failed"):
            runs[(source_id, week_start(started, zone))][status] += 1
        if status == "ok" and finished is not None:
            ok_ends[source_id].append(finished)
    result = []
    for source_id, name in sorted(sources.items(), key=lambda item: item[1]):
        for week in weeks:
            result.append(
                _assess(
                    name,
                    week,
                    counts,
                    first_post.get(source_id),
                    runs[(source_id, week)],
                    ok_ends[source_id],
                    source_id,
                    zone,
                )
            )
    return result


def _assess(
    name: str,
    week: date,
    counts: dict[tuple[int | None, date], int],
    first_week: date | None,
    week_runs: dict[str, int],
    ok_ends: list[datetime],
    source_id: int,
    zone: ZoneInfo,
) -> SourceWeekHealth:
    posts = counts.get((source_id, week), 0)
    history = [
        counts.get((source_id, week - timedelta(weeks=k)), 0)
        for k in range(1, BASELINE_WEEKS + 1)
        if first_week is not None and week - timedelta(weeks=k) >= first_week
    ]
    baseline = sum(history) / len(history) if len(history) >= 2 else None
    # The latest success overall: a report written days after its week still says
    # whether the source is being collected now.
    last_ok = max(ok_ends, default=None)
    reason = None
    if baseline is not None and baseline >= MIN_BASELINE and posts < GAP_SHARE * baseline:
        reason = f"{posts} posts against a baseline of {baseline:.1f} a week"
    elif week_runs["failed"] and not week_runs["ok"]:
        reason = f"all {week_runs['failed']} crawl run(s) of the week failed"
    elif baseline and not any(
        end >= datetime.combine(week, datetime.min.time(), zone) for end in ok_ends
    ):
        reason = "no successful crawl since the week began"
    return SourceWeekHealth(
        name,
        week,
        posts,
        baseline,
        week_runs["failed"],
        week_runs["ok"],
        last_ok,
        reason is not None,
        reason,
    )


def gap_weeks(health: list[SourceWeekHealth]) -> dict[date, list[str]]:
    """Week start -> names of the sources with a collection gap that week."""
    gaps: dict[date, list[str]] = defaultdict(list)
    for row in health:
        if row.gap:
            gaps[row.week_start].append(row.source)
    return dict(gaps)
