"""SQLite's driver-bound insert path of the post upsert writes what SQLAlchemy writes.

store.posts sends SQLite chunks as positional multi-row INSERTs with values formatted
in Python (`_insert_by_sqlite_rows`); the multi-row VALUES insert through SQLAlchemy's
types (`_insert_by_values`) is the reference. Same stored text, byte for byte, and the
same authors; and author counts added per chunk equal a recount of the stored posts.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import cohesion.store.posts as posts_module
import pytest
from cohesion.store.engine import make_engine, make_session_factory, session_scope
from cohesion.store.migrate import upgrade
from cohesion.store.models import Author, Post
from cohesion.store.posts import PostRecord, recount_authors, upsert_posts
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker

T0 = datetime(2026, 11, 16, 23, 30, tzinfo=UTC)  # a Monday, late: zones move the week


def records(n: int, start: int = 0) -> list[PostRecord]:
    zones = [UTC, timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-7))]
    return [
        PostRecord(
            platform="mastodon" if i % 4 else "reddit",
            external_id=f"p{i}",
            text=["plain post", "é ß 中文 \U0001f600", "tab\tnew\nline", ""][i % 4] + f" {i}",
            created_at=(T0 + timedelta(minutes=37 * i, microseconds=i % 3)).astimezone(
                zones[i % 3]
            ),
            url=None if i % 5 == 0 else f"https://example.social/{i}",
            sealed_link=None if i % 5 == 0 else f"gAAAAAsealed{i}",
            author_pseudonym=None if i % 7 == 0 else f"{i % 4:024x}",
            author_handle=f"@u{i % 4}" if i % 2 else None,
            title="a title" if i % 3 == 0 else None,
            language="en" if i % 2 else None,
            parent_id=f"p{i - 1}" if i % 6 == 1 else None,
            thread_id="t1" if i % 6 == 1 else None,
            engagement={"likes": i, "ratio": 0.5, "label": "ü", "none": None, "ok": True},
            places=["Olathe", "Zürich"] if i % 2 else [],
            addressed_watchlist="Mayor" if i % 9 == 0 else None,
        )
        for i in range(start, start + n)
    ]


def store(path: Path, via_values: bool, monkeypatch: pytest.MonkeyPatch) -> sessionmaker[Session]:
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    if via_values:
        monkeypatch.setattr(posts_module, "_insert_by_sqlite_rows", posts_module._insert_by_values)
    sessions = make_session_factory(engine)
    for start in (0, 40, 20):  # overlapping chunks: duplicates and authors seen before
        with session_scope(sessions) as session:
            upsert_posts(session, records(60, start)[:40], "America/Chicago")
    monkeypatch.undo()
    return sessions


def raw_rows(sessions: sessionmaker[Session], table: str, skip: tuple[str, ...]) -> list[Any]:
    with session_scope(sessions) as session:
        columns = [
            row[1] for row in session.execute(text(f"PRAGMA table_info({table})"))
            if row[1] not in skip
        ]  # fmt: skip
        query = f"SELECT {', '.join(columns)} FROM {table} ORDER BY id"
        return [tuple(row) for row in session.execute(text(query))]


def test_sqlite_rows_path_stores_what_the_values_path_stores(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reference = store(tmp_path / "values.db", True, monkeypatch)
    fast = store(tmp_path / "rows.db", False, monkeypatch)
    # Insert times differ between the two runs; everything else is compared as stored.
    post_skip = ("collected_at",)
    assert raw_rows(fast, "posts", post_skip) == raw_rows(reference, "posts", post_skip)
    author_skip = ("first_seen",)
    assert raw_rows(fast, "authors", author_skip) == raw_rows(reference, "authors", author_skip)
    assert len(raw_rows(fast, "posts", post_skip)) == 80  # posts 0-79


def test_added_author_counts_equal_a_recount(sessions: sessionmaker[Session]) -> None:
    for start in (0, 30, 10, 55):
        with session_scope(sessions) as session:
            upsert_posts(session, records(30, start), "UTC")
    with session_scope(sessions) as session:
        added = {a.id: (a.post_count, a.last_seen) for a in session.scalars(select(Author))}
        recount_authors(session, added)
    with session_scope(sessions) as session:
        recounted = {a.id: (a.post_count, a.last_seen) for a in session.scalars(select(Author))}
        stored = dict(
            session.execute(
                select(Post.author_id, func.count()).where(Post.author_id.is_not(None))
                .group_by(Post.author_id)
            ).all()
        )  # fmt: skip
    assert added == recounted
    assert {i: n for i, (n, _) in added.items()} == stored
