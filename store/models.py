"""The ORM schema of every table in DESIGN.md ("Store").

Label flags and scores are real columns, and targets, narratives and threat target
kinds are rows of `classification_tags`, so that trend queries are plain GROUP BYs on
SQLite and PostgreSQL alike instead of dialect-specific JSON functions.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from cohesion.store.types import PortableJSON, UTCDateTime, utcnow
from sqlalchemy import (
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy import text as sql_text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

REVIEW_DECISIONS: tuple[str, ...] = ("confirm", "reject", "correct", "escalate")
ROLES: tuple[str, ...] = ("analyst", "admin")


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: PortableJSON}


class Source(Base):
    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    platform: Mapped[str] = mapped_column(String(40))
    config: Mapped[dict[str, Any]] = mapped_column(PortableJSON, default=dict)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # Incremental crawl state, owned by the source's spider (newest id, paging cursor...).
    cursor: Mapped[dict[str, Any]] = mapped_column(PortableJSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class CrawlRun(Base):
    __tablename__ = "crawl_runs"
    __table_args__ = (Index("ix_crawl_runs_source_started", "source_id", "started_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    # running, ok, failed, skipped
    status: Mapped[str] = mapped_column(String(20), default="running")
    pages: Mapped[int] = mapped_column(Integer, default=0)
    items_seen: Mapped[int] = mapped_column(Integer, default=0)
    items_new: Mapped[int] = mapped_column(Integer, default=0)
    items_duplicate: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[int] = mapped_column(Integer, default=0)
    message: Mapped[str | None] = mapped_column(Text)
    # "local" or the Scrapyd node that ran it.
    runner: Mapped[str] = mapped_column(String(200), default="local")

    source: Mapped[Source] = relationship()


class Author(Base):
    __tablename__ = "authors"
    __table_args__ = (
        UniqueConstraint("platform", "pseudonym", name="uq_authors_platform_pseudonym"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(40))
    pseudonym: Mapped[str] = mapped_column(String(64))
    # Only filled when [privacy] keep_raw_handles is true.
    raw_handle: Mapped[str | None] = mapped_column(String(300))
    first_seen: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(default=utcnow)
    post_count: Mapped[int] = mapped_column(Integer, default=0)


class Post(Base):
    __tablename__ = "posts"
    __table_args__ = (
        UniqueConstraint("platform", "external_id", name="uq_posts_platform_external_id"),
        Index("ix_posts_week_source", "week_start", "source_id"),
        # Index-only scans of a week range for the trend queries (migration 0003).
        Index(
            "ix_posts_week_id",
            "week_start",
            "id",
            postgresql_include=["source_id", "platform", "author_id", "created_at"],
        ),
        Index("ix_posts_author", "author_id"),
        Index("ix_posts_created_at", "created_at"),
        Index("ix_posts_collected_at", "collected_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(40))
    external_id: Mapped[str] = mapped_column(String(300))
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id", ondelete="SET NULL"))
    # The link to the original post in clear: only with [privacy] keep_raw_handles.
    url: Mapped[str | None] = mapped_column(Text)
    # The same link sealed with the instance key; opened in the review app, audited.
    sealed_link: Mapped[str | None] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("authors.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
    # Monday of the ISO week of created_at in the locality's time zone.
    week_start: Mapped[date] = mapped_column(Date)
    collected_at: Mapped[datetime] = mapped_column(default=utcnow)
    title: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(12))
    content_hash: Mapped[str] = mapped_column(String(64))
    parent_id: Mapped[str | None] = mapped_column(String(300))
    thread_id: Mapped[str | None] = mapped_column(String(300))
    engagement: Mapped[dict[str, Any]] = mapped_column(PortableJSON, default=dict)
    places: Mapped[list[str]] = mapped_column(PortableJSON, default=list)
    # The watchlist entry whose own account this post replies to, when the platform
    # says so; only the entry's name is kept, never the replied-to handle.
    addressed_watchlist: Mapped[str | None] = mapped_column(String(200))

    author: Mapped[Author | None] = relationship()
    source: Mapped[Source | None] = relationship()


class ModelVersion(Base):
    __tablename__ = "model_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    path: Mapped[str | None] = mapped_column(Text)
    training_summary: Mapped[dict[str, Any]] = mapped_column(PortableJSON, default=dict)
    metrics: Mapped[dict[str, Any]] = mapped_column(PortableJSON, default=dict)
    thresholds: Mapped[dict[str, Any]] = mapped_column(PortableJSON, default=dict)
    is_active: Mapped[bool] = mapped_column(Boolean, default=False)


class Classification(Base):
    __tablename__ = "classifications"
    __table_args__ = (
        UniqueConstraint("post_id", "model_version_id", name="uq_classifications_post_model"),
        Index("ix_classifications_model_flagged", "model_version_id", "flagged"),
        # The priority queue's order (store/review_queries.py, migrations 0009 and 0010);
        # left out of the drift check (store/migrate.py QUEUE_INDEX), tested in
        # test_migrations. SQLite's condition is the term its queries carry.
        Index(
            "ix_classifications_queue",
            "model_version_id",
            sql_text("priority DESC"),
            "post_id",
            postgresql_where=sql_text("flagged"),
            sqlite_where=sql_text("flagged = 1"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    model_version_id: Mapped[int] = mapped_column(
        ForeignKey("model_versions.id", ondelete="CASCADE")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    flagged: Mapped[bool] = mapped_column(Boolean, default=False)
    flag_hate: Mapped[bool] = mapped_column(Boolean, default=False)
    flag_anti_government: Mapped[bool] = mapped_column(Boolean, default=False)
    flag_threat: Mapped[bool] = mapped_column(Boolean, default=False)
    flag_doxxing: Mapped[bool] = mapped_column(Boolean, default=False)
    score_hate: Mapped[float] = mapped_column(Float, default=0.0)
    score_anti_government: Mapped[float] = mapped_column(Float, default=0.0)
    score_threat: Mapped[float] = mapped_column(Float, default=0.0)
    score_doxxing: Mapped[float] = mapped_column(Float, default=0.0)
    # Highest severity-weighted score, used to order the review queue.
    priority: Mapped[float] = mapped_column(Float, default=0.0)
    # [{"start", "end", "label", "reason"}] character offsets into posts.text.
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(PortableJSON, default=list)

    post: Mapped[Post] = relationship()
    model_version: Mapped[ModelVersion] = relationship()
    tags: Mapped[list[ClassificationTag]] = relationship(
        back_populates="classification", cascade="all, delete-orphan"
    )


class ClassificationTag(Base):
    """One detail of a classification: kind is target, narrative, threat_target or watchlist."""

    __tablename__ = "classification_tags"
    __table_args__ = (Index("ix_classification_tags_kind_value", "kind", "value"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    classification_id: Mapped[int] = mapped_column(
        ForeignKey("classifications.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(30))
    value: Mapped[str] = mapped_column(String(200))

    classification: Mapped[Classification] = relationship(back_populates="tags")


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(String(300))
    role: Mapped[str] = mapped_column(String(20), default="analyst")
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login: Mapped[datetime | None]


class ReviewSession(Base):
    """A signed-in review-app session; deleting the row ends it at once (issue #15).

    The cookie carries a random token; only its SHA-256 is stored, so a copy of the
    database does not hold cookies that work."""

    __tablename__ = "review_sessions"
    __table_args__ = (Index("ix_review_sessions_user", "user_id"),)

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]


class Review(Base):
    """Append-only: a new decision is a new row; the latest row per post wins."""

    __tablename__ = "reviews"
    __table_args__ = (Index("ix_reviews_post_created", "post_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    classification_id: Mapped[int | None] = mapped_column(
        ForeignKey("classifications.id", ondelete="SET NULL")
    )
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decision: Mapped[str] = mapped_column(String(20))
    # The labels the analyst says are right: {"flags": [...], "targets": [...], ...}
    corrected_labels: Mapped[dict[str, Any] | None] = mapped_column(PortableJSON)
    note: Mapped[str | None] = mapped_column(Text)
    # Which queue the post was drawn from: priority, uncertain or calibration.
    queue: Mapped[str] = mapped_column(String(20), default="priority")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    post: Mapped[Post] = relationship()
    user: Mapped[User | None] = relationship()


class AuditLog(Base):
    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_at", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor: Mapped[str | None] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(50))
    object_type: Mapped[str | None] = mapped_column(String(50))
    object_id: Mapped[str | None] = mapped_column(String(100))
    detail: Mapped[dict[str, Any]] = mapped_column(PortableJSON, default=dict)
    ip: Mapped[str | None] = mapped_column(String(64))


class JobRun(Base):
    __tablename__ = "job_runs"
    __table_args__ = (Index("ix_job_runs_job_started", "job", "started_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job: Mapped[str] = mapped_column(String(50))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(20), default="running")
    duration_s: Mapped[float | None] = mapped_column(Float)
    detail: Mapped[dict[str, Any]] = mapped_column(PortableJSON, default=dict)
    error: Mapped[str | None] = mapped_column(Text)


class Event(Base):
    """A dated local event (a commission vote, an election, a church's event) that the
    report and the charts put beside the weeks they fall in. Added with `cohesion event
    add`; events in the config file are not stored here."""

    __tablename__ = "events"
    __table_args__ = (
        UniqueConstraint("day", "title", name="uq_events_day_title"),
        Index("ix_events_day", "day"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    title: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(100))


class Lock(Base):
    """Named leases, e.g. "scheduler": one holder at a time, taken over when stale."""

    __tablename__ = "locks"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    acquired_at: Mapped[datetime] = mapped_column(default=utcnow)
    heartbeat_at: Mapped[datetime] = mapped_column(default=utcnow)


class ClassifyClaim(Base):
    """A worker's lease on a post it is classifying (PostgreSQL workers, `cohesion worker`).

    A claim older than the lease is free to be taken again, so a crashed worker's posts
    are not lost; the (post, model version) key keeps two live claims from coexisting.
    """

    __tablename__ = "classify_claims"

    post_id: Mapped[int] = mapped_column(
        ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True
    )
    model_version_id: Mapped[int] = mapped_column(
        ForeignKey("model_versions.id", ondelete="CASCADE"), primary_key=True
    )
    worker: Mapped[str] = mapped_column(String(200))
    claimed_at: Mapped[datetime] = mapped_column(default=utcnow)


class TrendRollupWeek(Base):
    """A week whose trend rollup is built for a model version (store/rollups.py).

    Present = trend_weekly and trend_weekly_posts hold that week's counts for that
    model, unless a `trend_dirty_weeks` mark for the week is still pending.
    """

    __tablename__ = "trend_rollup_weeks"

    model_version_id: Mapped[int] = mapped_column(
        ForeignKey("model_versions.id", ondelete="CASCADE"), primary_key=True
    )
    week_start: Mapped[date] = mapped_column(Date, primary_key=True)
    refreshed_at: Mapped[datetime] = mapped_column(default=utcnow)


class TrendDirtyWeek(Base):
    """A week whose effective labels changed since its rollups were built (any model).

    Written in the same transaction as the change (posts stored, classifications
    written, a review recorded, a purge); several marks of one week may coexist.
    """

    __tablename__ = "trend_dirty_weeks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    week_start: Mapped[date] = mapped_column(Date, index=True)


class TrendWeekly(Base):
    """Effectively flagged posts per (model, week, dimension, key).

    dimension "label" has one row per label and "any" for every week with posts;
    "target", "narrative", "threat_target" one row per tag value with a flagged post.
    """

    __tablename__ = "trend_weekly"

    model_version_id: Mapped[int] = mapped_column(
        ForeignKey("model_versions.id", ondelete="CASCADE"), primary_key=True
    )
    week_start: Mapped[date] = mapped_column(Date, primary_key=True)
    dimension: Mapped[str] = mapped_column(String(20), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    flagged: Mapped[int] = mapped_column(Integer)


class TrendWeeklyPosts(Base):
    """Posts collected, assessed and flagged (any label) per (model, week, source)."""

    __tablename__ = "trend_weekly_posts"
    __table_args__ = (Index("ix_trend_weekly_posts_model_week", "model_version_id", "week_start"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    model_version_id: Mapped[int] = mapped_column(
        ForeignKey("model_versions.id", ondelete="CASCADE")
    )
    week_start: Mapped[date] = mapped_column(Date)
    source_id: Mapped[int | None] = mapped_column(Integer)
    platform: Mapped[str] = mapped_column(String(40))
    collected: Mapped[int] = mapped_column(Integer)
    assessed: Mapped[int] = mapped_column(Integer)
    flagged: Mapped[int] = mapped_column(Integer)
