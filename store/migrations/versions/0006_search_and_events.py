"""Full-text search over every post, and the local calendar of events

- SQLite: an FTS5 table over posts (title, text) with the content kept in `posts`
  (external content), Porter stemming over unicode61 so "voting" finds "vote" as on
  PostgreSQL, and triggers that keep it in step with every insert, update and delete.
- PostgreSQL: a stored generated `tsvector` column (english configuration) with a GIN
  index; the database keeps it in step by itself, COPY included.
- `events`: dated local events (meetings, elections, community and national events)
  added with `cohesion event add`; events in the config file are read from there.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import cohesion.store.types

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

SQLITE_UP = [
    """CREATE VIRTUAL TABLE posts_fts USING fts5(
        title, text, content='posts', content_rowid='id',
        tokenize='porter unicode61 remove_diacritics 2')""",
    """CREATE TRIGGER posts_fts_insert AFTER INSERT ON posts BEGIN
        INSERT INTO posts_fts(rowid, title, text) VALUES (new.id, new.title, new.text);
    END""",
    """CREATE TRIGGER posts_fts_delete AFTER DELETE ON posts BEGIN
        INSERT INTO posts_fts(posts_fts, rowid, title, text)
        VALUES ('delete', old.id, old.title, old.text);
    END""",
    """CREATE TRIGGER posts_fts_update AFTER UPDATE OF title, text ON posts BEGIN
        INSERT INTO posts_fts(posts_fts, rowid, title, text)
        VALUES ('delete', old.id, old.title, old.text);
        INSERT INTO posts_fts(rowid, title, text) VALUES (new.id, new.title, new.text);
    END""",
    "INSERT INTO posts_fts(posts_fts) VALUES ('rebuild')",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS posts_fts_update",
    "DROP TRIGGER IF EXISTS posts_fts_delete",
    "DROP TRIGGER IF EXISTS posts_fts_insert",
    "DROP TABLE IF EXISTS posts_fts",
]
POSTGRES_UP = [
    """ALTER TABLE posts ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        to_tsvector('english', coalesce(title, '') || ' ' || coalesce(text, ''))) STORED""",
    "CREATE INDEX ix_posts_search ON posts USING gin (search_vector)",
]
POSTGRES_DOWN = [
    "DROP INDEX IF EXISTS ix_posts_search",
    "ALTER TABLE posts DROP COLUMN IF EXISTS search_vector",
]


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in {"sqlite": SQLITE_UP, "postgresql": POSTGRES_UP}.get(dialect, []):
        op.execute(statement)
    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("created_at", cohesion.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("day", "title", name="uq_events_day_title"),
    )
    op.create_index("ix_events_day", "events", ["day"])


def downgrade() -> None:
    op.drop_index("ix_events_day", table_name="events")
    op.drop_table("events")
    dialect = op.get_bind().dialect.name
    for statement in {"sqlite": SQLITE_DOWN, "postgresql": POSTGRES_DOWN}.get(dialect, []):
        op.execute(statement)
