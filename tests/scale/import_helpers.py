"""Shared pieces of the import tests: settings, the import call, stored posts read back.

Not a conftest (the `store` fixture is in tests/scale/conftest.py): import what you need.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import cohesion.crawlers.imports as imports
from cohesion.config import Settings
from cohesion.crawlers.imports import import_file
from cohesion.store.engine import make_engine, session_scope
from cohesion.store.migrate import upgrade
from cohesion.store.models import Author, Post
from cohesion.store.pseudonyms import Pseudonymiser
from sqlalchemy import select

from tests.conftest import TEST_PSEUDONYM_KEY
from tests.crawlers.helpers import StoredPosts

PLACES = [
    {"name": "Marlow County", "aliases": ["Marlow Co."], "kind": "county"},
    {"name": "Ashford", "aliases": [], "kind": "city"},
]
PSEUDO = Pseudonymiser(TEST_PSEUDONYM_KEY.encode())
# "Now" for every import in these tests: dates past the day after are refused.
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def settings_for(url: str, keep_raw_handles: bool = False) -> Settings:
    return Settings.model_validate(
        {
            "database": {"url": url},
            "locality": {"name": "Marlow County", "timezone": "America/Chicago", "places": PLACES},
            "privacy": {"keep_raw_handles": keep_raw_handles},
        }
    )


def run(store: Any, path: Path, **kwargs: Any) -> imports.ImportSummary:
    settings, sessions = store
    kwargs.setdefault("now", NOW)
    return import_file(path, settings=settings, sessions=sessions, pseudonymiser=PSEUDO, **kwargs)


PRIVACY = PSEUDO.post_privacy()


def stored_id(platform: str, raw: str) -> str:
    """The id as the store keeps it: hashed when it names an account (store/privacy.py)."""
    return PRIVACY.stored_id(platform, raw) or raw


def posts(sessions: Any) -> StoredPosts:
    """external_id -> the stored post; `link` is its sealed link opened with the test key,
    and raw ids that name an account are found by their hash (StoredPosts)."""
    with session_scope(sessions) as session:
        rows = session.execute(
            select(Post, Author.pseudonym).outerjoin(Author, Post.author_id == Author.id)
        ).all()
        return StoredPosts(
            {
                p.external_id: {
                    "platform": p.platform,
                    "text": p.text,
                    "title": p.title,
                    "created_at": p.created_at,
                    "author": a,
                    "language": p.language,
                    "places": list(p.places),
                    "engagement": dict(p.engagement),
                    "thread_id": p.thread_id,
                    "parent_id": p.parent_id,
                    "url": p.url,
                    "link": PRIVACY.open(p.sealed_link) if p.sealed_link else None,
                    "week_start": p.week_start,
                }
                for p, a in rows
            },
            PRIVACY,
        )


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def cli_config(tmp_path: Path) -> Path:
    """A config file naming a migrated SQLite store in tmp_path, for CLI tests."""
    url = f"sqlite:///{tmp_path / 'c.db'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    config = tmp_path / "cohesion.toml"
    config.write_text(f'[database]\nurl = "{url}"\n')
    return config
