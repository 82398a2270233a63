"""scale indexes: a covering index on posts for week-range trend scans

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27

The weekly trend queries (store/effective.py, store/trends.py) read the posts of a
range of weeks: week_start, id and a few columns. ix_posts_week_id lets PostgreSQL
answer that part with an index-only scan instead of a bitmap heap scan (EXPLAIN in
docs/scale.md, measured by benchmarks/bench_scale.py). On SQLite it is a plain
(week_start, id) index.
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_posts_week_id",
            ["week_start", "id"],
            unique=False,
            postgresql_include=["source_id", "platform", "author_id", "created_at"],
        )


def downgrade() -> None:
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.drop_index("ix_posts_week_id")
