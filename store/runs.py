"""Sources, crawl runs and job runs: what ran, when, and how it went."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from cohesion.store.engine import session_scope
from cohesion.store.models import CrawlRun, JobRun, Source
from cohesion.store.types import utcnow
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker


def sync_source(
    session: Session, name: str, platform: str, config: dict[str, Any], enabled: bool
) -> Source:
    """Create or update the sources row for a configured source; its cursor is kept."""
    source = session.scalar(select(Source).where(Source.name == name))
    if source is None:
        source = Source(name=name, platform=platform, config=config, enabled=enabled, cursor={})
        session.add(source)
    else:
        source.platform = platform
        source.config = config
        source.enabled = enabled
    session.flush()
    return source


def get_source(session: Session, name: str) -> Source | None:
    return session.scalar(select(Source).where(Source.name == name))


def save_cursor(session: Session, source_id: int, cursor: dict[str, Any]) -> None:
    source = session.get(Source, source_id)
    if source is None:
        raise LookupError(f"no source with id {source_id}")
    source.cursor = dict(cursor)


def start_crawl_run(session: Session, source_id: int, runner: str = "local") -> CrawlRun:
    run = CrawlRun(source_id=source_id, status="running", runner=runner, started_at=utcnow())
    session.add(run)
    session.flush()
    return run


@dataclass(slots=True)
class CrawlCounts:
    pages: int = 0
    items_seen: int = 0
    items_new: int = 0
    items_duplicate: int = 0
    errors: int = 0


def finish_crawl_run(
    session: Session, run_id: int, status: str, counts: CrawlCounts, message: str | None = None
) -> CrawlRun:
    run = session.get(CrawlRun, run_id)
    if run is None:
        raise LookupError(f"no crawl run with id {run_id}")
    run.status = status
    run.finished_at = utcnow()
    run.pages = counts.pages
    run.items_seen = counts.items_seen
    run.items_new = counts.items_new
    run.items_duplicate = counts.items_duplicate
    run.errors = counts.errors
    run.message = message
    return run


def record_skipped_crawl(session: Session, source_id: int, message: str) -> CrawlRun:
    now = utcnow()
    run = CrawlRun(
        source_id=source_id, status="skipped", started_at=now, finished_at=now, message=message
    )
    session.add(run)
    session.flush()
    return run


@contextmanager
def job_run(factory: sessionmaker[Session], job: str) -> Iterator[dict[str, Any]]:
    """Record one run of a scheduled job in job_runs, with its status and duration.

    The body fills the yielded dict with details worth keeping. The row is written in
    its own transactions so a failing job still leaves its record.
    """
    with session_scope(factory) as session:
        row = JobRun(job=job, status="running", started_at=utcnow())
        session.add(row)
        session.flush()
        run_id = row.id
    detail: dict[str, Any] = {}
    status, error = "ok", None
    try:
        yield detail
    except BaseException as exc:
        status, error = "failed", f"{type(exc).__name__}: {exc}"
        raise
    finally:
        with session_scope(factory) as session:
            row = session.get_one(JobRun, run_id)
            row.finished_at = utcnow()
            row.duration_s = (row.finished_at - row.started_at).total_seconds()
            row.status = status
            row.error = error
            row.detail = detail
