"""Writing posts: validation, idempotent batch upsert, and reading them back in batches."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from store.models import Author, Classification, Post
from store.text import content_hash, sanitize_text
from store.types import NaiveTimestampError, utcnow

# Rows per INSERT statement: large enough to amortise round trips, small enough to keep
# PostgreSQL under its 65,535 bind parameters (posts have 17 columns).
UPSERT_CHUNK = 1000


class InvalidPostError(ValueError):
    """A post record is unusable; the message names the post and the field."""


@dataclass(slots=True)
class PostRecord:
    """A post on its way into the store; the contract between collectors and the store."""

    platform: str
    external_id: str
    text: str
    created_at: datetime
    url: str | None = None
    author_pseudonym: str | None = None
    author_handle: str | None = None
    title: str | None = None
    language: str | None = None
    parent_id: str | None = None
    thread_id: str | None = None
    engagement: dict[str, Any] = field(default_factory=dict)
    places: list[str] = field(default_factory=list)
    source_id: int | None = None
    # A watchlist entry whose own account this post replies to (docs/watchlist.md).
    addressed_watchlist: str | None = None

    def validated(self) -> PostRecord:
        where = f"post {self.platform}:{self.external_id}"
        if not self.platform or not str(self.external_id).strip():
            raise InvalidPostError(f"{where}: platform and external_id are required")
        if not isinstance(self.created_at, datetime):
            raise InvalidPostError(f"{where}: created_at must be a datetime")
        if self.created_at.tzinfo is None or self.created_at.utcoffset() is None:
            raise InvalidPostError(
                f"{where}: created_at {self.created_at.isoformat()} has no time zone"
            )
        self.external_id = sanitize_text(str(self.external_id))[:300]
        self.text = sanitize_text(self.text or "")
        if self.title is not None:
            self.title = sanitize_text(self.title)
        return self


@dataclass(slots=True)
class UpsertResult:
    seen: int = 0
    new: int = 0

    @property
    def duplicate(self) -> int:
        return self.seen - self.new

    def __iadd__(self, other: UpsertResult) -> UpsertResult:
        self.seen += other.seen
        self.new += other.new
        return self


def week_start(moment: datetime, tz: ZoneInfo) -> date:
    """Monday of the ISO week that holds `moment` in the locality's time zone."""
    local = moment.astimezone(tz).date()
    return local - timedelta(days=local.weekday())


def _insert_for(session: Session, table: Any) -> Any:
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"upsert is written for SQLite and PostgreSQL, not {dialect}")


def _author_ids(session: Session, records: Sequence[PostRecord]) -> dict[tuple[str, str], int]:
    """Ensure an authors row for every (platform, pseudonym) and return their ids."""
    now = utcnow()
    keys: dict[tuple[str, str], str | None] = {}
    for record in records:
        if record.author_pseudonym:
            keys.setdefault((record.platform, record.author_pseudonym), record.author_handle)
    if not keys:
        return {}
    rows = [
        {
            "platform": p,
            "pseudonym": s,
            "raw_handle": h,
            "first_seen": now,
            "last_seen": now,
            "post_count": 0,
        }
        for (p, s), h in keys.items()
    ]
    statement = _insert_for(session, Author.__table__).on_conflict_do_nothing(
        index_elements=["platform", "pseudonym"]
    )
    # Core statements on the session's connection: the ORM bulk path costs 2x here.
    session.connection().execute(statement, rows)
    found: dict[tuple[str, str], int] = {}
    for platform in {p for p, _ in keys}:
        names = [s for p, s in keys if p == platform]
        for start in range(0, len(names), UPSERT_CHUNK):
            chunk = names[start : start + UPSERT_CHUNK]
            query = select(Author.id, Author.pseudonym).where(
                Author.platform == platform, Author.pseudonym.in_(chunk)
            )
            for author_id, pseudonym in session.execute(query):
                found[(platform, pseudonym)] = author_id
    return found


