"""The scheduler: nightly crawl and classify, the weekly report, the daily purge.

APScheduler 3 runs the jobs at times from `[schedule]`, in the locality's time zone,
and keeps them in the `apscheduler_jobs` table of Cohesion's own database (so a run
missed while the machine slept still happens when it wakes, within
`misfire_grace_minutes`; several missed runs coalesce into one). What is stored is a
textual reference, "cohesion.scheduler:scheduled_job", and the job's name: no other object is
pickled.

- `nightly`, daily at `schedule.crawl_time`: crawl every source, classify new posts,
  alert on new threats against officials;
- `report`, weekly on `schedule.report_day` at `schedule.report_time`: the report on
  the last complete week, with spike alerts;
- `purge`, daily at `schedule.purge_time`: delete posts past retention.

Every run, scheduled or `--run-now`, is a `job_runs` row with its status, duration
and details, and holds the database lock "job:<name>", so the same job never runs
twice at once, even from two processes. One scheduler runs per database: it holds the
"scheduler" lock of store/locks.py for its whole life and refuses to start otherwise.
SIGTERM or SIGINT stops it cleanly: no new runs start, a running job finishes, the
lock is released.
"""

from __future__ import annotations

import logging
import pickle
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from cohesion.runtime import Runtime
from cohesion.store.engine import make_engine, session_scope
from cohesion.store.locks import database_lock
from cohesion.store.models import JobRun
from cohesion.store.runs import job_run
from cohesion.store.types import utcnow
from sqlalchemy import Engine, MetaData, Table, inspect, select, update
from sqlalchemy.pool import NullPool

log = logging.getLogger(__name__)

JOB_REF = "cohesion.scheduler:scheduled_job"
JOBSTORE_TABLE = "apscheduler_jobs"
SCHEDULER_LOCK = "scheduler"


class JobBusy(RuntimeError):
    """The job is already running (in this or another process)."""


class SchedulerLocked(RuntimeError):
    """Another scheduler already runs on this database."""


# --- the jobs --------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """A job result as JSON-ready data for job_runs.detail."""
    if hasattr(value, "as_dict"):
        return value.as_dict()
    if hasattr(value, "__dataclass_fields__"):
        from dataclasses import asdict

        return {k: _plain(v) for k, v in asdict(value).items()}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def crawl_step(runtime: Runtime) -> Any:
    from cohesion.jobs.crawl import crawl_all

    return _plain(crawl_all(runtime))


def classify_step(runtime: Runtime) -> Any:
    from cohesion.jobs.classify import classify_stored

    return _plain(classify_stored(runtime))


def nightly(runtime: Runtime) -> dict[str, Any]:
    """Crawl, then classify (even when some crawl failed), then alert on threats."""
    from cohesion.jobs.patterns import alert_coordination
    from cohesion.jobs.report import alert_threats

    detail: dict[str, Any] = {}
    failures = []
    for name, step in (("crawl", crawl_step), ("classify", classify_step)):
        try:
            detail[name] = step(runtime)
        except Exception as exc:
            log.exception("nightly %s failed", name)
            failures.append(f"{name}: {type(exc).__name__}: {exc}")
            detail[name] = {"error": failures[-1]}
    try:
        detail["alerts"] = alert_threats(runtime)
    except Exception as exc:  # alerts never fail the job
        log.exception("threat alerts failed")
        detail["alerts"] = {"error": f"{type(exc).__name__}: {exc}"}
    try:
        detail["coordination_alerts"] = alert_coordination(runtime)
    except Exception as exc:  # alerts never fail the job
        log.exception("coordinated-posting alerts failed")
        detail["coordination_alerts"] = {"error": f"{type(exc).__name__}: {exc}"}
    if failures:
        raise RuntimeError("; ".join(failures))
    return detail


def report_step(runtime: Runtime) -> Any:
    from cohesion.jobs.report import weekly_report

    return _plain(weekly_report(runtime))


def purge_step(runtime: Runtime) -> Any:
    from cohesion.jobs.purge import purge

    return _plain(purge(runtime, dry_run=False, actor="scheduler"))


