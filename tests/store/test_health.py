"""Collector health: the gap rule on constructed data (both backends)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from cohesion.store.engine import session_scope
from cohesion.store.health import collector_health, gap_weeks
from cohesion.store.models import CrawlRun
from cohesion.store.posts import PostRecord, upsert_posts
from cohesion.store.runs import sync_source
from sqlalchemy.orm import Session, sessionmaker

MONDAYS = [date(2026, 10, 5) + timedelta(weeks=k) for k in range(7)]


def _posts(source_id: int, name: str, per_week: list[int]) -> list[PostRecord]:
    records = []
    for week, n in zip(MONDAYS, per_week, strict=True):
        for i in range(n):
            records.append(
                PostRecord(
                    platform="rss",
                    external_id=f"{name}-{week}-{i}",
                    text="local news",
                    created_at=datetime.combine(week, datetime.min.time(), UTC)
                    + timedelta(days=2, hours=i % 20),
                    source_id=source_id,
                )
            )
    return records


def test_silent_week_and_failed_crawls_are_gaps(sessions: sessionmaker[Session]) -> None:
    with session_scope(sessions) as session:
        steady = sync_source(session, "steady", "rss", {}, True)
        silent = sync_source(session, "silent", "rss", {}, True)
        broken = sync_source(session, "broken", "rss", {}, True)
        upsert_posts(session, _posts(steady.id, "steady", [20, 22, 18, 21, 19, 20, 23]))
        upsert_posts(session, _posts(silent.id, "silent", [10, 12, 11, 9, 10, 0, 11]))
        upsert_posts(session, _posts(broken.id, "broken", [6, 6, 6, 6, 6, 6, 6]))
        week6 = datetime.combine(MONDAYS[6], datetime.min.time(), UTC) + timedelta(hours=30)
        for source in (steady, silent, broken):
            session.add(
                CrawlRun(source_id=source.id, started_at=week6, finished_at=week6, status="ok")
            )
        session.add(
            CrawlRun(
                source_id=broken.id,
                started_at=week6 + timedelta(hours=24),
                finished_at=week6 + timedelta(hours=24),
                status="failed",
            )
        )
        # A source whose only crawl failed in week 5 (none succeeded that week).
        session.add(
            CrawlRun(
                source_id=broken.id,
                started_at=week6 - timedelta(days=7),
                finished_at=week6 - timedelta(days=7),
                status="failed",
            )
        )
    with session_scope(sessions) as session:
        health = collector_health(session, MONDAYS[4:], "UTC")
    by_key = {(h.source, h.week_start): h for h in health}
    quiet = by_key[("silent", MONDAYS[5])]
    assert quiet.gap and quiet.posts == 0
    assert quiet.baseline == (10 + 12 + 11 + 9) / 4
    assert not by_key[("silent", MONDAYS[6])].gap
    assert not any(by_key[("steady", week)].gap for week in MONDAYS[4:])
    failed = by_key[("broken", MONDAYS[5])]
    assert failed.gap and failed.failed_runs == 1 and "failed" in (failed.reason or "")
    # In week 6 one crawl failed but another succeeded: collected, not a gap.
    assert not by_key[("broken", MONDAYS[6])].gap
    assert gap_weeks(health) == {MONDAYS[5]: ["broken", "silent"]}


def test_new_source_has_no_baseline_and_no_gap(sessions: sessionmaker[Session]) -> None:
    with session_scope(sessions) as session:
        fresh = sync_source(session, "fresh", "rss", {}, True)
        upsert_posts(session, _posts(fresh.id, "fresh", [0, 0, 0, 0, 0, 0, 3]))
    with session_scope(sessions) as session:
        health = collector_health(session, MONDAYS[6:], "UTC")
    assert health[0].baseline is None and not health[0].gap
