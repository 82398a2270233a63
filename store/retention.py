"""Retention: delete posts once they are older than the configured periods.

- A post nobody flagged (no flag from the active model's classification) and nobody
  reviewed is deleted once its `created_at` is older than `unflagged_days`.
- A flagged or reviewed post is kept until it is older than `flagged_days`.

Deleting a post deletes its classifications, their tags and its reviews (foreign-key
cascades); authors left with no post are deleted too. Each purge writes one audit_log
row with the counts and cutoffs.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from cohesion.store.models import AuditLog, Author, Classification, Post, Review
from cohesion.store.posts import recount_authors
from cohesion.store.rollups import mark_weeks
from cohesion.store.types import utcnow
from sqlalchemy import delete, exists, func, select
from sqlalchemy.orm import Session


@dataclass(slots=True)
class PurgeResult:
    unflagged_cutoff: datetime
    flagged_cutoff: datetime
    unflagged_posts: int
    flagged_posts: int
    authors: int
    dry_run: bool

    @property
    def posts(self) -> int:
        return self.unflagged_posts + self.flagged_posts

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["unflagged_cutoff"] = self.unflagged_cutoff.isoformat()
        data["flagged_cutoff"] = self.flagged_cutoff.isoformat()
        return data


def _kept_longer(model_version_id: int | None) -> Any:
    """Posts flagged by the active model or reviewed by an analyst."""
    flagged = exists().where(
        Classification.post_id == Post.id,
        Classification.model_version_id == (model_version_id if model_version_id else -1),
        Classification.flagged,
    )
    reviewed = exists().where(Review.post_id == Post.id)
    return flagged | reviewed


def purge(
    session: Session,
    model_version_id: int | None,
    unflagged_days: int,
    flagged_days: int,
    *,
    dry_run: bool = False,
    now: datetime | None = None,
    actor: str = "system",
) -> PurgeResult:
    """Delete (or with dry_run, count) the posts past retention; the caller commits."""
    now = now or utcnow()
    unflagged_cutoff = now - timedelta(days=unflagged_days)
    flagged_cutoff = now - timedelta(days=flagged_days)
    longer = _kept_longer(model_version_id)
    unflagged_where = (Post.created_at < unflagged_cutoff) & ~longer
    flagged_where = (Post.created_at < flagged_cutoff) & longer
    count = func.count(Post.id)
    unflagged = session.scalar(select(count).where(unflagged_where)) or 0
    flagged = session.scalar(select(count).where(flagged_where)) or 0
    orphans = 0
    if not dry_run:
        if unflagged or flagged:  # the weeks' trend rollups are stale (store/rollups.py)
            weeks = select(Post.week_start).where(unflagged_where | flagged_where).distinct()
            mark_weeks(session, session.scalars(weeks))
        # Authors who lose posts but keep some: recounted after the deletes.
        touched = {
            author_id
            for author_id in session.scalars(
                select(Post.author_id).where(unflagged_where | flagged_where).distinct()
            )
            if author_id is not None
        }
        session.execute(
            delete(Post).where(unflagged_where), execution_options={"synchronize_session": False}
        )
        session.execute(
            delete(Post).where(flagged_where), execution_options={"synchronize_session": False}
        )
        orphan_where = ~exists().where(Post.author_id == Author.id)
        orphans = session.scalar(select(func.count(Author.id)).where(orphan_where)) or 0
        session.execute(
            delete(Author).where(orphan_where), execution_options={"synchronize_session": False}
        )
        recount_authors(session, touched)
    result = PurgeResult(unflagged_cutoff, flagged_cutoff, unflagged, flagged, orphans, dry_run)
    if not dry_run:
        session.add(
            AuditLog(
                at=now, actor=actor, action="purge", object_type="posts", detail=result.as_dict()
            )
        )
    return result