STEPS: dict[str, Callable[[Runtime], Any]] = {
    "nightly": nightly,
    "crawl": crawl_step,
    "classify": classify_step,
    "report": report_step,
    "purge": purge_step,
}


def run_job(runtime: Runtime, name: str) -> dict[str, Any]:
    """Run one job now, recorded in job_runs; raises when it fails or is already running."""
    if name not in STEPS:
        raise ValueError(f"unknown job {name!r} (jobs: {', '.join(STEPS)})")
    lock = database_lock(runtime.engine, f"job:{name}")
    if not lock.acquire():
        with session_scope(runtime.sessions) as session:
            now = utcnow()
            session.add(
                JobRun(
                    job=name,
                    status="skipped",
                    started_at=now,
                    finished_at=now,
                    duration_s=0.0,
                    error="already running",
                )
            )
        raise JobBusy(f"job {name!r} is already running")
    try:
        with job_run(runtime.sessions, name) as detail:
            result = STEPS[name](runtime)
            detail.update(result if isinstance(result, dict) else {"result": result})
        return detail
    finally:
        lock.release()


# The runtime of the scheduler running in this process (set by Scheduler.start).
_current: Runtime | None = None


def scheduled_job(name: str) -> None:
    """What APScheduler calls (stored as the text "cohesion.scheduler:scheduled_job")."""
    runtime = _current
    if runtime is None:
        log.error("job %r fired with no running scheduler", name)
        return
    try:
        run_job(runtime, name)
    except JobBusy as exc:
        log.warning("%s; this run is skipped", exc)
    except Exception:
        # Recorded in job_runs; the scheduler carries on with the next run.
        log.exception("job %r failed", name)


# --- the scheduler ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class JobSpec:
    id: str
    description: str
    trigger: CronTrigger


def job_specs(runtime: Runtime) -> list[JobSpec]:
    schedule = runtime.settings.schedule
    zone = runtime.settings.locality.zone

    def at(moment: Any, **extra: Any) -> CronTrigger:
        return CronTrigger(hour=moment.hour, minute=moment.minute, timezone=zone, **extra)

    return [
        JobSpec("nightly", "crawl, classify and alert on threats", at(schedule.crawl_time)),
        JobSpec(
            "report",
            "weekly threat-landscape report",
            at(schedule.report_time, day_of_week=schedule.report_day),
        ),
        JobSpec("purge", "retention purge", at(schedule.purge_time)),
    ]


@dataclass(frozen=True, slots=True)
class PlannedRun:
    job: str
    description: str
    next_run: datetime | None


# What versions before the `cohesion` package stored as the jobs' function.
OLD_JOB_REFS = frozenset({"scheduler:scheduled_job"})


def upgrade_stored_job_refs(engine: Engine) -> int:
    """Point jobs stored by an older version at `JOB_REF`, keeping their next run.

    Before Cohesion was one package, jobs were stored as "scheduler:scheduled_job",
    which names no module once installed: APScheduler would drop such a job, and a run
    missed while the scheduler was down (still within the grace time) would be lost.
    Only the reference changes; the trigger and the next run time stay as stored.
    """
    if not inspect(engine).has_table(JOBSTORE_TABLE):
        return 0
    table = Table(JOBSTORE_TABLE, MetaData(), autoload_with=engine)
    changed = 0
    with engine.begin() as connection:
        for job_id, blob in connection.execute(select(table.c.id, table.c.job_state)).all():
            # The state is APScheduler's own pickle, in Cohesion's own database: the job
            # store itself unpickles these very rows.
            state = pickle.loads(blob)  # noqa: S301
            if state.get("func") in OLD_JOB_REFS:
                state["func"] = JOB_REF
                connection.execute(
                    update(table).where(table.c.id == job_id).values(job_state=pickle.dumps(state))
                )
                changed += 1
    if changed:
        log.info("pointed %d stored job(s) at %s", changed, JOB_REF)
    return changed


