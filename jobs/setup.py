"""First run and schema upgrades: `cohesion init` and `cohesion db upgrade`."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from cohesion.config import Settings, load_settings
from cohesion.resources import read_text
from cohesion.runtime import sync_sources
from cohesion.store import migrate
from cohesion.store.engine import check_connection, make_engine, make_session_factory, session_scope
from cohesion.store.privacy import PostPrivacy
from cohesion.store.pseudonyms import (
    PSEUDONYM_KEY_ENV,
    Pseudonymiser,
    create_key_file,
    load_key,
)


@dataclass
class InitResult:
    config_written: Path | None
    key_created: Path | None
    revision: str | None
    sources: list[str] = field(default_factory=list)
    review_secret_created: Path | None = None


def instance_privacy(settings: Settings) -> PostPrivacy | None:
    """The instance key's PostPrivacy for data migrations; None when there is no key yet
    (a migration that needs one then says so)."""
    key_file = settings.resolve(settings.privacy.key_file)
    if not os.environ.get(PSEUDONYM_KEY_ENV, "").strip() and not key_file.expanduser().exists():
        return None
    return Pseudonymiser(load_key(key_file)).post_privacy(
        keep_raw_links=settings.privacy.keep_raw_handles
    )


def starter_config_text() -> str:
    return read_text("examples", "starter.toml")


def init_project(config_path: Path | str | None, target: Path | None = None) -> InitResult:
    """First run: write a starter config when none exists, make the pseudonym key,
    migrate the database, and register the configured sources."""
    written = None
    if config_path is None and target is not None and not target.exists():
        target.write_text(starter_config_text())
        written = target
        config_path = target
    settings = load_settings(config_path)
    key_path = settings.resolve(settings.privacy.key_file)
    created = key_path if create_key_file(key_path) else None
    from cohesion.review.auth import ensure_secret  # the review app's session secret, 0600

    review_secret = ensure_secret(settings.resolve(settings.review.secret_file))
    engine = make_engine(settings.database.url)
    try:
        check_connection(engine)
        _, after = migrate.upgrade(engine, privacy=instance_privacy(settings))
        factory = make_session_factory(engine)
        with session_scope(factory) as session:
            names = sync_sources(session, settings)
    finally:
        engine.dispose()
    return InitResult(written, created, after, names, review_secret)


def upgrade_database(config_path: Path | str | None) -> tuple[str | None, str | None]:
    settings = load_settings(config_path)
    engine = make_engine(settings.database.url)
    try:
        check_connection(engine)
        return migrate.upgrade(engine, privacy=instance_privacy(settings))
    finally:
        engine.dispose()
