"""The scheduler: run-now jobs, the nightly chain, the job store, locks, misfires, SIGTERM."""

from __future__ import annotations

import os
import pickle
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from cohesion import scheduler
from cohesion.cli import app
from cohesion.jobs import classify as classify_job
from cohesion.jobs import crawl as crawl_job
from cohesion.runtime import Runtime
from cohesion.store.classifications import (
    ClassificationRecord,
    register_model_version,
    save_classifications,
)
from cohesion.store.engine import session_scope
from cohesion.store.locks import LeaseLock, database_lock
from cohesion.store.models import JobRun, Lock, Post
from cohesion.store.posts import PostRecord, upsert_posts
from cohesion.store.types import utcnow
from sqlalchemy import select, text, update
from typer.testing import CliRunner

from tests.reports import dataset as ds
from tests.reports.loopback import Hook

REPO_ROOT = Path(__file__).resolve().parents[2]


def job_runs(runtime: Runtime, job: str | None = None) -> list[JobRun]:
    with session_scope(runtime.sessions) as session:
        query = select(JobRun).order_by(JobRun.id)
        if job:
            query = query.where(JobRun.job == job)
        return list(session.scalars(query))


def wait_for(condition: Callable[[], Any], timeout: float = 15.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def test_run_now_report_and_purge(config_file: Path, runtime: Runtime, tmp_path: Path) -> None:
    ds.build(runtime.sessions)
    runner = CliRunner()
    result = runner.invoke(app, ["--config", str(config_file), "schedule", "--run-now", "report"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["--config", str(config_file), "schedule", "--run-now", "purge"])
    assert result.exit_code == 0, result.output
    runs = job_runs(runtime)
    assert [(r.job, r.status) for r in runs] == [("report", "ok"), ("purge", "ok")]
    assert all(r.duration_s is not None and r.finished_at for r in runs)
    week = runs[0].detail["week"]  # the last complete week before today
    assert (tmp_path / "reports" / week / "index.html").is_file()
    assert runs[1].detail["dry_run"] is False


def test_run_now_failure_exits_non_zero(
    config_file: Path, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(runtime: Runtime) -> None:
        raise OSError("source unreachable")

    monkeypatch.setattr(crawl_job, "crawl_all", broken)
    result = CliRunner().invoke(
        app, ["--config", str(config_file), "schedule", "--run-now", "crawl"]
    )
    assert result.exit_code == 1
    assert "source unreachable" in result.output
    (run,) = job_runs(runtime)
    assert run.status == "failed" and run.error == "OSError: source unreachable"


def test_unknown_job_is_refused(config_file: Path) -> None:
    result = CliRunner().invoke(app, ["--config", str(config_file), "schedule", "--run-now", "x"])
    assert result.exit_code == 2


def test_nightly_crawls_then_classifies_then_alerts(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    hook = Hook()
    runtime.settings.alerts.webhook_url = hook.url
    runtime.settings.alerts.retries = 0

    def crawl_all(rt: Runtime) -> dict[str, int]:
        calls.append("crawl")
        with session_scope(rt.sessions) as session:
            upsert_posts(
                session,
                [
                    PostRecord(
                        platform="rss",
                        external_id="n1",
                        text="we will get the mayor",
                        created_at=utcnow() - timedelta(hours=2),
                        author_pseudonym="pX",
                    )
                ],
                ds.TZ,
            )
        return {"items_new": 1}

    def classify_stored(rt: Runtime) -> dict[str, int]:
        calls.append("classify")
        with session_scope(rt.sessions) as session:
            model = register_model_version(
                session, "m", path=None, training_summary={}, metrics={}, thresholds={}
            )
            post_id = session.scalar(select(Post.id))
            record = ClassificationRecord(
                post_id, ["threat"], {"threat": 0.95}, threat_targets=["official"]
            )
            save_classifications(session, model.id, [record])
        return {"classified": 1}

    monkeypatch.setattr(crawl_job, "crawl_all", crawl_all)
    monkeypatch.setattr(classify_job, "classify_stored", classify_stored)
    try:
        detail = scheduler.run_job(runtime, "nightly")
    finally:
        hook.close()
    assert calls == ["crawl", "classify"]
    assert detail["crawl"] == {"items_new": 1} and detail["classify"] == {"classified": 1}
    assert detail["alerts"]["sent"] is True and detail["alerts"]["items"] == 1
    assert "1 new threat flag against officials" in hook.bodies[0]["text"]
    (run,) = job_runs(runtime, "nightly")
    assert run.status == "ok" and run.detail["classify"] == {"classified": 1}


def test_nightly_classifies_even_when_the_crawl_fails(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []

    def crawl_all(rt: Runtime) -> None:
        raise RuntimeError("reddit down")

    monkeypatch.setattr(crawl_job, "crawl_all", crawl_all)
    monkeypatch.setattr(classify_job, "classify_stored", lambda rt: calls.append("classify") or {})
    with pytest.raises(RuntimeError, match="crawl: RuntimeError: reddit down"):
        scheduler.run_job(runtime, "nightly")
    assert calls == ["classify"]
    (run,) = job_runs(runtime, "nightly")
    assert run.status == "failed" and "reddit down" in (run.error or "")


def test_a_running_job_is_not_started_twice(runtime: Runtime) -> None:
    lock = database_lock(runtime.engine, "job:purge")
    assert lock.acquire()
    try:
        with pytest.raises(scheduler.JobBusy):
            scheduler.run_job(runtime, "purge")
    finally:
        lock.release()
    assert [r.status for r in job_runs(runtime, "purge")] == ["skipped"]
    scheduler.run_job(runtime, "purge")
    assert [r.status for r in job_runs(runtime, "purge")] == ["skipped", "ok"]


def test_scheduler_stores_jobs_holds_the_lock_and_runs_them(runtime: Runtime) -> None:
    first = scheduler.Scheduler(runtime)
    planned = {run.job: run.next_run for run in first.start()}
    try:
        assert set(planned) == {"nightly", "report", "purge"}
        local = {job: when.astimezone(ds.ZONE) for job, when in planned.items() if when}
        assert (local["nightly"].hour, local["nightly"].minute) == (2, 30)
        assert (local["report"].weekday(), local["report"].hour, local["report"].minute) == (
            0,
            7,
            15,
        )
        assert (local["purge"].hour, local["purge"].minute) == (4, 0)
        second = scheduler.Scheduler(Runtime.from_settings(runtime.settings))
        with pytest.raises(scheduler.SchedulerLocked):
            second.start()
        second.runtime.close()
        first.run_soon("purge")  # due now: runs through the stored job and the executor
        wait_for(lambda: [r for r in job_runs(runtime, "purge") if r.status == "ok"])
    finally:
        first.stop()
    # Stopped: the lock is free, and a new scheduler keeps the stored, unchanged jobs.
    third = scheduler.Scheduler(runtime)
    again = {run.job: run.next_run for run in third.start()}
    third.stop()
    assert again["nightly"] == planned["nightly"] and again["report"] == planned["report"]


def _set_next_run(runtime: Runtime, job_id: str, when: datetime) -> None:
    """Move a stored job's next run, as if the machine had been asleep."""
    with runtime.engine.begin() as connection:
        state = connection.execute(
            text("SELECT job_state FROM apscheduler_jobs WHERE id = :id"), {"id": job_id}
        ).scalar_one()
        job = pickle.loads(state)  # our own test row, written by APScheduler
        job["next_run_time"] = when
        connection.execute(
            text("UPDATE apscheduler_jobs SET job_state = :s, next_run_time = :t WHERE id = :id"),
            {"s": pickle.dumps(job), "t": when.timestamp(), "id": job_id},
        )


def _store_as_an_older_version_did(runtime: Runtime, job_id: str) -> None:
    """Rewrite a stored job's function as versions before the `cohesion` package did."""
    with runtime.engine.begin() as connection:
        state = connection.execute(
            text("SELECT job_state FROM apscheduler_jobs WHERE id = :id"), {"id": job_id}
        ).scalar_one()
        job = pickle.loads(state)  # our own test row, written by APScheduler
        job["func"] = "scheduler:scheduled_job"
        connection.execute(
            text("UPDATE apscheduler_jobs SET job_state = :s WHERE id = :id"),
            {"s": pickle.dumps(job), "id": job_id},
        )


def test_jobs_stored_by_an_older_version_keep_their_due_run(runtime: Runtime) -> None:
    with time_machine.travel(QUIET_WEDNESDAY, tick=True):
        sched = scheduler.Scheduler(runtime)
        sched.start()
        sched.stop()
        _set_next_run(runtime, "purge", utcnow() - timedelta(minutes=30))  # within the grace
        _store_as_an_older_version_did(runtime, "purge")
        sched = scheduler.Scheduler(runtime)  # upgrades the stored reference on start
        sched.start()
        try:
            wait_for(lambda: job_runs(runtime, "purge"))  # the missed run still happened
        finally:
            sched.stop()
    assert scheduler.upgrade_stored_job_refs(runtime.engine) == 0  # nothing old is left
    with runtime.engine.connect() as connection:
        states = connection.execute(text("SELECT job_state FROM apscheduler_jobs")).scalars()
        assert {pickle.loads(s)["func"] for s in states} == {scheduler.JOB_REF}


# A fake clock for the grace-time test: a Wednesday at 03:00 UTC, ticking. On the real
# clock the test failed whenever the weekly report's own slot (Monday 07:15 in Chicago,
# 13:15 UTC, in the test config) fell within the two-hour grace window before "now".
QUIET_WEDNESDAY = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)


def test_a_run_missed_within_the_grace_time_still_happens(runtime: Runtime) -> None:
    with time_machine.travel(QUIET_WEDNESDAY, tick=True):
        _missed_runs_within_and_beyond_the_grace_time(runtime)


def _missed_runs_within_and_beyond_the_grace_time(runtime: Runtime) -> None:
    sched = scheduler.Scheduler(runtime)
    sched.start()
    sched.stop()
    _set_next_run(runtime, "purge", utcnow() - timedelta(minutes=30))  # grace: 120 minutes
    _set_next_run(runtime, "report", utcnow() - timedelta(hours=5))  # beyond the grace time
    sched = scheduler.Scheduler(runtime)
    sched.start()
    try:
        wait_for(lambda: job_runs(runtime, "purge"))
        time.sleep(0.5)
        planned = {run.job: run.next_run for run in sched.planned()}
    finally:
        sched.stop()
    assert job_runs(runtime, "report") == []
    assert planned["report"] is not None and planned["report"] > utcnow()


def test_stale_leases_are_taken_over(runtime: Runtime) -> None:
    with session_scope(runtime.sessions) as session:
        old = utcnow() - timedelta(minutes=10)
        session.add(Lock(name="t", holder="dead:1", acquired_at=old, heartbeat_at=old))
    fresh = LeaseLock(runtime.engine, "t", "new:2", heartbeat_seconds=60)
    assert fresh.acquire()
    rival = LeaseLock(runtime.engine, "t", "rival:3", heartbeat_seconds=60)
    assert not rival.acquire()
    assert rival.current_holder() == "new:2"
    with session_scope(runtime.sessions) as session:
        session.execute(
            update(Lock).where(Lock.name == "t").values(heartbeat_at=utcnow() - timedelta(hours=1))
        )
    assert rival.acquire()
    assert not fresh.heartbeat()  # the old holder learns it lost the lease
    rival.release()
    fresh.release()
    with session_scope(runtime.sessions) as session:
        assert session.get(Lock, "t") is None


def test_sigterm_stops_the_scheduler_cleanly(config_file: Path, runtime: Runtime) -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "200"}
    process = subprocess.Popen(
        [sys.executable, "-m", "cohesion", "--config", str(config_file), "schedule"],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert process.stdout is not None
        lines = []
        for line in process.stdout:
            lines.append(line)
            if "scheduler running" in line:
                break
        else:
            pytest.fail("".join(lines))
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, "".join(lines) + output
    assert "scheduler stopped" in output
    # The lock is free: another scheduler starts at once.
    sched = scheduler.Scheduler(runtime)
    sched.start()
    sched.stop()