class Scheduler:
    """APScheduler in a background thread, holding the database's scheduler lock."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.lock = database_lock(runtime.engine, SCHEDULER_LOCK, on_lost=self._lock_lost)
        self.stopped = threading.Event()
        self._scheduler: BackgroundScheduler | None = None

    def start(self) -> list[PlannedRun]:
        global _current
        if not self.lock.acquire():
            holder = self.lock.current_holder()
            raise SchedulerLocked(
                "another scheduler is already running on this database"
                + (f" ({holder})" if holder else "")
            )
        try:
            _current = self.runtime
            grace = self.runtime.settings.schedule.misfire_grace_minutes * 60
            # The job store gets an engine of its own, which APScheduler disposes of while
            # its thread may still hold a connection: without a pool, none is left behind.
            url = self.runtime.engine.url.render_as_string(hide_password=False)
            engine = make_engine(url, poolclass=NullPool)
            upgrade_stored_job_refs(engine)
            store = SQLAlchemyJobStore(engine=engine, tablename=JOBSTORE_TABLE)
            self._scheduler = BackgroundScheduler(
                jobstores={"default": store},
                job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": grace},
                timezone=self.runtime.settings.locality.zone,
            )
            self._scheduler.start(paused=True)
            self._reconcile(grace)
            self._scheduler.resume()
        except BaseException:
            self._release()
            raise
        return self.planned()

    def _reconcile(self, grace: int) -> None:
        """Keep stored jobs whose schedule is unchanged (and their due runs); replace others."""
        assert self._scheduler is not None
        specs = {spec.id: spec for spec in job_specs(self.runtime)}
        for job in self._scheduler.get_jobs():
            if job.id not in specs:
                job.remove()
        for spec in specs.values():
            job = self._scheduler.get_job(spec.id)
            unchanged = (
                job is not None
                and repr(job.trigger) == repr(spec.trigger)
                and job.func_ref == JOB_REF
                and tuple(job.args) == (spec.id,)
                and job.misfire_grace_time == grace
            )
            if unchanged:
                continue
            self._scheduler.add_job(
                JOB_REF,
                trigger=spec.trigger,
                args=[spec.id],
                id=spec.id,
                name=spec.description,
                replace_existing=True,
                misfire_grace_time=grace,
                coalesce=True,
                max_instances=1,
            )

    def planned(self) -> list[PlannedRun]:
        assert self._scheduler is not None
        return [
            PlannedRun(job.id, job.name, job.next_run_time)
            for job in sorted(self._scheduler.get_jobs(), key=lambda j: j.id)
        ]

    def run_soon(self, job_id: str) -> None:
        """Make a scheduled job due now (it then runs through the job store)."""
        assert self._scheduler is not None
        self._scheduler.modify_job(job_id, next_run_time=utcnow())

    def _lock_lost(self) -> None:
        self.stopped.set()

    def stop(self) -> None:
        """Stop scheduling, wait for a running job to finish, release the lock."""
        if self._scheduler is not None and self._scheduler.running:
            self._scheduler.shutdown(wait=True)
        self._scheduler = None
        self._release()
        self.stopped.set()

    def _release(self) -> None:
        global _current
        _current = None
        try:
            self.lock.release()
        except Exception:
            log.exception("could not release the scheduler lock")


def serve(
    runtime: Runtime,
    *,
    on_start: Callable[[list[PlannedRun]], None] | None = None,
    stop: threading.Event | None = None,
    install_signals: bool = True,
) -> bool:
    """Run the scheduler until SIGTERM/SIGINT (or `stop` is set); False if the lock was lost."""
    scheduler = Scheduler(runtime)
    stop = stop or threading.Event()
    previous: dict[signal.Signals, Any] = {}
    if install_signals:
        for sig in (signal.SIGTERM, signal.SIGINT):
            previous[sig] = signal.signal(sig, lambda *_: stop.set())
    try:
        planned = scheduler.start()
        if on_start is not None:
            on_start(planned)
        while not stop.wait(0.5):
            if scheduler.lock.lost.is_set():
                return False
        return True
    finally:
        scheduler.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
