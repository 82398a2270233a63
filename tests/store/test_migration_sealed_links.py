"""Migration 0008: posts stored before it get their links sealed and account ids hashed."""

from __future__ import annotations

import pytest
from cohesion.store.engine import make_engine
from cohesion.store.migrate import current_revision, head_revision, upgrade
from cohesion.store.privacy import HASHED_ID_PREFIX, PostPrivacy
from cohesion.store.pseudonyms import PseudonymKeyError
from sqlalchemy import Engine, inspect, text

KEY = b"migration-tests-instance-key-0123456789"
ROOT = "https://marlow.social/users/alice/statuses/1"
REPLY = "https://other.example/users/bob/statuses/2"
SKY = "at://did:plc:abcdefgh/app.bsky.feed.post/3kroot"
ROWS = [
    # (platform, external_id, parent_id, thread_id, url)
    ("mastodon", ROOT, None, ROOT, "https://marlow.social/@alice/1"),
    ("mastodon", REPLY, ROOT, ROOT, "https://other.example/@bob/2"),
    ("bluesky", SKY, None, SKY, "https://bsky.app/profile/alice.bsky.social/post/3kroot"),
    ("reddit", "t3_abc", None, "t3_abc", "https://www.reddit.com/r/marlow/comments/abc/"),
    ("fourchan", "pol/9", None, "pol/1", None),
]


def _old_posts(url: str) -> Engine:
    """A database at 0007 holding posts the way they were stored before 0008."""
    engine = make_engine(url)
    upgrade(engine, "0007")
    with engine.begin() as connection:
        for n, (platform, external, parent, thread, link) in enumerate(ROWS):
            connection.execute(
                text(
                    "INSERT INTO posts (platform, external_id, parent_id, thread_id, url,"
                    " created_at, week_start, collected_at, text, content_hash, engagement,"
                    " places) VALUES (:p, :e, :parent, :thread, :url, :t, :w, :t, :text,"
                    " :hash, '{}', '[]')"
                ),
                {
                    "p": platform,
                    "e": external,
                    "parent": parent,
                    "thread": thread,
                    "url": link,
                    "t": "2026-11-02 10:00:00+00:00",
                    "w": "2026-11-02",
                    "text": f"post {n}",
                    "hash": f"{n:064d}",
                },
            )
    return engine


def _posts(engine: Engine) -> dict[str, tuple[str, str | None, str | None, str | None, str | None]]:
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT text, external_id, parent_id, thread_id, url, sealed_link FROM posts")
        ).all()
    return {row[0]: tuple(row[1:]) for row in rows}  # type: ignore[misc]


def test_old_posts_are_converted(db_url: str) -> None:
    engine = _old_posts(db_url)
    privacy = PostPrivacy(KEY)
    try:
        assert upgrade(engine, privacy=privacy) == ("0007", head_revision(engine))
        posts = _posts(engine)
    finally:
        engine.dispose()
    root, reply, sky, reddit, chan = (posts[f"post {n}"] for n in range(5))
    # Account-bearing ids hashed the way new posts are, so a re-crawl is a duplicate and
    # the reply still points at its parent.
    assert root[0] == privacy.stored_id("mastodon", ROOT) and root[0].startswith(HASHED_ID_PREFIX)
    assert reply[1] == root[0] and reply[2] == root[0]
    assert sky[0] == sky[2] == privacy.stored_id("bluesky", SKY)
    # Ids without an account are kept as they are.
    assert (reddit[0], reddit[2], chan[0], chan[2]) == ("t3_abc", "t3_abc", "pol/9", "pol/1")
    # Every link sealed, none in clear; they open to what they were.
    for (_, _, _, _, link), (_, _, _, url, sealed) in zip(
        ROWS, (root, reply, sky, reddit, chan), strict=True
    ):
        assert url is None
        assert (privacy.open(sealed) if sealed else None) == link
    joined = " ".join(str(v) for row in posts.values() for v in row)
    assert "alice" not in joined and "did:plc" not in joined and "bob" not in joined


def test_keep_raw_handles_keeps_the_clear_link_too(db_url: str) -> None:
    engine = _old_posts(db_url)
    try:
        upgrade(engine, privacy=PostPrivacy(KEY, keep_raw_links=True))
        root = _posts(engine)["post 0"]
    finally:
        engine.dispose()
    assert root[3] == "https://marlow.social/@alice/1" and root[4] is not None
    assert root[0].startswith(HASHED_ID_PREFIX)  # ids are hashed whatever the setting


def test_without_the_key_nothing_changes(db_url: str) -> None:
    engine = _old_posts(db_url)
    try:
        with pytest.raises(PseudonymKeyError, match="needs the instance key"):
            upgrade(engine)
        assert current_revision(engine) == "0007"
        assert "sealed_link" not in {c["name"] for c in inspect(engine).get_columns("posts")}
        with engine.connect() as connection:
            ids = set(connection.execute(text("SELECT external_id FROM posts")).scalars())
        assert ROOT in ids and SKY in ids
    finally:
        engine.dispose()


def test_an_empty_database_needs_no_key(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        upgrade(engine)
        assert current_revision(engine) == head_revision(engine)
    finally:
        engine.dispose()
