"""Two processes writing one SQLite file never see "database is locked"."""

from __future__ import annotations

import multiprocessing
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cohesion.store.engine import make_engine, make_session_factory, session_scope
from cohesion.store.migrate import upgrade
from cohesion.store.models import Post
from cohesion.store.posts import PostRecord, upsert_posts
from cohesion.store.runs import job_run
from sqlalchemy import func, select

BATCHES = 20
PER_BATCH = 200


def _writer(url: str, worker: int, errors: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    engine = make_engine(url)
    factory = make_session_factory(engine)
    t0 = datetime(2026, 11, 2, tzinfo=UTC)
    try:
        for batch in range(BATCHES):
            # Overlapping ids between the workers exercise the conflict path as well.
            records = [
                PostRecord(
                    platform="mastodon",
                    external_id=f"{(batch * PER_BATCH + i) + worker * PER_BATCH * BATCHES // 2}",
                    text=f"worker {worker} batch {batch} post {i}",
                    created_at=t0 + timedelta(seconds=i),
                    author_pseudonym=f"author-{i % 7}",
                )
                for i in range(PER_BATCH)
            ]
            with session_scope(factory) as session:
                upsert_posts(session, records)
            with job_run(factory, f"writer-{worker}"):
                pass
    except Exception as exc:  # reported to the parent, which fails the test
        errors.put(f"{type(exc).__name__}: {exc}")
    finally:
        engine.dispose()


def test_two_processes_write_one_sqlite_file(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    engine = make_engine(url)
    upgrade(engine)
    context = multiprocessing.get_context("spawn")
    errors = context.Queue()
    workers = [context.Process(target=_writer, args=(url, n, errors)) for n in (0, 1)]
    for process in workers:
        process.start()
    for process in workers:
        process.join(timeout=240)
    assert all(p.exitcode == 0 for p in workers)
    reported = []
    while not errors.empty():
        reported.append(errors.get())
    assert reported == []
    with session_scope(make_session_factory(engine)) as session:
        stored = session.scalar(select(func.count(Post.id)))
    # Worker 1 starts half-way through worker 0's ids: 1.5x one worker's posts in all.
    assert stored == PER_BATCH * BATCHES * 3 // 2
    engine.dispose()
