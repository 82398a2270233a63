"""Posts with their text, account and platform, read for storylines and coordinated posting.

`week_posts` gives one row per post created in a range of ISO weeks (every post, or
only the effectively flagged ones: store/effective.py); `watchlist_entries` the
watchlist entries the active model found in given posts (a fact about the text, so
kept whatever the post's labels).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from cohesion.store.effective import effective_labels
from cohesion.store.models import Author, Classification, ClassificationTag, Post, Source
from sqlalchemy import func, select
from sqlalchemy.orm import Session

# Post ids per IN (...) list: well under SQLite's and PostgreSQL's parameter limits.
ID_CHUNK = 5_000


@dataclass(slots=True, frozen=True)
class PostText:
    post_id: int
    week_start: date
    created_at: datetime
    platform: str
    source: str  # the source's name, else the platform
    author: str | None  # pseudonym
    url: str | None
    text: str
    flagged: bool


def week_posts(
    session: Session,
    model_id: int | None,
    first: date,
    last: date,
    *,
    flagged_only: bool = False,
) -> list[PostText]:
    """Posts of the ISO weeks first..last (Mondays), oldest first (ties by id)."""
    e = effective_labels(session.get_bind().dialect.name, model_id, first, last)
    query = (
        select(
            Post.id,
            Post.week_start,
            Post.created_at,
            Post.platform,
            func.coalesce(Source.name, Post.platform),
            Author.pseudonym,
            Post.url,
            Post.text,
            e.c.flagged,
        )
        .select_from(e)
        .join(Post, Post.id == e.c.post_id)
        .outerjoin(Author, Author.id == Post.author_id)
        .outerjoin(Source, Source.id == Post.source_id)
        .order_by(Post.created_at, Post.id)
    )
    if flagged_only:
        query = query.where(e.c.flagged == 1)
    return [
        PostText(
            post_id,
            week,
            created_at,
            platform,
            source,
            author,
            url,
            text or "",
            bool(flagged),
        )
        for post_id, week, created_at, platform, source, author, url, text, flagged in (
            session.execute(query)
        )
    ]


def posts_fingerprint(session: Session, first: date, last: date) -> tuple[int, int | None]:
    """(posts, highest post id) of the ISO weeks first..last: changes when posts arrive
    or are purged, so results computed from those posts can be cached against it."""
    query = select(func.count(Post.id), func.max(Post.id)).where(
        Post.week_start >= first, Post.week_start <= last
    )
    count, highest = session.execute(query).one()
    return int(count or 0), highest


def watchlist_entries(
    session: Session, model_id: int | None, post_ids: Sequence[int]
) -> dict[int, list[str]]:
    """post id -> the watchlist entries the active model's classification names."""
    found: dict[int, list[str]] = {}
    if model_id is None:
        return found
    ids = sorted(set(post_ids))
    for start in range(0, len(ids), ID_CHUNK):
        query = (
            select(Classification.post_id, ClassificationTag.value)
            .join(ClassificationTag, ClassificationTag.classification_id == Classification.id)
            .where(
                Classification.model_version_id == model_id,
                Classification.post_id.in_(ids[start : start + ID_CHUNK]),
                ClassificationTag.kind == "watchlist",
            )
            .order_by(Classification.post_id, ClassificationTag.value)
        )
        for post_id, value in session.execute(query):
            if value not in found.setdefault(post_id, []):
                found[post_id].append(value)
    return found
