"""The jobs Cohesion runs, wired from settings: what cli.py and scheduler.py call.

Each function here does one job end to end by joining the leaf packages (store,
classify, crawlers, reports); the command line and the scheduler only parse input and
call one of them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

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

if TYPE_CHECKING:
    from review.retrain import ProcessRetrain

T = TypeVar("T")

REPO_ROOT = Path(__file__).resolve().parent


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
        from classify.model import DEFAULT_MODEL_DIR  # the bundled model

        return DEFAULT_MODEL_DIR

    def close(self) -> None:
        self.engine.dispose()


@dataclass
class InitResult:
    config_written: Path | None
    key_created: Path | None
    revision: str | None
    sources: list[str] = field(default_factory=list)
    review_secret_created: Path | None = None


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
    from review.auth import ensure_secret  # the review app's session secret, 0600

    review_secret = ensure_secret(settings.resolve(settings.review.secret_file))
    engine = make_engine(settings.database.url)
    try:
        check_connection(engine)
        _, after = migrate.upgrade(engine)
        factory = make_session_factory(engine)
        with session_scope(factory) as session:
            names = sync_sources(session, settings)
    finally:
        engine.dispose()
    return InitResult(written, created, after, names, review_secret)


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


class CrawlFailedError(RuntimeError):
    """One or more sources failed; the others' posts are stored all the same."""

    def __init__(self, summaries: list[Any]) -> None:
        self.summaries = summaries
        failed = [s for s in summaries if s.status == "failed"]
        super().__init__(
            "; ".join(f"{s.name} failed: {s.message or 'see crawl_runs'}" for s in failed)
        )


def crawl_all(
    runtime: Runtime,
    names: list[str] | None = None,
    progress: Callable[[str, Any], None] | None = None,
) -> list[Any]:
    """Crawl the enabled (or named) sources, each in its own process.

    Returns the per-source summaries; raises CrawlFailedError after the whole run when
    any source failed, so a scheduled job is recorded as failed and says which.
    """
    from crawlers.run import crawl_sources

    with session_scope(runtime.sessions) as session:
        sync_sources(session, runtime.settings)
    scale = runtime.settings.scale
    if scale.scrapyd:  # crawl nodes: each source a Scrapyd job (crawlers/scrapyd.py)
        from crawlers.scrapyd import crawl_via_scrapyd

        summaries = crawl_via_scrapyd(
            runtime.settings, scale.scrapyd, names, poll_interval=scale.poll_seconds,
            timeout=scale.crawl_timeout_minutes * 60.0,
        )  # fmt: skip
    else:
        summaries = crawl_sources(runtime.settings, names, progress=progress)
    if any(s.status == "failed" for s in summaries):
        raise CrawlFailedError(summaries)
    return summaries


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
    if classified:
        _refresh_rollups(runtime, version_id)
    return ClassifyResult(model.version, classified, flagged)


def _refresh_rollups(runtime: Runtime, version_id: int) -> None:
    """Bring the trend rollups (store/rollups.py) up to date after classifying."""
    from store.rollups import refresh

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

    from store.claims import claim_batch

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
    from store.claims import release, still_held
    from store.classifications import save_classifications

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

    from sqlalchemy.exc import DBAPIError

    from store.claims import is_retryable

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
    from sqlalchemy.exc import IntegrityError

    import classify
    from store.classifications import register_model_version

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
    from store.classifications import ClassificationRecord

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


# --- review app and retraining from reviews (issue #6) ---------------------------------


def review_app(runtime: Runtime, *, https_only: bool = False) -> Any:
    """The review web app on this runtime's database, with retraining wired in.

    The session secret is $COHESION_REVIEW_SECRET or review.secret_file (created 0600
    on first use).
    """
    from review.app import create_app
    from review.auth import load_or_create_secret

    settings = runtime.settings
    secret = load_or_create_secret(settings.resolve(settings.review.secret_file))
    return create_app(
        runtime.sessions,
        secret=secret,
        session_hours=settings.review.session_hours,
        https_only=https_only,
        retrain=retrain_in_child_process(runtime),
        locality=settings.locality.name,
        timezone=settings.locality.timezone,
    )


