"""posts.sealed_link; account-bearing ids hashed and links sealed in stored posts

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07

Converts the posts stored before issue #15's privacy change (store/privacy.py): every
link is sealed into `sealed_link` and cleared from `url` (kept only with
[privacy] keep_raw_handles), and ids that name an account (Mastodon status URIs and
Bluesky at-URIs: account paths and DIDs in any id) are replaced by their keyed hash,
in `external_id`, `parent_id` and `thread_id` alike, so replies still find their
parents. It needs the
instance key, which `cohesion db upgrade` and `cohesion init` pass in; a database with
posts to convert and no key fails with a message that says so, and nothing changes.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

BATCH = 2000
# Only rows that may need converting are read: a link, or an id with a path or a DID in
# it (ACCOUNT_MARKER in store/privacy.py needs a '/' or 'did:').
_CANDIDATES = """
    SELECT id, platform, external_id, parent_id, thread_id, url FROM posts
    WHERE id > :after AND (
        url IS NOT NULL
        OR external_id LIKE '%/%' OR parent_id LIKE '%/%' OR thread_id LIKE '%/%'
        OR external_id LIKE '%did:%' OR parent_id LIKE '%did:%' OR thread_id LIKE '%did:%')
    ORDER BY id LIMIT :batch
"""


def upgrade() -> None:
    op.add_column("posts", sa.Column("sealed_link", sa.Text(), nullable=True))
    convert_rows(op.get_bind(), op.get_context().config.attributes.get("post_privacy"))  # type: ignore[union-attr]


def convert_rows(connection: sa.Connection, privacy: Any) -> int:
    """Seal links and hash account ids of stored posts, in batches; returns rows changed."""
    from cohesion.store.privacy import carries_account
    from cohesion.store.pseudonyms import PseudonymKeyError

    changed = 0
    after = 0
    while True:
        rows = connection.execute(sa.text(_CANDIDATES), {"after": after, "batch": BATCH}).all()
        if not rows:
            return changed
        after = rows[-1].id
        updates = []
        for row in rows:
            ids = (row.external_id, row.parent_id, row.thread_id)
            if row.url is None and not any(carries_account(row.platform, v) for v in ids):
                continue
            if privacy is None:
                raise PseudonymKeyError(
                    "migration 0008 seals the links and hashes the account ids of stored "
                    "posts and needs the instance key: run `cohesion db upgrade` with the "
                    "config whose [privacy] key_file holds it, or set COHESION_PSEUDONYM_KEY"
                )
            updates.append(
                {
                    "row_id": row.id,
                    "external_id": privacy.stored_id(row.platform, row.external_id),
                    "parent_id": privacy.stored_id(row.platform, row.parent_id),
                    "thread_id": privacy.stored_id(row.platform, row.thread_id),
                    "sealed_link": privacy.seal(row.url),
                    "url": row.url if privacy.keep_raw_links else None,
                }
            )
        if updates:
            connection.execute(
                sa.text(
                    "UPDATE posts SET external_id = :external_id, parent_id = :parent_id,"
                    " thread_id = :thread_id, sealed_link = :sealed_link, url = :url"
                    " WHERE id = :row_id"
                ),
                updates,
            )
            changed += len(updates)


def downgrade() -> None:
    # Hashes cannot be undone; the sealed links are dropped with the column (the clear
    # links were already gone unless keep_raw_handles kept them).
    with op.batch_alter_table("posts") as batch:
        batch.drop_column("sealed_link")
