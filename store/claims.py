"""Leases that let many classification workers share one PostgreSQL database.

A worker claims a batch in a short transaction (`FOR UPDATE SKIP LOCKED`, so two
workers never wait on or take the same rows), classifies it outside any transaction,
then writes the results only for the posts whose claim it still holds. A claim older
than the lease is free again, so a killed worker's posts are picked up by the others;
a late worker whose lease was taken over writes nothing for those posts. Together with
the unique (post, model version) key this means no post is classified twice by one
model version and none is skipped.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from store.models import ClassifyClaim, Post
from store.posts import unclassified_posts_query
from store.types import utcnow


def claim_batch(
    session: Session, model_version_id: int, worker: str, batch_size: int, lease_seconds: float
) -> list[Post]:
    """Claim up to batch_size unclassified posts that no live claim holds (PostgreSQL)."""
    if session.get_bind().dialect.name != "postgresql":
        raise NotImplementedError("claims need PostgreSQL; on SQLite run one worker")
    now = utcnow()
    live_claim = (
        select(ClassifyClaim.post_id)
        .where(
            ClassifyClaim.post_id == Post.id,
            ClassifyClaim.model_version_id == model_version_id,
            ClassifyClaim.claimed_at > now - timedelta(seconds=lease_seconds),
        )
        .exists()
    )
    query = (
        unclassified_posts_query(model_version_id)
        .where(~live_claim)
        .limit(batch_size)
        .with_for_update(of=Post, skip_locked=True)
    )
    posts = list(session.scalars(query))
    if posts:
        statement = postgresql.insert(ClassifyClaim).values(
            [
                {
                    "post_id": p.id,
                    "model_version_id": model_version_id,
                    "worker": worker,
                    "claimed_at": now,
                }
                for p in posts
            ]
        )
        # An expired claim of a crashed worker is taken over in place.
        session.execute(
            statement.on_conflict_do_update(
                index_elements=["post_id", "model_version_id"],
                set_={
                    "worker": statement.excluded.worker,
                    "claimed_at": statement.excluded.claimed_at,
                },
            )
        )
    return posts


def still_held(
    session: Session, model_version_id: int, worker: str, post_ids: list[int]
) -> set[int]:
    """The posts among post_ids that this worker still holds, locked until commit."""
    query = (
        select(ClassifyClaim.post_id)
        .where(
            ClassifyClaim.model_version_id == model_version_id,
            ClassifyClaim.worker == worker,
            ClassifyClaim.post_id.in_(post_ids),
        )
        .with_for_update()
    )
    return set(session.scalars(query))


def release(session: Session, model_version_id: int, worker: str, post_ids: list[int]) -> None:
    session.execute(
        delete(ClassifyClaim).where(
            ClassifyClaim.model_version_id == model_version_id,
            ClassifyClaim.worker == worker,
            ClassifyClaim.post_id.in_(post_ids),
        )
    )
