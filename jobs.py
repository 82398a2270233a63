"""The jobs Cohesion runs, wired from settings: what cli.py and scheduler.py call.

Each function here does one job end to end by joining the leaf packages (store,
classify, crawlers, reports); the command line and the scheduler only parse input and
call one of them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from config import Settings, load_settings
from store import migrate
from store.engine import (
    DatabaseError,
    check_connection,
    make_engine,
    make_session_factory,
    session_scope,
)
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


@dataclass
class ClassifyResult:
    model_version: str
    classified: int
    flagged: int


def current_model_dir(runtime: Runtime) -> Path:
    """The active model version's directory when it still exists, else the configured one.

    A model that an admin activated in the review app stays current until another is
    activated; a fresh installation uses `classifier.model` or the bundled default.
    """
    from store.status import active_model

    with session_scope(runtime.sessions) as session:
        active = active_model(session)
        path = Path(active.path) if active is not None and active.path else None
    if path is not None and path.is_dir():
        return path
    return runtime.model_dir()


def classify_stored(
    runtime: Runtime,
    *,
    model_dir: Path | None = None,
    batch_size: int | None = None,
    progress: ProgressCallback | None = None,
    on_start: Callable[[int], None] | None = None,
) -> ClassifyResult:
    """Classify every stored post that has no classification from the current model.

    Each batch is read, predicted and written in its own transaction, so an interrupted
    run keeps what it finished and the next run picks up where it stopped.
    """
    from store.classifications import save_classifications
    from store.models import Post
    from store.posts import count_unclassified, unclassified_posts_query

    model, version_id = _prepare_model(runtime, model_dir)
    if on_start is not None:
        with session_scope(runtime.sessions) as session:
            on_start(count_unclassified(session, version_id))
    size = batch_size or runtime.settings.classifier.batch_size
    classified = flagged = 0
    last_id = 0
    while True:
        with session_scope(runtime.sessions) as session:
            query = unclassified_posts_query(version_id).where(Post.id > last_id).limit(size)
            batch = list(session.scalars(query))
            if not batch:
                break
            records, local = _predict_records(model, batch)
            flagged += sum(bool(r.flags) for r in records)
            classified += save_classifications(session, version_id, records, local)
            last_id = batch[-1].id
        if progress is not None:
            progress(len(batch))
    return ClassifyResult(model.version, classified, flagged)


def classify_worker(
    runtime: Runtime,
    *,
    batch_size: int | None = None,
    lease_seconds: float = 600.0,
    worker_name: str | None = None,
    model_dir: Path | None = None,
    stop: Callable[[], bool] | None = None,
    wait_for_work: float | None = None,
    progress: ProgressCallback | None = None,
) -> ClassifyResult:
    """One of many parallel classification workers on PostgreSQL (see store/claims.py).

    Claims batches until no unclassified post is left (or, with wait_for_work, polls
    every that many seconds until `stop()` says so).
    """
    import os
    import socket
    import time
    import uuid

    from store.claims import claim_batch, release, still_held
    from store.classifications import save_classifications

    if runtime.engine.dialect.name != "postgresql":
        raise DatabaseError(
            "parallel workers need PostgreSQL; on SQLite use `cohesion classify` (one process)"
        )
    model, version_id = _prepare_model(runtime, model_dir)
    worker = worker_name or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
    size = batch_size or runtime.settings.classifier.batch_size
    classified = flagged = 0
    while stop is None or not stop():
        with session_scope(runtime.sessions) as session:
            batch = claim_batch(session, version_id, worker, size, lease_seconds)
        if not batch:
            if wait_for_work is None:
                break
            time.sleep(wait_for_work)
            continue
        records, local = _predict_records(model, batch)
        ids = [post.id for post in batch]
        with session_scope(runtime.sessions) as session:
            held = still_held(session, version_id, worker, ids)
            mine = [r for r in records if r.post_id in held]
            classified += save_classifications(session, version_id, mine, local)
            flagged += sum(bool(r.flags) for r in mine)
            release(session, version_id, worker, ids)
        if progress is not None:
            progress(len(batch))
    return ClassifyResult(model.version, classified, flagged)


def _prepare_model(runtime: Runtime, model_dir: Path | None) -> tuple[Any, int]:
    """Load the model and make sure its model_versions row exists and is current."""
    from sqlalchemy.exc import IntegrityError

    import classify
    from store.classifications import register_model_version

    directory = model_dir or current_model_dir(runtime)
    model = classify.load_model(directory, gazetteer=_gazetteer(runtime.settings))
    for attempt in range(2):
        try:
            with session_scope(runtime.sessions) as session:
                version = register_model_version(
                    session,
                    model.version,
                    path=str(Path(directory).resolve()),
                    training_summary=dict(model.card),
                    metrics=dict(model.metrics),
                    thresholds=dict(model.thresholds),
                )
                return model, version.id
        except IntegrityError:
            # Another worker registered the same version at the same moment.
            if attempt:
                raise
    raise AssertionError("unreachable")


def _predict_records(model: Any, posts: list[Any]) -> tuple[list[Any], set[int]]:
    from store.classifications import ClassificationRecord

    predictions = model.predict(post.text or post.title or "" for post in posts)
    records = [
        ClassificationRecord(
            post_id=post.id,
            flags=prediction.flags,
            scores=prediction.scores,
            targets=prediction.targets,
            narratives=prediction.narratives,
            threat_targets=prediction.threat_targets,
            watchlist=prediction.watchlist,
            evidence=[
                {"start": e.start, "end": e.end, "label": e.label, "reason": e.reason}
                for e in prediction.evidence
            ],
        )
        for post, prediction in zip(posts, predictions, strict=True)
    ]
    local = {post.id for post in posts if post.places}
    return records, local


def _gazetteer(settings: Settings) -> list[dict[str, object]]:
    return [place.model_dump() for place in settings.locality.places]
