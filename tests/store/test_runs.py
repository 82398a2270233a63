"""Sources, crawl runs, job runs, classifications and status (both backends)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from cohesion.store import status
from cohesion.store.classifications import (
    ClassificationRecord,
    priority_of,
    register_model_version,
    save_classifications,
)
from cohesion.store.engine import session_scope
from cohesion.store.models import Classification, ClassificationTag, JobRun, Source
from cohesion.store.posts import PostRecord, upsert_posts
from cohesion.store.runs import (
    CrawlCounts,
    finish_crawl_run,
    job_run,
    record_skipped_crawl,
    save_cursor,
    start_crawl_run,
    sync_source,
)
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker


def test_sources_keep_their_cursor_when_config_changes(sessions: sessionmaker[Session]) -> None:
    with session_scope(sessions) as session:
        source = sync_source(session, "r-olathe", "reddit", {"subreddits": ["olathe"]}, True)
        save_cursor(session, source.id, {"after": "t3_abc"})
    with session_scope(sessions) as session:
        source = sync_source(session, "r-olathe", "reddit", {"subreddits": ["olathe", "kc"]}, False)
        assert source.cursor == {"after": "t3_abc"}
        assert source.enabled is False
        assert session.scalars(select(Source)).one().config == {"subreddits": ["olathe", "kc"]}


def test_crawl_runs_and_status(sessions: sessionmaker[Session]) -> None:
    with session_scope(sessions) as session:
        source = sync_source(session, "r-olathe", "reddit", {}, True)
        run = start_crawl_run(session, source.id)
        upsert_posts(
            session,
            [
                PostRecord(
                    platform="reddit",
                    external_id="t3_1",
                    text="hello Olathe",
                    created_at=datetime(2026, 11, 18, tzinfo=UTC),
                    source_id=source.id,
                )
            ],
        )
        finish_crawl_run(session, run.id, "ok", CrawlCounts(pages=2, items_seen=1, items_new=1))
        other = sync_source(session, "feed", "rss", {}, True)
        record_skipped_crawl(session, other.id, "set COHESION_X")
    with session_scope(sessions) as session:
        runs = {r.source: r for r in status.last_crawl_runs(session)}
        weeks = status.posts_per_source_week(session)
        totals = status.totals(session)
    assert runs["r-olathe"].status == "ok" and runs["r-olathe"].items_new == 1
    assert runs["feed"].status == "skipped" and runs["feed"].message == "set COHESION_X"
    assert [(w.source, w.week_start.isoformat(), w.posts) for w in weeks] == [
        ("r-olathe", "2026-11-16", 1)
    ]
    assert totals["posts"] == 1 and totals["classified"] == 0


def test_job_run_records_success_and_failure(sessions: sessionmaker[Session]) -> None:
    with job_run(sessions, "report") as detail:
        detail["weeks"] = 1
    with pytest.raises(RuntimeError), job_run(sessions, "crawl"):
        raise RuntimeError("boom")
    with session_scope(sessions) as session:
        rows = {r.job: r for r in session.scalars(select(JobRun))}
    assert rows["report"].status == "ok" and rows["report"].detail == {"weeks": 1}
    assert rows["report"].duration_s is not None and rows["report"].duration_s >= 0
    assert rows["crawl"].status == "failed" and "boom" in (rows["crawl"].error or "")


def test_classifications_once_per_post_and_model(sessions: sessionmaker[Session]) -> None:
    with session_scope(sessions) as session:
        upsert_posts(
            session,
            [
                PostRecord(
                    platform="rss",
                    external_id=str(i),
                    text="t",
                    created_at=datetime(2026, 11, 18, tzinfo=UTC),
                )
                for i in range(2)
            ],
        )
        first = register_model_version(
            session, "m-1", path=None, training_summary={}, metrics={}, thresholds={}
        )
        second = register_model_version(
            session, "m-2", path=None, training_summary={}, metrics={}, thresholds={}
        )
        assert status.active_model(session).name == "m-2"
        post_ids = [1, 2]
        record = ClassificationRecord(
            post_id=post_ids[0],
            flags=["threat", "anti_government"],
            scores={"threat": 0.9, "anti_government": 0.8},
            threat_targets=["official"],
            narratives=["corruption_traitor"],
            evidence=[{"start": 0, "end": 1, "label": "threat", "reason": "lexicon"}],
        )
        assert save_classifications(session, first.id, [record]) == 1
        assert save_classifications(session, first.id, [record]) == 0
        assert save_classifications(session, second.id, [record]) == 1
    with session_scope(sessions) as session:
        row = session.scalars(
            select(Classification).where(Classification.model_version_id == 1)
        ).one()
        assert row.flag_threat and row.flag_anti_government and not row.flag_hate
        assert row.priority == pytest.approx(0.9)
        tags = {(t.kind, t.value) for t in session.scalars(select(ClassificationTag))}
        assert ("threat_target", "official") in tags and ("narrative", "corruption_traitor") in tags


def test_priority_weighs_severity_score_and_locality() -> None:
    assert priority_of([], {"threat": 0.99}, True) == 0.0
    assert priority_of(["threat"], {"threat": 0.8}, True) > priority_of(
        ["hate"], {"hate": 0.8}, True
    )
    assert priority_of(["threat"], {"threat": 0.8}, False) < priority_of(
        ["threat"], {"threat": 0.8}, True
    )
