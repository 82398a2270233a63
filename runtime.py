"""The runtime every job stands on: settings plus an open database.

It sits below the crawlers, the jobs and the faces (cli.py, scheduler.py): a crawl
process, a Scrapyd node, the review app and the scheduler all open the store the same
way, and register the configured sources the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cohesion.config import Settings, load_settings
from cohesion.store import migrate
from cohesion.store.engine import (
    DatabaseError,
    check_connection,
    make_engine,
    make_session_factory,
)
from cohesion.store.pseudonyms import Pseudonymiser, load_key
from cohesion.store.runs import sync_source
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker


@dataclass
class Runtime:
    """Settings plus an open database: what every job needs."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]

    @classmethod
    def open(cls, config_path: Path | str | None = None, *, require_schema: bool = True) -> Runtime:
        settings = load_settings(config_path)
        return cls.from_settings(settings, require_schema=require_schema)

    @classmethod
    def from_settings(cls, settings: Settings, *, require_schema: bool = True) -> Runtime:
        engine = make_engine(settings.database.url)
        check_connection(engine)
        if require_schema and not migrate.is_up_to_date(engine):
            raise DatabaseError(
                "the database schema is not up to date; run `cohesion db upgrade` "
                "(or `cohesion init` for a new installation)"
            )
        return cls(settings, engine, make_session_factory(engine))

    def pseudonymiser(self) -> Pseudonymiser:
        return Pseudonymiser(load_key(self.settings.resolve(self.settings.privacy.key_file)))

    def model_dir(self) -> Path:
        configured = self.settings.classifier.model
        if configured:
            return self.settings.resolve(configured)
        from cohesion.classify.model import DEFAULT_MODEL_DIR  # the bundled model

        return DEFAULT_MODEL_DIR

    def close(self) -> None:
        self.engine.dispose()


def sync_sources(session: Session, settings: Settings) -> list[str]:
    for source in settings.sources:
        config = source.model_dump(mode="json", exclude={"name", "platform", "enabled"})
        sync_source(session, source.name, source.platform, config, source.enabled)
    return [source.name for source in settings.sources]
