"""Retraining in a child process: progress streamed back, failures, shutdown, no orphans."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from cohesion.config import Settings
from cohesion.jobs.review import retrain_in_child_process
from cohesion.review.app import create_app
from cohesion.review.retrain import ProcessRetrain, RetrainError, RetrainManager, TrainedModel
from cohesion.runtime import Runtime
from cohesion.store.engine import make_engine, make_session_factory
from cohesion.store.migrate import upgrade
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from tests.review.conftest import SECRET
from tests.review.seed import seed
from tests.review.test_cli_and_jobs import _decide

REPO_ROOT = Path(__file__).resolve().parents[2]
TINY = REPO_ROOT / "tests" / "fixtures" / "classify" / "tiny.jsonl"


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The child inherits the working directory and environment: no stray config there.
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("COHESION_CONFIG", raising=False)


def _settings(tmp_path: Path) -> Settings:
    # Retrained models go next to the configured one: inside tmp_path, not the repo.
    return Settings.model_validate({"classifier": {"model": str(tmp_path / "models" / "current")}})


@pytest.fixture
def sqlite_runtime(tmp_path: Path) -> Iterator[Runtime]:
    engine = make_engine(f"sqlite:///{tmp_path / 'retrain.db'}")
    upgrade(engine)
    runtime = Runtime(_settings(tmp_path), engine, make_session_factory(engine))
    yield runtime
    runtime.close()


def _python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def _wait_for(manager: RetrainManager, message: str) -> None:
    deadline = time.monotonic() + 30
    while manager.state().message != message:
        assert manager.state().status == "running", manager.state()
        assert time.monotonic() < deadline, f"never saw {message!r}: {manager.state()}"
        time.sleep(0.02)


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


@pytest.mark.slow
def test_a_child_process_trains_on_reviews_and_streams_progress(
    sqlite_runtime: Runtime, tmp_path: Path
) -> None:
    world = seed(sqlite_runtime.sessions, filler=0)
    _decide(sqlite_runtime.sessions, world.ids)
    retrain = retrain_in_child_process(sqlite_runtime, data_dirs=[TINY], datasets=["tiny"])
    events: list[tuple[str, float | None]] = []
    result = retrain(lambda message, fraction: events.append((message, fraction)))

    assert retrain.pid is not None and retrain.pid != os.getpid()
    assert _gone(retrain.pid)
    messages = [message for message, _ in events]
    assert messages[0] == f"training in a separate process (pid {retrain.pid})"
    assert ("collecting reviewed posts", 0.02) in events
    assert ("3 reviewed posts exported as training examples", 0.05) in events
    assert any(message.startswith("loaded ") for message in messages)  # the trainer's own
    assert events[-1] == ("model written and evaluated", 1.0)

    assert isinstance(result, TrainedModel)
    out = Path(result.path)
    assert out.parent == (tmp_path / "models").resolve() and out.name.startswith("reviewed-")
    assert result.name.startswith(out.name) and (out / "config.json").is_file()
    assert result.training_summary["reviews"] == {"confirm": 1, "correct": 1, "reject": 1}
    assert "hate" in result.metrics["labels"] and set(result.thresholds) >= {"hate", "threat"}
    assert json.loads((out / "thresholds.json").read_text()) == result.thresholds


def test_a_failing_child_gives_a_failed_state_with_its_message(
    engine: Engine, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    seed(sessions, filler=0)  # nobody has reviewed anything yet
    runtime = Runtime(_settings(tmp_path), engine, sessions)
    retrain = retrain_in_child_process(runtime, data_dirs=[TINY], datasets=["tiny"])
    manager = RetrainManager(retrain)
    assert manager.start("ada")
    manager.wait(60)
    state = manager.state()
    assert state.status == "failed", state
    assert state.error == (
        "ValueError: no reviewed posts yet: confirm, reject or correct some posts first"
    )
    assert "collecting reviewed posts" in state.log  # progress arrived before the failure
    assert retrain.pid is not None and retrain.pid != os.getpid()
    assert not (tmp_path / "models").exists()
    assert manager.discard() and manager.state().status == "idle"


def test_a_crashed_child_reports_its_last_stderr_lines() -> None:
    crash = _python(
        "import json, sys\n"
        "print(json.dumps({'event': 'progress', 'message': 'fitting', 'fraction': 0.5}))\n"
        "print('not json', flush=True)\n"
        "print('Traceback (most recent call last):', file=sys.stderr)\n"
        "print('MemoryError: out of memory', file=sys.stderr)\n"
        "sys.exit(7)\n"
    )
    events: list[tuple[str, float | None]] = []
    with pytest.raises(RetrainError) as failure:
        ProcessRetrain(lambda: crash)(lambda message, fraction: events.append((message, fraction)))
    message = str(failure.value)
    assert message.startswith("the training process exited with code 7: ")
    assert "MemoryError: out of memory" in message and "not json" in message
    assert ("fitting", 0.5) in events

    silent = _python("pass")
    with pytest.raises(RetrainError, match="finished without reporting a model"):
        ProcessRetrain(lambda: silent)(lambda message, fraction: None)


def test_the_apps_shutdown_kills_a_running_child() -> None:
    sleeper = _python(
        "import json, time\n"
        "print(json.dumps({'event': 'progress', 'message': 'working', 'fraction': 0.1}),"
        " flush=True)\n"
        "time.sleep(120)\n"
    )
    retrain = ProcessRetrain(lambda: sleeper)
    app = create_app(sessionmaker(), secret=SECRET, retrain=retrain)
    manager: RetrainManager = app.state.ctx.retrain
    assert manager.start("ada")
    _wait_for(manager, "working")
    assert manager.state().fraction == 0.1 and retrain.pid is not None
    assert not manager.start("ada")  # one run at a time

    async def run_and_shut_down() -> None:
        async with app.router.lifespan_context(app):
            pass

    started = time.monotonic()
    asyncio.run(run_and_shut_down())
    # Not a speed check: shutdown must end the child, not wait out its 120 s sleep.
    assert time.monotonic() - started < 100
    state = manager.state()
    assert state.status == "failed" and state.error is not None
    assert state.error.startswith("stopped:")
    assert _gone(retrain.pid)


def test_the_child_exits_when_the_app_dies() -> None:
    """The child watches its stdin: a crashed or killed app leaves no training orphan."""
    code = "import time\nfrom cohesion.review import retrain_protocol as p\np.exit_when_parent_goes()\nprint('ready', flush=True)\n"
    child = subprocess.Popen(
        _python(code + "time.sleep(120)\n"),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO_ROOT,
    )
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "ready"
        assert child.stdin is not None
        child.stdin.close()  # what the kernel does when the app's process ends
        assert child.wait(10) == 3
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        if child.stdout is not None:
            child.stdout.close()


def test_progress_json_needs_with_reviews() -> None:
    from cohesion.cli import app
    from typer.testing import CliRunner

    result = CliRunner().invoke(app, ["train", "--progress-json"])
    assert result.exit_code == 2 and "--with-reviews" in result.output
