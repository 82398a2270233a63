"""Read-only summaries for `cohesion status`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from cohesion.store.models import Classification, CrawlRun, ModelVersion, Post, Source
from sqlalchemy import func, select
from sqlalchemy.orm import Session


@dataclass(slots=True, frozen=True)
class SourceWeek:
    source: str
    week_start: date
    posts: int


@dataclass(slots=True, frozen=True)
class CrawlRunSummary:
    source: str
    started_at: datetime
    finished_at: datetime | None
    status: str
    items_new: int
    items_duplicate: int
    errors: int
    message: str | None


def posts_per_source_week(session: Session, weeks: int = 8) -> list[SourceWeek]:
    latest = session.scalar(select(func.max(Post.week_start)))
    if latest is None:
        return []
    first = date.fromordinal(latest.toordinal() - 7 * (weeks - 1))
    name = func.coalesce(Source.name, Post.platform)
    query = (
        select(name, Post.week_start, func.count(Post.id))
        .select_from(Post)
        .outerjoin(Source, Source.id == Post.source_id)
        .where(Post.week_start >= first)
        .group_by(name, Post.week_start)
        .order_by(name, Post.week_start)
    )
    return [SourceWeek(s, w, n) for s, w, n in session.execute(query)]


def last_crawl_runs(session: Session) -> list[CrawlRunSummary]:
    """The latest crawl run of every source."""
    latest = (
        select(CrawlRun.source_id, func.max(CrawlRun.id).label("run_id"))
        .group_by(CrawlRun.source_id)
        .subquery()
    )
    query = (
        select(CrawlRun, Source.name)
        .join(latest, latest.c.run_id == CrawlRun.id)
        .join(Source, Source.id == CrawlRun.source_id)
        .order_by(Source.name)
    )
    return [
        CrawlRunSummary(
            name,
            run.started_at,
            run.finished_at,
            run.status,
            run.items_new,
            run.items_duplicate,
            run.errors,
            run.message,
        )
        for run, name in session.execute(query)
    ]


def active_model(session: Session) -> ModelVersion | None:
    return session.scalar(
        select(ModelVersion).where(ModelVersion.is_active).order_by(ModelVersion.id.desc()).limit(1)
    )


def totals(session: Session) -> dict[str, int]:
    model = active_model(session)
    classified = flagged = 0
    if model is not None:
        classified = (
            session.scalar(
                select(func.count(Classification.id)).where(
                    Classification.model_version_id == model.id
                )
            )
            or 0
        )
        flagged = (
            session.scalar(
                select(func.count(Classification.id)).where(
                    Classification.model_version_id == model.id, Classification.flagged
                )
            )
            or 0
        )
    return {
        "posts": session.scalar(select(func.count(Post.id))) or 0,
        "sources": session.scalar(select(func.count(Source.id))) or 0,
        "classified": classified,
        "flagged": flagged,
    }
