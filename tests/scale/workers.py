"""Helpers for the scale tests: a small real model, many posts, worker processes."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cohesion.store.engine import make_session_factory, session_scope
from cohesion.store.posts import PostRecord, upsert_posts
from sqlalchemy import Engine, text

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_MODEL = REPO_ROOT / "models" / "default"
TINY_CORPUS = REPO_ROOT / "tests" / "fixtures" / "classify" / "tiny.jsonl"
COHESION = Path(sys.executable).parent / "cohesion"

WORDS = (
    "council meeting roads Ashford budget school library vote park traffic water police "
    "festival market bridge mayor permit clinic housing rent bus"
).split()


def model_dir(tmp_root: Path) -> Path:
    """The bundled default model when it exists, else a tiny one trained here."""
    if (DEFAULT_MODEL / "config.json").exists():
        return DEFAULT_MODEL
    from cohesion.classify.train import train

    out = tmp_root / "tiny-model"
    train([TINY_CORPUS], None, out, datasets=("tiny",), examples_file=None, say=lambda _m: None)
    return out


def seed_posts(engine: Engine, count: int, start: int = 0) -> None:
    """`count` short posts spread over 20 weeks, stored through the upsert."""
    sessions = make_session_factory(engine)
    base = datetime(2026, 6, 1, tzinfo=UTC)
    records = [
        PostRecord(
            platform="rss",
            external_id=f"p{n}",
            text=" ".join(WORDS[(n * k) % len(WORDS)] for k in range(1, 9)) + f" #{n}",
            created_at=base + timedelta(minutes=10 * n),
            places=["Ashford"] if n % 7 == 0 else [],
        )
        for n in range(start, start + count)
    ]
    for offset in range(0, len(records), 5000):
        with session_scope(sessions) as session:
            upsert_posts(session, records[offset : offset + 5000])


def worker_env(database_url: str, model: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COHESION_")}
    env.update(
        COHESION_DATABASE_URL=database_url,
        COHESION_CLASSIFIER__MODEL=str(model),
        COHESION_PSEUDONYM_KEY=os.environ.get("COHESION_PSEUDONYM_KEY", "x" * 32),
        PYTHONUNBUFFERED="1",
    )
    return env


def start_worker(env: dict[str, str], cwd: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(COHESION), "worker", "classify", *args],
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def classified_count(output: str) -> int:
    """N from the worker's last line 'worker classified N post(s) with ...'."""
    for line in reversed(output.splitlines()):
        if "worker classified" in line:
            return int(line.split("worker classified", 1)[1].split()[0])
    raise AssertionError(f"no summary line in worker output:\n{output}")


def scalar(engine: Engine, sql: str, **params: Any) -> Any:
    with engine.connect() as connection:
        return connection.execute(text(sql), params).scalar()
