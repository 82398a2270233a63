"""The jobs Cohesion runs, wired from settings: what cli.py and scheduler.py call.

Each function here does one job end to end by joining the leaf packages (store,
classify, crawlers, reports); the command line and the scheduler only parse input and
call one of them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from config import Settings, load_settings
from store import migrate
from store.engine import DatabaseError, check_connection, make_engine, make_session_factory, session_scope
from store.pseudonyms import Pseudonymiser, create_key_file, load_key
from store.runs import sync_source

REPO_ROOT = Path(__file__).resolve().parent
DEFAULT_MODEL_DIR = REPO_ROOT / "models" / "default"


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
        return self.settings.resolve(configured) if configured else DEFAULT_MODEL_DIR

    def close(self) -> None:
        self.engine.dispose()


@dataclass
class InitResult:
    config_written: Path | None
    key_created: Path | None
    revision: str | None
    sources: list[str] = field(default_factory=list)


def starter_config_text() -> str:
    return (REPO_ROOT / "examples" / "starter.toml").read_text()


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
    engine = make_engine(settings.database.url)
    try:
        check_connection(engine)
        _, after = migrate.upgrade(engine)
        factory = make_session_factory(engine)
        with session_scope(factory) as session:
            names = sync_sources(session, settings)
    finally:
        engine.dispose()
    return InitResult(written, created, after, names)


def sync_sources(session: Session, settings: Settings) -> list[str]:
    for source in settings.sources:
        config = source.model_dump(mode="json", exclude={"name", "platform", "enabled"})
        sync_source(session, source.name, source.platform, config, source.enabled)
    return [source.name for source in settings.sources]


def upgrade_database(config_path: Path | str | None) -> tuple[str | None, str | None]:
    settings = load_settings(config_path)
    engine = make_engine(settings.database.url)
    try:
        check_connection(engine)
        return migrate.upgrade(engine)
    finally:
        engine.dispose()


ProgressCallback = Callable[[int], None]

