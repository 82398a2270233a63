"""The classify jobs: one process over every unclassified post (`cohesion classify`),
or one of many parallel workers on PostgreSQL (`cohesion worker`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from cohesion.config import Settings
from cohesion.runtime import Runtime
from cohesion.store.engine import DatabaseError, session_scope
from sqlalchemy.orm import Session

T = TypeVar("T")


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
    from cohesion.store.status import active_model

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
    from cohesion.store.classifications import save_classifications
    from cohesion.store.models import Post
    from cohesion.store.posts import count_unclassified, unclassified_posts_query

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
    if classified:
        _refresh_rollups(runtime, version_id)
    return ClassifyResult(model.version, classified, flagged)


def _refresh_rollups(runtime: Runtime, version_id: int) -> None:
    """Bring the trend rollups (store/rollups.py) up to date after classifying."""
    from cohesion.store.rollups import refresh

    with session_scope(runtime.sessions) as session:
        refresh(session, version_id)


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

    from cohesion.store.claims import claim_batch

    if runtime.engine.dialect.name != "postgresql":
        raise DatabaseError(
            "parallel workers need PostgreSQL; on SQLite use `cohesion classify` (one process)"
        )
    model, version_id = _prepare_model(runtime, model_dir)
    worker = worker_name or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
    size = batch_size or runtime.settings.classifier.batch_size
    classified = flagged = 0
    floor = 0  # see claim_batch: search above the previous batch, from 0 before stopping
    stale = False  # classified since the trend rollups were last refreshed
    while stop is None or not stop():
        claim = partial(
            claim_batch,
            model_version_id=version_id,
            worker=worker,
            batch_size=size,
            lease_seconds=lease_seconds,
            after_id=floor,
        )
        batch = _retrying(runtime, claim)
        if not batch and floor:
            floor = 0
            continue
        if not batch:
            if stale:
                _refresh_rollups(runtime, version_id)
                stale = False
            if wait_for_work is None:
                break
            time.sleep(wait_for_work)
            continue
        floor = batch[0].id - 1
        records, local = _predict_records(model, batch)
        ids = [post.id for post in batch]
        written, flagged_now = _retrying(
            runtime, partial(_write_claimed, version_id, worker, ids, records, local)
        )
        classified += written
        flagged += flagged_now
        stale = True
        if progress is not None:
            progress(len(batch))
    return ClassifyResult(model.version, classified, flagged)


def _write_claimed(
    version_id: int,
    worker: str,
    ids: list[int],
    records: list[Any],
    local: set[int],
    session: Session,
) -> tuple[int, int]:
    """Write the results of the posts this worker still holds, then release its claims.

    Returns (classified, flagged) among them.
    """
    from cohesion.store.claims import release, still_held
    from cohesion.store.classifications import save_classifications

    held = still_held(session, version_id, worker, ids)
    mine = [record for record in records if record.post_id in held]
    written = save_classifications(session, version_id, mine, local)
    release(session, version_id, worker, ids)
    return written, sum(bool(record.flags) for record in mine)


def _retrying(runtime: Runtime, work: Callable[[Session], T], attempts: int = 5) -> T:
    """Run `work` in one transaction, again after a deadlock or serialization failure.

    Concurrent workers can still meet in PostgreSQL's lock graph (a claim's ON CONFLICT
    waits on the row another worker is writing, say); PostgreSQL then rolls one of them
    back. That transaction wrote nothing, so running it again is safe, and it is what a
    worker left alone overnight must do rather than die.
    """
    import logging
    import random
    import time

    from cohesion.store.claims import is_retryable
    from sqlalchemy.exc import DBAPIError

    for attempt in range(1, attempts + 1):
        try:
            with session_scope(runtime.sessions) as session:
                return work(session)
        except DBAPIError as error:
            if attempt == attempts or not is_retryable(error):
                raise
            delay = random.uniform(0.05, 0.2) * attempt  # jitter: the two do not meet again
            logging.getLogger(__name__).warning(
                "transient conflict with another worker (%s); retrying in %.2fs",
                getattr(error.orig, "sqlstate", "?"),
                delay,
            )
            time.sleep(delay)
    raise AssertionError("unreachable")


def _prepare_model(runtime: Runtime, model_dir: Path | None) -> tuple[Any, int]:
    """Load the model and make sure its model_versions row exists and is current."""
    from cohesion import classify
    from cohesion.store.classifications import register_model_version
    from sqlalchemy.exc import IntegrityError

    directory = model_dir or current_model_dir(runtime)
    model = classify.load_model(
        directory,
        gazetteer=_gazetteer(runtime.settings),
        watchlist=[entry.model_dump() for entry in runtime.settings.watchlist],
    )
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
    from cohesion.store.classifications import ClassificationRecord

    predictions = model.predict(
        [post.text or post.title or "" for post in posts],
        addressed=[post.addressed_watchlist for post in posts],
    )
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
