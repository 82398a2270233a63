"""trend rollups: weekly counts per model version, refreshed incrementally

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27

trend_weekly and trend_weekly_posts hold the weekly counts the trend series read
(store/rollups.py); trend_rollup_weeks lists the (model, week) pairs built, and
trend_dirty_weeks the weeks whose effective labels changed since (docs/scale.md).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import cohesion.store.types

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "trend_rollup_weeks",
        sa.Column("model_version_id", sa.Integer(), nullable=False),
        sa.Column("week_start", sa.Date(), nullable=False),
        sa.Column("refreshed_at", cohesion.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["model_version_id"], ["model_versions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("model_version_id", "week_start"),
    )
    op.create_table(
        "trend_dirty_weeks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("week_start", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("trend_dirty_weeks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_trend_dirty_weeks_week_start"), ["week_start"], unique=False
        )
    op.create_table(
        "trend_weekly",
        sa.Column("model_version_id", sa.Integer(), nullable=False),
        sa.Column("week_start", sa.Date(), nullable=False),
        sa.Column("dimension", sa.String(length=20), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("flagged", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["model_version_id"], ["model_versions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("model_version_id", "week_start", "dimension", "key"),
    )
    op.create_table(
        "trend_weekly_posts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("model_version_id", sa.Integer(), nullable=False),
        sa.Column("week_start", sa.Date(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=True),
        sa.Column("platform", sa.String(length=40), nullable=False),
        sa.Column("collected", sa.Integer(), nullable=False),
        sa.Column("assessed", sa.Integer(), nullable=False),
        sa.Column("flagged", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["model_version_id"], ["model_versions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("trend_weekly_posts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_trend_weekly_posts_model_week", ["model_version_id", "week_start"], unique=False
        )


def downgrade() -> None:
    op.drop_table("trend_weekly_posts")
    op.drop_table("trend_weekly")
    op.drop_table("trend_dirty_weeks")
    op.drop_table("trend_rollup_weeks")
