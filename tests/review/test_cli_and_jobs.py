"""`cohesion user ...`, the review app's wiring in jobs.py, and retraining from reviews."""

from __future__ import annotations

import stat
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from cohesion.cli import app
from cohesion.config import Settings
from cohesion.jobs.review import retrain_from_reviews, review_app, review_examples_as_records
from cohesion.review.retrain import TrainedModel
from cohesion.runtime import Runtime
from cohesion.store import decisions, users
from cohesion.store.engine import session_scope
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from tests.review.client import AppClient
from tests.review.seed import ANALYST, seed

runner = CliRunner()


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COHESION_DATABASE_URL", f"sqlite:///{tmp_path / 'cohesion.db'}")
    monkeypatch.delenv("COHESION_REVIEW_SECRET", raising=False)
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    return tmp_path


def test_user_commands(project: Path) -> None:
    added = runner.invoke(app, ["user", "add", "maria", "--role", "admin", "--password-stdin"],
                          input="maria-password-1\n")  # fmt: skip
    assert added.exit_code == 0, added.output
    assert "created admin maria" in added.output
    prompted = runner.invoke(
        app, ["user", "add", "omar"], input="omar-password-1\nomar-password-1\n"
    )
    assert prompted.exit_code == 0, prompted.output
    assert "omar-password-1" not in prompted.output  # the prompt hides what was typed
    listed = runner.invoke(app, ["user", "list"])
    assert "maria" in listed.output and "omar" in listed.output and "analyst" in listed.output
    assert runner.invoke(app, ["user", "disable", "omar"]).exit_code == 0
    assert "disabled" in runner.invoke(app, ["user", "list"]).output
    for args, stdin, message in (
        (["user", "add", "maria", "--password-stdin"], "another-password\n", "exists already"),
        (["user", "add", "bob", "--password-stdin"], "short\n", "at least 10 characters"),
        (
            ["user", "add", "eve", "--role", "root", "--password-stdin"],
            "eve-password-1\n",
            "unknown role",
        ),
        (["user", "disable", "nobody"], None, "no user named"),
    ):
        result = runner.invoke(app, args, input=stdin)
        assert result.exit_code == 2, result.output
        assert message in result.output and "Traceback" not in result.output


def test_review_app_makes_a_private_secret_and_serves_logins(project: Path) -> None:
    runtime = Runtime.open(None)
    try:
        seed(runtime.sessions, filler=0)
        web = review_app(runtime)
        secret = project / "review.secret"
        assert stat.S_IMODE(secret.stat().st_mode) == 0o600
        assert len(secret.read_text().strip()) >= 32
        client = AppClient(web)
        assert client.login(*ANALYST).status_code == 303
        assert client.get("/queue").status_code == 200
        client.close()
    finally:
        runtime.close()
    secret.chmod(0o644)
    runtime = Runtime.open(None)
    try:
        with pytest.raises(RuntimeError, match="readable by others"):
            review_app(runtime)
    finally:
        runtime.close()


def test_init_makes_the_review_secret(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = runner.invoke(app, ["init"])
    assert first.exit_code == 0, first.output
    secret = project / "review.secret"
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    assert "session secret" in first.output
    content = secret.read_text()
    again = runner.invoke(app, ["init"])
    assert again.exit_code == 0 and "session secret" not in again.output
    assert secret.read_text() == content  # never replaced: that would log everybody out
    secret.unlink()
    monkeypatch.setenv("COHESION_REVIEW_SECRET", "y" * 40)
    assert runner.invoke(app, ["init"]).exit_code == 0
    assert not secret.exists()


def test_secret_from_the_environment(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COHESION_REVIEW_SECRET", "too-short")
    runtime = Runtime.open(None)
    try:
        with pytest.raises(RuntimeError, match="at least 32"):
            review_app(runtime)
        monkeypatch.setenv("COHESION_REVIEW_SECRET", "x" * 40)
        review_app(runtime)
        assert not (project / "review.secret").exists()
    finally:
        runtime.close()


def _decide(sessions: sessionmaker[Session], ids: dict[str, int]) -> None:
    with session_scope(sessions) as session:
        alan = users.credentials(session, "alan")
        assert alan is not None
        for key, decision, labels in (
            ("t3_threat", "confirm", None),
            ("t3_hate", "reject", None),
            ("t3_dox", "escalate", None),
            ("t3_hostile", "correct", {"flags": ["hate"], "targets": []}),
        ):
            decisions.record_decision(session, post_id=ids[key], user_id=alan[0].id, actor="alan",
                               decision=decision, corrected_labels=labels)  # fmt: skip


def test_reviewed_posts_become_training_records(sessions: sessionmaker[Session]) -> None:
    world = seed(sessions, filler=0)
    _decide(sessions, world.ids)
    with session_scope(sessions) as session:
        records = {
            r["id"]: r for r in review_examples_as_records(decisions.reviewed_examples(session))
        }
    ids = world.ids
    assert set(records) == {f"review:{ids[k]}" for k in ("t3_threat", "t3_hate", "t3_hostile")}
    threat = records[f"review:{ids['t3_threat']}"]
    assert (threat["threat"], threat["anti_government"], threat["hate"]) == (1, 1, 0)
    assert threat["threat_target"] == "official" and threat["narratives"] == ["corruption_traitor"]
    assert threat["targets"] == [] and threat["split"] == "train"
    rejected = records[f"review:{ids['t3_hate']}"]
    assert [rejected[label] for label in ("hate", "anti_government", "threat", "doxxing")] == [
        0,
        0,
        0,
        0,
    ]
    corrected = records[f"review:{ids['t3_hostile']}"]
    assert corrected["hate"] == 1 and corrected["targets"] is None  # positive, target not given


def test_retrain_from_reviews_hands_the_trainer_reviewed_examples(tmp_path: Path, sessions: sessionmaker[Session],
                                                                  engine: Any) -> None:  # fmt: skip
    world = seed(sessions, filler=0)
    runtime = Runtime(Settings.model_validate({}), engine, sessions)
    seen: dict[str, Any] = {}

    def trainer(data_dirs: Any, extra: list[dict[str, Any]], out_dir: Path, *, say: Any) -> Any:
        seen.update(data_dirs=data_dirs, extra=extra, out_dir=out_dir)
        say("fitting heads")
        return SimpleNamespace(version="reviewed-1", metrics={"hate": {"f1": 0.7}},
                               thresholds={"hate": 0.4}, card={"name": "reviewed"})  # fmt: skip

    messages: list[str] = []
    with pytest.raises(ValueError, match="no reviewed posts"):
        retrain_from_reviews(
            runtime, tmp_path / "m", lambda m, f: messages.append(m), trainer=trainer
        )
    _decide(sessions, world.ids)
    result = retrain_from_reviews(runtime, tmp_path / "m", lambda m, f: messages.append(m),
                                  data_dirs=[tmp_path], trainer=trainer)  # fmt: skip
    assert isinstance(result, TrainedModel)
    assert result.name == "reviewed-1" and result.path == str((tmp_path / "m").resolve())
    assert result.training_summary["reviews"] == {"confirm": 1, "correct": 1, "reject": 1}
    assert len(seen["extra"]) == 3 and seen["data_dirs"] == [tmp_path]
    assert (
        "fitting heads" in messages and "3 reviewed posts exported as training examples" in messages
    )
