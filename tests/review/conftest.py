"""Fixtures for the review app: a seeded database, the app, logged-in clients."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from cohesion.review.app import create_app
from cohesion.review.retrain import Progress, TrainedModel
from cohesion.review.throttle import LoginThrottle
from fastapi import FastAPI
from sqlalchemy.orm import Session, sessionmaker

from tests.review.client import AppClient
from tests.review.seed import ADMIN, ANALYST, World, seed

SECRET = "test-review-secret-0123456789abcdef0123456789"


class FakeTrainer:
    """Writes a tiny model folder; `release` lets a test hold it in the running state."""

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir
        self.release = threading.Event()
        self.release.set()
        self.calls = 0

    def __call__(self, progress: Progress) -> TrainedModel:
        self.calls += 1
        progress("exporting reviewed posts", 0.1)
        self.release.wait(10)
        progress("training", 0.5)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        (self.out_dir / "thresholds.json").write_text(json.dumps({"hate": 0.45}))
        return TrainedModel(
            name=f"reviewed-test-{self.calls}",
            path=str(self.out_dir),
            metrics={"hate": {"f1": 0.66, "precision": 0.72}, "threat": {"f1": 0.48}},
            thresholds={"hate": 0.45, "anti_government": 0.6, "threat": 0.4, "doxxing": 0.5},
            training_summary={"reviews": {"confirm": 1}},
        )


@pytest.fixture
def world(sessions: sessionmaker[Session]) -> World:
    return seed(sessions)


@pytest.fixture
def trainer(tmp_path: Path) -> FakeTrainer:
    return FakeTrainer(tmp_path / "models" / "reviewed-test")


@pytest.fixture
def app(sessions: sessionmaker[Session], world: World, trainer: FakeTrainer) -> FastAPI:
    # Tests log in faster than the real budget of password checks allows; the budget
    # itself is tested with a clock of its own (test_throttle.py).
    throttle = LoginThrottle(checks_per_second=1_000_000)
    return create_app(
        sessions, secret=SECRET, retrain=trainer, locality="Johnson County", throttle=throttle
    )


@pytest.fixture
def anon(app: FastAPI) -> Iterator[AppClient]:
    client = AppClient(app)
    yield client
    client.close()


@pytest.fixture
def analyst(app: FastAPI) -> Iterator[AppClient]:
    client = AppClient(app)
    assert client.login(*ANALYST).status_code == 303
    yield client
    client.close()


@pytest.fixture
def admin(app: FastAPI) -> Iterator[AppClient]:
    client = AppClient(app)
    assert client.login(*ADMIN).status_code == 303
    yield client
    client.close()
