"""Shared helpers for crawler tests: settings for a fictional county, store read-back.

Not a conftest: import what you need (`from tests.crawlers.helpers import ...`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cohesion.config import Settings
from cohesion.store import migrate
from cohesion.store.engine import make_engine, make_session_factory, session_scope, sqlite_url
from cohesion.store.models import Author, CrawlRun, Post, Source
from cohesion.store.privacy import PostPrivacy
from cohesion.store.pseudonyms import Pseudonymiser
from sqlalchemy import select

REPO_ROOT = Path(__file__).resolve().parents[2]
FIXTURES = REPO_ROOT / "tests" / "fixtures" / "platforms"
SHARED_FIXTURES = REPO_ROOT.parent / "shared" / "fixtures" / "platforms"
TEST_KEY = "crawler-tests-pseudonym-key-0123456789"

# Loopback crawls: no throttling, no waiting between retries, short timeouts.
FAST: dict[str, Any] = {
    "AUTOTHROTTLE_ENABLED": False,
    "DOWNLOAD_DELAY": 0,
    "FOURCHAN_MIN_DELAY": 0,  # the fourchan spider's one-request-per-second floor
    "RETRY_BACKOFF_BASE": 0,
    "DOWNLOAD_TIMEOUT": 5,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 8,
    "LOG_LEVEL": "WARNING",
}

PLACES = [
    {"name": "Marlow County", "aliases": ["Marlow Co."], "kind": "county"},
    {"name": "Ashford", "aliases": [], "kind": "city"},
    {"name": "Brindle Creek", "aliases": [], "kind": "neighborhood"},
    {"name": "Fairhaven", "aliases": ["Fair Haven"], "kind": "city"},
]


def make_settings(
    tmp_path: Path,
    sources: list[dict[str, Any]],
    *,
    db_name: str = "crawl.db",
    keep_raw_handles: bool = False,
    **crawl: Any,
) -> Settings:
    """Settings with a migrated SQLite store in tmp_path (use the crawl_env fixture)."""
    url = sqlite_url(tmp_path / db_name)
    settings = Settings.model_validate(
        {
            "database": {"url": url},
            "locality": {"name": "Marlow County", "timezone": "America/Chicago", "places": PLACES},
            "sources": sources,
            "crawl": {"contact": "tests@example.org", "retries": 2, **crawl},
            "privacy": {"keep_raw_handles": keep_raw_handles, "key_file": str(tmp_path / "k")},
        }
    )
    engine = make_engine(url)
    try:
        migrate.upgrade(engine)
    finally:
        engine.dispose()
    return settings


CREDENTIAL_VARIABLES = (
    "COHESION_REDDIT_CLIENT_ID",
    "COHESION_REDDIT_CLIENT_SECRET",
    "COHESION_BLUESKY_HANDLE",
    "COHESION_BLUESKY_APP_PASSWORD",
)


def isolate_crawl_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The test pseudonym key and no platform credentials (crawl children inherit it).

    Applied to every crawler test by tests/crawlers/conftest.py, and to the Scrapyd
    tests by theirs."""
    monkeypatch.setenv("COHESION_PSEUDONYM_KEY", TEST_KEY)
    for name in CREDENTIAL_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("COHESION_CONFIG", raising=False)


def pseudonym(platform: str, handle: str) -> str:
    return Pseudonymiser(TEST_KEY.encode())(platform, handle)


PRIVACY = Pseudonymiser(TEST_KEY.encode()).post_privacy()


def stored_id(platform: str, raw: str) -> str:
    """The id as the store keeps it: hashed when it names an account (store/privacy.py)."""
    return PRIVACY.stored_id(platform, raw) or raw


class StoredPosts(dict[str, dict[str, Any]]):
    """external_id -> post. A raw id that names an account (a Mastodon status URI, a
    Bluesky at-URI) is found by its keyed hash, which is what the store keeps."""

    def __init__(self, posts: dict[str, dict[str, Any]], privacy: PostPrivacy = PRIVACY) -> None:
        super().__init__(posts)
        self.privacy = privacy

    def _key(self, raw: object) -> object:
        if not isinstance(raw, str) or dict.__contains__(self, raw):
            return raw
        for platform in {post["platform"] for post in self.values()}:
            hashed = self.privacy.stored_id(platform, raw)
            if dict.__contains__(self, hashed):
                return hashed
        return raw

    def __getitem__(self, raw: str) -> dict[str, Any]:
        return dict.__getitem__(self, self._key(raw))  # type: ignore[index]

    def __contains__(self, raw: object) -> bool:
        return dict.__contains__(self, self._key(raw))


def stored_posts(settings: Settings) -> StoredPosts:
    """external_id -> the stored post's fields, with the author's pseudonym and `link`,
    the sealed link opened with the test key."""
    engine = make_engine(settings.database.url)
    try:
        with session_scope(make_session_factory(engine)) as session:
            rows = session.execute(
                select(Post, Author.pseudonym).outerjoin(Author, Post.author_id == Author.id)
            ).all()
            return StoredPosts(
                {
                    post.external_id: {
                        "platform": post.platform,
                        "text": post.text,
                        "title": post.title,
                        "created_at": post.created_at,
                        "url": post.url,
                        "link": PRIVACY.open(post.sealed_link) if post.sealed_link else None,
                        "author": pseudonym_,
                        "language": post.language,
                        "places": list(post.places or []),
                        "parent_id": post.parent_id,
                        "thread_id": post.thread_id,
                        "engagement": dict(post.engagement or {}),
                    }
                    for post, pseudonym_ in rows
                }
            )
    finally:
        engine.dispose()


def source_state(settings: Settings, name: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(cursor, crawl runs oldest first) of a source."""
    engine = make_engine(settings.database.url)
    try:
        with session_scope(make_session_factory(engine)) as session:
            source = session.scalar(select(Source).where(Source.name == name))
            assert source is not None
            runs = session.scalars(
                select(CrawlRun).where(CrawlRun.source_id == source.id).order_by(CrawlRun.id)
            ).all()
            return dict(source.cursor or {}), [
                {
                    "status": r.status,
                    "pages": r.pages,
                    "items_seen": r.items_seen,
                    "items_new": r.items_new,
                    "items_duplicate": r.items_duplicate,
                    "errors": r.errors,
                    "message": r.message,
                    "finished": r.finished_at is not None,
                }
                for r in runs
            ]
    finally:
        engine.dispose()


def fixture_bytes(platform: str, name: str) -> bytes:
    return (FIXTURES / platform / name).read_bytes()


def fixture_json(platform: str, name: str) -> Any:
    return json.loads(fixture_bytes(platform, name))