def serve_review(
    runtime: Runtime, host: str | None = None, port: int | None = None, *, https_only: bool = False
) -> None:
    """Run the review app until interrupted (binds to review.host, 127.0.0.1 by default)."""
    from review.app import serve

    settings = runtime.settings.review
    serve(review_app(runtime, https_only=https_only), host or settings.host, port or settings.port)


def review_examples_as_records(examples: list[Any]) -> list[dict[str, Any]]:
    """Reviewed posts in the training schema of classify.data.

    Sub-labels an analyst left empty on a positive label are unknown (None), not "none".
    Reviews from the calibration queue (a uniform sample of the model's flags) get the
    split "review_calibration": training re-tunes thresholds on them instead of fitting
    on them; every other review is split "train".
    """
    from store.models import LABELS

    records = []
    for ex in examples:
        flags = set(ex.flags)
        records.append(
            {
                "id": f"review:{ex.post_id}",
                "text": ex.text,
                "source_dataset": "reviews",
                **{label: int(label in flags) for label in LABELS},
                "targets": (list(ex.targets) or None) if "hate" in flags else [],
                "narratives": (list(ex.narratives) or None) if "anti_government" in flags else [],
                "threat_target": ex.threat_targets[0] if ex.threat_targets else None,
                "split": "review_calibration"
                if getattr(ex, "queue", "") == "calibration"
                else "train",
            }
        )
    return records


def reviewed_model_dir(runtime: Runtime) -> Path:
    """Where a retrain from reviews writes its model: a new `reviewed-<time>` folder next
    to the current model."""
    from datetime import UTC, datetime

    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return current_model_dir(runtime).parent / f"reviewed-{stamp}"


def retrain_in_child_process(
    runtime: Runtime,
    *,
    data_dirs: Sequence[Path] | None = None,
    datasets: Sequence[str] | None = None,
) -> ProcessRetrain:
    """The review app's RetrainFn: `cohesion train --with-reviews --progress-json` in a
    child process of this Python, so that training never stalls the web process.

    The child reads the same config file and environment, with the database URL this
    runtime actually uses set on top; each run writes to a fresh reviewed_model_dir.
    """
    import os
    import sys

    from review.retrain import ProcessRetrain

    def command() -> list[str]:
        # -P: never import a cli.py from the working directory.
        argv = [sys.executable, "-P", "-m", "cli"]
        if runtime.settings.config_path is not None:
            argv += ["--config", str(runtime.settings.config_path)]
        argv += ["train", "--with-reviews", "--progress-json", "--exit-with-parent"]
        argv += ["--out", str(reviewed_model_dir(runtime).resolve())]
        for data_dir in data_dirs or ():
            argv += ["--data", str(Path(data_dir).resolve())]
        for name in datasets or ():
            argv += ["--dataset", name]
        return argv

    env = {"COHESION_DATABASE__URL": runtime.engine.url.render_as_string(hide_password=False)}
    if (REPO_ROOT / "pyproject.toml").is_file():  # a source tree: the child runs this code
        env["PYTHONPATH"] = os.pathsep.join(
            filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])
        )
    return ProcessRetrain(command, env=env)


def retrain_from_reviews(
    runtime: Runtime,
    out_dir: Path | None,
    progress: Callable[[str, float | None], None],
    *,
    data_dirs: list[Path] | None = None,
    datasets: Sequence[str] | None = None,
    trainer: Callable[..., Any] | None = None,
) -> Any:
    """Train a new model from the training data plus every reviewed post; register nothing.

    Confirmed posts keep the model's labels, corrected posts the analyst's, rejected posts
    are negatives. The model is written to `out_dir` (default: reviewed_model_dir, a new
    `reviewed-<time>` folder next to the current model) and returned as a
    review.retrain.TrainedModel for an admin to compare and activate. `datasets` limits
    the training data to those datasets (default: the trainer's).
    """
    from review.retrain import TrainedModel
    from store.decisions import reviewed_examples

    progress("collecting reviewed posts", 0.02)
    with session_scope(runtime.sessions) as session:
        examples = reviewed_examples(session)
    if not examples:
        raise ValueError("no reviewed posts yet: confirm, reject or correct some posts first")
    records = review_examples_as_records(examples)
    progress(f"{len(records)} reviewed posts exported as training examples", 0.05)
    if out_dir is None:
        out_dir = reviewed_model_dir(runtime)
    from classify.train import train as default_trainer

    if trainer is None:
        trainer = default_trainer
    options: dict[str, Any] = {"datasets": tuple(datasets)} if datasets else {}
    if trainer is default_trainer:
        options["target_precision"] = runtime.settings.classifier.target_precision
    model = trainer(
        data_dirs, records, out_dir, say=lambda message: progress(message, None), **options
    )
    progress("model written and evaluated", 1.0)
    decisions = {
        d: sum(1 for ex in examples if ex.decision == d) for d in ("confirm", "correct", "reject")
    }
    return TrainedModel(
        name=model.version,
        path=str(Path(out_dir).resolve()),
        metrics=dict(model.metrics),
        thresholds=dict(model.thresholds),
        training_summary={**dict(getattr(model, "card", {}) or {}), "reviews": decisions},
    )


