"""`cohesion worker classify` processes on the real PostgreSQL server.

Three workers in parallel over 20,000 posts classify every post exactly once; a worker
killed (SIGKILL) in the middle of a batch loses nothing: its claims expire and another
worker classifies those posts.
"""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from cohesion.store.engine import make_engine
from cohesion.store.migrate import upgrade
from sqlalchemy import Engine

from tests.scale.workers import (
    classified_count,
    model_dir,
    scalar,
    seed_posts,
    start_worker,
    worker_env,
)

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

ONCE = """
SELECT count(*) FROM posts p
WHERE (SELECT count(*) FROM classifications c
       WHERE c.post_id = p.id AND c.model_version_id = :version) = 1
"""


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return model_dir(tmp_path_factory.mktemp("model"))


@pytest.fixture
def spawn() -> Iterator[Callable[..., subprocess.Popen[str]]]:
    """start_worker, with every process killed and its pipe closed however the test ends.

    A failed assertion would otherwise leave the other workers running and their pipes
    open, to be reported as unraisable warnings in whichever test runs next.
    """
    started: list[subprocess.Popen[str]] = []

    def start(env: dict[str, str], cwd: Path, *args: str) -> subprocess.Popen[str]:
        process = start_worker(env, cwd, *args)
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=30)


def test_three_workers_classify_20k_posts_exactly_once(
    pg_engine: Engine,
    postgres_url: str,
    model: Path,
    tmp_path: Path,
    spawn: Callable[..., subprocess.Popen[str]],
) -> None:
    total = 20_000
    seed_posts(pg_engine, total)
    env = worker_env(postgres_url, model)
    workers = [spawn(env, tmp_path, "--batch", "500") for _ in range(3)]
    outputs = []
    for worker in workers:
        out, _ = worker.communicate(timeout=240)
        assert worker.returncode == 0, out
        outputs.append(out)
    counts = [classified_count(out) for out in outputs]
    version = scalar(pg_engine, "SELECT id FROM model_versions")
    assert scalar(pg_engine, "SELECT count(*) FROM model_versions") == 1  # registered once
    assert sum(counts) == total  # no worker wrote a post another one wrote
    assert scalar(pg_engine, "SELECT count(*) FROM classifications") == total
    assert scalar(pg_engine, ONCE, version=version) == total  # every post, exactly once
    assert scalar(pg_engine, "SELECT count(*) FROM classify_claims") == 0  # all released
    assert sum(1 for c in counts if c > 0) >= 2, counts  # the work was actually shared


def test_a_worker_killed_mid_batch_loses_nothing(
    pg_engine: Engine,
    postgres_url: str,
    model: Path,
    tmp_path: Path,
    spawn: Callable[..., subprocess.Popen[str]],
) -> None:
    total = 3_000
    seed_posts(pg_engine, total)
    env = worker_env(postgres_url, model)
    lease = 2
    victim = spawn(env, tmp_path, "--batch", "1000", "--lease", str(lease))
    deadline = time.monotonic() + 120
    while scalar(pg_engine, "SELECT count(*) FROM classify_claims") == 0:
        assert victim.poll() is None, victim.communicate()[0]
        assert time.monotonic() < deadline, "the worker never claimed a batch"
        time.sleep(0.02)
    victim.send_signal(signal.SIGKILL)
    victim.communicate(timeout=30)
    orphaned = scalar(
        pg_engine,
        "SELECT count(*) FROM classify_claims k WHERE NOT EXISTS "
        "(SELECT 1 FROM classifications c WHERE c.post_id = k.post_id)",
    )
    assert orphaned > 0  # killed holding claims on posts it never wrote
    classified_before = scalar(pg_engine, "SELECT count(*) FROM classifications")
    assert classified_before < total

    time.sleep(lease + 0.5)  # the dead worker's lease runs out
    rescuer = spawn(env, tmp_path, "--batch", "1000", "--lease", str(lease))
    out, _ = rescuer.communicate(timeout=240)
    assert rescuer.returncode == 0, out
    assert classified_count(out) == total - classified_before
    version = scalar(pg_engine, "SELECT id FROM model_versions")
    assert scalar(pg_engine, ONCE, version=version) == total
    assert scalar(pg_engine, "SELECT count(*) FROM classifications") == total
    assert scalar(pg_engine, "SELECT count(*) FROM classify_claims") == 0


def test_on_sqlite_the_command_runs_one_worker_and_says_so(
    model: Path, tmp_path: Path, spawn: Callable[..., subprocess.Popen[str]]
) -> None:
    url = f"sqlite:///{tmp_path / 'one.db'}"
    engine = make_engine(url)
    upgrade(engine)
    seed_posts(engine, 50)
    worker = spawn(worker_env(url, model), tmp_path)
    out, _ = worker.communicate(timeout=120)
    assert worker.returncode == 0, out
    assert "running a single classify worker" in out and classified_count(out) == 50
    assert scalar(engine, "SELECT count(*) FROM classifications") == 50
    engine.dispose()


def test_a_claim_can_start_above_a_post_id(pg_engine: Engine) -> None:
    from cohesion.store.claims import claim_batch
    from cohesion.store.classifications import register_model_version
    from cohesion.store.engine import make_session_factory, session_scope

    seed_posts(pg_engine, 10)
    sessions = make_session_factory(pg_engine)
    with session_scope(sessions) as session:
        version = register_model_version(
            session, "m-1", path=None, training_summary={}, metrics={}, thresholds={}
        ).id
        ids = [p.id for p in claim_batch(session, version, "w", 100, 60)]
        assert len(ids) == 10
    with session_scope(sessions) as session:
        later = claim_batch(session, version, "v", 100, 0, after_id=ids[4])
        assert [p.id for p in later] == ids[5:]  # expired claims, from above the floor only


def test_a_live_claim_is_never_taken_over(pg_engine: Engine) -> None:
    """A worker whose snapshot missed another's claim gets nothing rather than stealing it."""
    from cohesion.store.claims import _insert_claims, claim_batch
    from cohesion.store.classifications import register_model_version
    from cohesion.store.engine import make_session_factory, session_scope
    from cohesion.store.types import utcnow

    seed_posts(pg_engine, 4)
    sessions = make_session_factory(pg_engine)
    with session_scope(sessions) as session:
        version = register_model_version(
            session, "m-1", path=None, training_summary={}, metrics={}, thresholds={}
        ).id
        taken = claim_batch(session, version, "a", 4, 600)
    with session_scope(sessions) as session:
        posts = [session.merge(p) for p in taken]
        assert _insert_claims(session, posts, version, "b", utcnow(), 600) == []
    assert scalar(pg_engine, "SELECT count(*) FROM classify_claims WHERE worker = 'a'") == 4
