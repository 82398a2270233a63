"""Retraining from reviewed posts, run in a background thread of the review app.

The app is given a `RetrainFn` (jobs.retrain_from_reviews bound to the runtime, or a
fake in tests). It reports progress through a callback; the finished model waits here
until an admin has compared its metrics with the current model's and either activates
it (the route registers the model version) or discards it. One run at a time.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from store.types import utcnow

log = logging.getLogger(__name__)

Progress = Callable[[str, float | None], None]


@dataclass(slots=True, frozen=True)
class TrainedModel:
    """A model written to disk by a retrain, not yet registered."""

    name: str
    path: str
    metrics: dict[str, Any]
    thresholds: dict[str, Any]
    training_summary: dict[str, Any]


RetrainFn = Callable[[Progress], TrainedModel]


@dataclass(slots=True, frozen=True)
class RetrainState:
    status: str = "idle"  # idle, running, done, failed
    message: str = ""
    fraction: float | None = None
    started_by: str | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    log: tuple[str, ...] = ()
    result: TrainedModel | None = None
    error: str | None = None


class RetrainManager:
    def __init__(self, retrain: RetrainFn | None) -> None:
        self._retrain = retrain
        self._state = RetrainState()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    @property
    def available(self) -> bool:
        return self._retrain is not None

    def state(self) -> RetrainState:
        with self._lock:
            return self._state

    def _update(self, **changes: Any) -> None:
        with self._lock:
            self._state = replace(self._state, **changes)

    def start(self, started_by: str) -> bool:
        """Start a run; False when one is running or a result awaits a decision."""
        if self._retrain is None:
            return False
        with self._lock:
            if self._state.status in ("running", "done"):
                return False
            self._state = RetrainState(
                status="running", message="starting", started_by=started_by, started_at=utcnow()
            )
        self._thread = threading.Thread(target=self._run, name="cohesion-retrain", daemon=True)
        self._thread.start()
        return True

    def _progress(self, message: str, fraction: float | None = None) -> None:
        with self._lock:
            self._state = replace(
                self._state,
                message=message,
                fraction=fraction,
                log=(*self._state.log, message)[-50:],
            )

    def _run(self) -> None:
        assert self._retrain is not None
        try:
            result = self._retrain(self._progress)
        except Exception as exc:  # reported on the page; the app keeps serving
            log.exception("retraining failed")
            self._update(
                status="failed", error=f"{type(exc).__name__}: {exc}", finished_at=utcnow()
            )
        else:
            self._update(
                status="done", result=result, message="finished", fraction=1.0, finished_at=utcnow()
            )

    def take_result(self) -> TrainedModel | None:
        """The finished model, handed over once (for activation); the state resets."""
        with self._lock:
            result = self._state.result if self._state.status == "done" else None
            if result is not None:
                self._state = RetrainState()
            return result

    def discard(self) -> bool:
        with self._lock:
            if self._state.status not in ("done", "failed"):
                return False
            self._state = RetrainState()
            return True

    def wait(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)


def flatten_metrics(metrics: Mapping[str, Any], prefix: str = "") -> dict[str, float]:
    """{"hate": {"f1": 0.7}} -> {"hate.f1": 0.7}; keeps numbers only."""
    out: dict[str, float] = {}
    for key, value in metrics.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(flatten_metrics(value, name + "."))
        elif isinstance(value, int | float) and not isinstance(value, bool):
            out[name] = float(value)
    return out


@dataclass(slots=True, frozen=True)
class MetricRow:
    name: str
    current: float | None
    new: float | None

    @property
    def headline(self) -> bool:
        """Precision, recall and F1 over all test data: what an admin compares first."""
        leaf = self.name.rsplit(".", 1)[-1]
        return leaf in ("precision", "recall", "f1") and (
            ".all." in self.name or self.name.count(".") == 1
        )

    @property
    def delta(self) -> float | None:
        return None if self.current is None or self.new is None else self.new - self.current


def compare_metrics(current: Mapping[str, Any], new: Mapping[str, Any]) -> list[MetricRow]:
    old_flat, new_flat = flatten_metrics(current), flatten_metrics(new)
    names = list(dict.fromkeys([*new_flat, *old_flat]))
    return [MetricRow(n, old_flat.get(n), new_flat.get(n)) for n in names]


__all__ = ["Progress", "RetrainFn", "RetrainManager", "TrainedModel", "compare_metrics"]
