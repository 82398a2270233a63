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
from typing import Any

from cohesion.store.models import ClassifyClaim, Post
from cohesion.store.posts import unclassified_posts_query
from cohesion.store.types import utcnow
from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session


def claim_batch(
    session: Session,
    model_version_id: int,
    worker: str,
    batch_size: int,
    lease_seconds: float,
    after_id: int = 0,
) -> list[Post]:
    """Claim up to batch_size unclassified posts that no live claim holds (PostgreSQL).

    `after_id` starts the search above that post id. The anti-join with classifications
    walks the posts in id order, so on a store of millions of classified posts a search
    from the bottom costs a full index scan per batch; a worker passes the lowest id of
    its previous batch (everything below it was classified or claimed then) and searches
    from 0 again only before it stops, so a post freed below (an expired claim) is never
    skipped.
    """
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
        .where(~live_claim, Post.id > after_id)
        .limit(batch_size)
        # FOR NO KEY UPDATE, not FOR UPDATE: claimers still skip each other's rows, but
        # the foreign-key check of another worker writing classifications (FOR KEY
        # SHARE on the post) does not wait on it. With FOR UPDATE, a claimer whose
        # snapshot predates a claim could lock posts another worker is writing, then
        # wait on that worker's claim rows while the writer waited on the posts: a
        # deadlock.
        .with_for_update(of=Post, skip_locked=True, key_share=True)
    )
    for _attempt in range(5):  # a fresh statement sees the claims committed meanwhile
        posts = list(session.scalars(query))
        if not posts:
            return []
        mine = _insert_claims(session, posts, model_version_id, worker, now, lease_seconds)
        if mine:
            return mine
    return []


def _insert_claims(
    session: Session,
    posts: list[Post],
    model_version_id: int,
    worker: str,
    now: Any,
    lease_seconds: float,
) -> list[Post]:
    cutoff = now - timedelta(seconds=lease_seconds)
    statement = postgresql.insert(ClassifyClaim).values(
        [  # in post id order, like still_held's locks, so two workers never deadlock
            {
                "post_id": p.id,
                "model_version_id": model_version_id,
                "worker": worker,
                "claimed_at": now,
            }
            for p in sorted(posts, key=lambda p: p.id)
        ]  # fmt: skip
    )
    # An expired claim of a crashed worker is taken over in place; a live one is not: a
    # worker whose snapshot predates another's claim (READ COMMITTED does not recheck a
    # row that was only locked) must not steal it, so only the rows written count.
    claimed = set(
        session.scalars(
            statement.on_conflict_do_update(
                index_elements=["post_id", "model_version_id"],
                set_={
                    "worker": statement.excluded.worker,
                    "claimed_at": statement.excluded.claimed_at,
                },
                where=ClassifyClaim.__table__.c.claimed_at <= cutoff,
            ).returning(ClassifyClaim.post_id)
        )
    )
    return [p for p in posts if p.id in claimed]


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
        .order_by(ClassifyClaim.post_id)
        .with_for_update()
    )
    return set(session.scalars(query))


# SQLSTATEs after which the whole transaction can simply be run again: deadlock detected
# and serialization failure. PostgreSQL rolls the transaction back; nothing was written.
_RETRYABLE_SQLSTATES = frozenset({"40P01", "40001"})


def is_retryable(error: BaseException) -> bool:
    """Whether a database error is a transient conflict between concurrent transactions."""
    original = getattr(error, "orig", None)
    return getattr(original, "sqlstate", None) in _RETRYABLE_SQLSTATES


def release(session: Session, model_version_id: int, worker: str, post_ids: list[int]) -> None:
    session.execute(
        delete(ClassifyClaim).where(
            ClassifyClaim.model_version_id == model_version_id,
            ClassifyClaim.worker == worker,
            ClassifyClaim.post_id.in_(post_ids),
        )
    )