def upsert_posts(
    session: Session, records: Iterable[PostRecord], tz: ZoneInfo | str = "UTC"
) -> UpsertResult:
    """Insert posts that are not stored yet; a post already stored is left as it is.

    Idempotent on (platform, external_id): the same batch twice stores it once and
    reports 0 new the second time. Author post counts grow only with new posts.
    The caller owns the transaction.
    """
    zone = ZoneInfo(tz) if isinstance(tz, str) else tz
    result = UpsertResult()
    batch: list[PostRecord] = []
    for record in records:
        batch.append(record.validated())
        if len(batch) >= UPSERT_CHUNK:
            result += _upsert_chunk(session, batch, zone)
            batch = []
    if batch:
        result += _upsert_chunk(session, batch, zone)
    return result


def _upsert_chunk(session: Session, records: list[PostRecord], tz: ZoneInfo) -> UpsertResult:
    # A page can hold the same post twice (a boost and its original): keep the first.
    unique: dict[tuple[str, str], PostRecord] = {}
    for record in records:
        unique.setdefault((record.platform, record.external_id), record)
    authors = _author_ids(session, list(unique.values()))
    now = utcnow()
    rows = []
    for record in unique.values():
        author_id = (
            authors.get((record.platform, record.author_pseudonym))
            if record.author_pseudonym
            else None
        )
        rows.append(
            {
                "platform": record.platform,
                "external_id": record.external_id,
                "source_id": record.source_id,
                "url": record.url,
                "author_id": author_id,
                "created_at": record.created_at,
                "week_start": week_start(record.created_at, tz),
                "collected_at": now,
                "title": record.title,
                "text": record.text,
                "language": record.language,
                "content_hash": content_hash(record.text),
                "parent_id": record.parent_id,
                "thread_id": record.thread_id,
                "engagement": record.engagement,
                "places": record.places,
                "addressed_watchlist": record.addressed_watchlist,
            }
        )
    table = Post.__table__
    statement = (
        _insert_for(session, table)
        .on_conflict_do_nothing(index_elements=["platform", "external_id"])
        .returning(table.c.author_id, table.c.week_start)
    )
    inserted = session.connection().execute(statement, rows).all()
    _count_author_posts(session, inserted)
    if inserted:
        from store.rollups import mark_weeks  # new posts change their weeks' trend counts

        mark_weeks(session, {week for _, week in inserted})
    return UpsertResult(seen=len(records), new=len(inserted))


def _count_author_posts(session: Session, inserted: Sequence[Any]) -> None:
    """Recount posts and last-seen time for the authors of newly stored posts.

    One UPDATE with correlated subqueries per chunk (on the author index) instead of
    one UPDATE per author: recounting is also exact after a retention purge.
    """
    author_ids = sorted({author_id for author_id, _ in inserted if author_id is not None})
    if not author_ids:
        return
    count = select(func.count(Post.id)).where(Post.author_id == Author.id).scalar_subquery()
    latest = select(func.max(Post.created_at)).where(Post.author_id == Author.id).scalar_subquery()
    session.execute(
        update(Author)
        .where(Author.id.in_(author_ids))
        .values(post_count=count, last_seen=func.coalesce(latest, Author.last_seen)),
        execution_options={"synchronize_session": False},
    )


def unclassified_posts_query(model_version_id: int) -> Select[Post]:
    """Posts with no classification from this model version, oldest id first."""
    has_classification = (
        select(Classification.id)
        .where(
            Classification.post_id == Post.id,
            Classification.model_version_id == model_version_id,
        )
        .exists()
    )
    return select(Post).where(~has_classification).order_by(Post.id)


def iter_unclassified_batches(
    session: Session, model_version_id: int, batch_size: int = 500
) -> Iterator[list[Post]]:
    """Yield batches of unclassified posts, keyset-paged on id.

    Paging on id (not OFFSET) stays correct while the caller writes classifications
    for each batch between yields, and stays fast on millions of rows.
    """
    last_id = 0
    while True:
        query = unclassified_posts_query(model_version_id).where(Post.id > last_id)
        batch = list(session.scalars(query.limit(batch_size)))
        if not batch:
            return
        yield batch
        last_id = batch[-1].id


def count_unclassified(session: Session, model_version_id: int) -> int:
    subquery = unclassified_posts_query(model_version_id).subquery()
    return session.scalar(select(func.count()).select_from(subquery)) or 0


def to_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise NaiveTimestampError(f"timestamp {moment.isoformat()} has no time zone")
    return moment.astimezone(UTC)
