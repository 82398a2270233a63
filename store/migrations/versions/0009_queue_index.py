"""queue index: the review queue's first page without sorting every flagged post

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07

The priority queue lists a model's flagged classifications by priority (highest first,
ties by post id). ix_classifications_queue holds exactly those rows in that order (a
partial index, WHERE flagged, on PostgreSQL and SQLite alike), so the first page is
read from the top of the index instead of sorting every flagged post
(store/review_queries.py, measured by benchmarks/bench_report.py, plans in docs/scale.md).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_classifications_queue",
        "classifications",
        ["model_version_id", sa.text("priority DESC"), "post_id"],
        postgresql_where=sa.text("flagged"),
        sqlite_where=sa.text("flagged"),
    )


def downgrade() -> None:
    op.drop_index("ix_classifications_queue", table_name="classifications")
