"""Retention purge: the right posts go, cascades follow, authors are pruned (both backends)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cohesion.store.engine import session_scope
from cohesion.store.models import AuditLog, Author, Classification, ClassificationTag, Post, Review
from cohesion.store.posts import PostRecord, upsert_posts
from cohesion.store.retention import purge
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from tests.reports import dataset as ds

# 30 days before NOW is 2026-10-28 12:00 UTC: only W43's posts (Oct 21) are older.
NOW = datetime(2026, 11, 27, 12, tzinfo=UTC)


def _count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_purge_keeps_flagged_and_reviewed_posts_longer(sessions: sessionmaker[Session]) -> None:
    data = ds.build(sessions)
    with session_scope(sessions) as session:
        upsert_posts(
            session,
            [
                PostRecord(
                    platform="rss",
                    external_id="lonely",
                    text="x",
                    author_pseudonym="pZ1",
                    created_at=datetime(2026, 10, 20, tzinfo=UTC),
                )
            ],
            ds.TZ,
        )
        session.add(Review(post_id=data.post_ids["w0b5"], decision="reject"))
    with session_scope(sessions) as session:
        before = {m: _count(session, m) for m in (Post, Classification, Author, Review)}
        tags_before = _count(session, ClassificationTag)
        dry = purge(session, data.model_id, 30, 40, dry_run=True, now=NOW)
    # W43: 20 posts, b0 flagged, b5 reviewed -> 18 + the lonely post go; nothing flagged yet.
    assert (dry.unflagged_posts, dry.flagged_posts, dry.authors) == (19, 0, 0)
    with session_scope(sessions) as session:
        assert _count(session, Post) == before[Post]  # a dry run deletes nothing
        result = purge(session, data.model_id, 30, 40, now=NOW, actor="test")
    assert (result.unflagged_posts, result.flagged_posts, result.authors) == (19, 0, 1)
    with session_scope(sessions) as session:
        assert _count(session, Post) == before[Post] - 19
        assert _count(session, Classification) == before[Classification] - 18
        assert _count(session, Author) == before[Author] - 1
        assert _count(session, Review) == before[Review]
        assert _count(session, ClassificationTag) == tags_before
        assert session.scalar(select(Post.id).where(Post.external_id == "w0b0"))
        audit = session.scalars(select(AuditLog).where(AuditLog.action == "purge")).one()
        assert audit.actor == "test" and audit.detail["unflagged_posts"] == 19
    # With a shorter flagged period the flagged (b0) and reviewed (b5) W43 posts go too.
    with session_scope(sessions) as session:
        result = purge(session, data.model_id, 30, 35, now=NOW + timedelta(seconds=1))
    assert (result.unflagged_posts, result.flagged_posts) == (0, 2)
    with session_scope(sessions) as session:
        assert _count(session, Review) == before[Review] - 1
        assert _count(session, ClassificationTag) == tags_before - 1  # b0's target tag
        assert not session.scalar(select(Post.id).where(Post.week_start == ds.BASELINE[0]))


def test_purge_recounts_the_authors_who_keep_posts(sessions: sessionmaker[Session]) -> None:
    old, recent = datetime(2026, 9, 1, tzinfo=UTC), datetime(2026, 11, 20, tzinfo=UTC)
    with session_scope(sessions) as session:
        upsert_posts(
            session,
            [
                PostRecord(
                    platform="rss",
                    external_id=f"a{n}",
                    text="x",
                    author_pseudonym="pA",
                    created_at=old + timedelta(days=n) if n < 3 else recent,
                )
                for n in range(5)
            ],
            ds.TZ,
        )
    with session_scope(sessions) as session:
        assert session.scalar(select(Author.post_count)) == 5
        purge(session, None, 30, 30, now=NOW)
    with session_scope(sessions) as session:
        author = session.scalars(select(Author)).one()
        assert (author.post_count, author.last_seen) == (2, recent)