# --- trends, weekly report, alerts and retention (issue #5) -----------------------------


@dataclass
class ReportResult:
    week: str
    out_dir: Path
    files: list[Path]
    spikes: list[str]
    alert: dict[str, Any] | None


def weekly_trends(
    runtime: Runtime, weeks: int = 8, by: str = "label", *, now: Any = None
) -> list[Any]:
    """Trend rows (store.trends.TrendRow) for the `weeks` weeks up to the last complete one.

    Weeks with a collection gap (store.health) stay out of the spike-test baselines.
    """
    from store import trends
    from store.types import utcnow

    settings = runtime.settings
    last = trends.last_complete_week(now or utcnow(), settings.locality.zone)
    shown = trends.week_range(last, weeks)
    with session_scope(runtime.sessions) as session:
        return trends.trend_rows(
            session,
            trends.active_model_id(session),
            by,
            shown,
            settings.alerts.spike_z,
            settings.alerts.min_count,
            trends.collection_gaps(session, shown, settings.locality.zone),
        )


def weekly_report(
    runtime: Runtime, week: Any = None, out_dir: Path | str | None = None, *, now: Any = None
) -> ReportResult:
    """Write the weekly report (index.html, report.md, trends.csv, charts) and alert on spikes.

    `week` is an ISO week ("2026-W47") or its Monday; default the last complete week.
    `out_dir` defaults to <report.out_dir>/<week>. A failing webhook never fails the job.
    """
    from datetime import date, timedelta

    from reports.alerts import alert_spikes
    from reports.render import write_report
    from reports.weekly import build_weekly_report
    from store import trends
    from store.types import utcnow

    settings = runtime.settings
    now = now or utcnow()
    if isinstance(week, str):
        monday = trends.parse_week(week)
    elif isinstance(week, date):
        monday = week - timedelta(days=week.weekday())
    else:
        monday = trends.last_complete_week(now, settings.locality.zone)
    with session_scope(runtime.sessions) as session:
        report = build_weekly_report(session, settings, monday, now)
    target = Path(out_dir) if out_dir else settings.resolve(settings.report.out_dir) / report.week
    written = write_report(report, target)
    alert = alert_spikes(
        runtime.sessions, settings.alerts, settings.locality.name, report.week, report.spikes
    )
    return ReportResult(
        report.week,
        written.out_dir,
        list(written.files),
        [f"{row.dimension}:{row.key}" for row in report.spikes],
        alert.as_dict() if alert else None,
    )


def alert_threats(runtime: Runtime, *, now: Any = None) -> dict[str, Any] | None:
    """Alert the webhook about new threats and doxxing against officials (after classify)."""
    from reports.alerts import alert_threats as send
    from store import trends

    settings = runtime.settings
    with session_scope(runtime.sessions) as session:
        model_id = trends.active_model_id(session)
    result = send(
        runtime.sessions,
        settings.alerts,
        settings.locality.name,
        settings.locality.timezone,
        model_id,
        now,
        watchlist={entry.name: entry.kind for entry in settings.watchlist},
    )
    return result.as_dict() if result else None


def purge(
    runtime: Runtime, dry_run: bool = False, *, now: Any = None, actor: str = "system"
) -> Any:
    """Delete posts past retention (store.retention.PurgeResult); dry_run only counts."""
    from store import retention, trends

    settings = runtime.settings.retention
    with session_scope(runtime.sessions) as session:
        return retention.purge(
            session,
            trends.active_model_id(session),
            settings.unflagged_days,
            settings.flagged_days,
            dry_run=dry_run,
            now=now,
            actor=actor,
        )
