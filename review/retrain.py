"""Retraining from reviewed posts, watched from a background thread of the review app.

The app is given a `RetrainFn`: in production a `ProcessRetrain` (built by
jobs.retrain_in_child_process), which runs `cohesion train --with-reviews` in a child
process so that minutes of CPU-bound training never hold the web process's GIL; in tests
also a plain callable, run in the thread itself. It reports progress through a callback;
the finished model waits here until an admin has compared its metrics with the current
model's and either activates it (the route registers the model version) or discards it.
One run at a time. `RetrainManager.stop()` (the app's shutdown) kills a running child.
"""

from __future__ import annotations

import logging
import os
import subprocess
import threading
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from cohesion.review.retrain_protocol import ERROR, PROGRESS, RESULT, fraction, parse_event
from cohesion.store.types import utcnow

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


class RetrainError(RuntimeError):
    """A retrain that failed outside this process; the message is what the page shows."""


# --- the child process --------------------------------------------------------------------

STDERR_TAIL = 200  # lines of the child's stderr kept for the log when it fails
ERROR_LINES = 10  # of which the last few become the error shown on the page
STOP_TIMEOUT = 10.0


class ProcessRetrain:
    """A RetrainFn that trains in a child process and relays what it reports.

    `command()` gives the child's argv, fresh for every run (the output folder carries a
    time stamp). The child writes the events of review/retrain_protocol.py, one JSON
    object per line on stdout.
    A non-zero exit raises RetrainError with the child's error (or, when it died without
    one, its last stderr lines); its whole stderr tail goes to the log. `env` is laid over
    os.environ as it is when a run starts. The child's stdin is a pipe that this process
    never writes: the child exits when it closes, so it cannot outlive the app.
    """

    def __init__(
        self,
        command: Callable[[], Sequence[str]],
        *,
        env: Mapping[str, str] | None = None,
        cwd: Path | str | None = None,
    ) -> None:
        self._command = command
        self._env = dict(env or {})
        self._cwd = cwd
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[str] | None = None
        self._stopped: set[int] = set()
        self.pid: int | None = None  # the last child's process id

    def __call__(self, progress: Progress) -> TrainedModel:
        argv = list(self._command())
        with self._lock:
            proc = subprocess.Popen(
                argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                encoding="utf-8",
                errors="replace",
                bufsize=1,
                env={**os.environ, "PYTHONUNBUFFERED": "1", **self._env},
                cwd=self._cwd,
            )
            self._proc = proc
            self.pid = proc.pid
        log.info("retraining in child process %d: %s", proc.pid, " ".join(argv))
        progress(f"training in a separate process (pid {proc.pid})", None)
        tail: deque[str] = deque(maxlen=STDERR_TAIL)
        assert proc.stdout is not None and proc.stderr is not None
        drain = threading.Thread(
            target=_collect, args=(proc.stderr, tail), name="cohesion-retrain-stderr", daemon=True
        )
        drain.start()
        result: TrainedModel | None = None
        error: str | None = None
        try:
            for line in proc.stdout:
                event = parse_event(line)
                if event is None:  # stray output from a library: keep it with the stderr
                    if line.strip():
                        tail.append(line.rstrip())
                    continue
                kind = event.get("event")
                if kind == PROGRESS:
                    progress(str(event.get("message", "")), fraction(event.get("fraction")))
                elif kind == RESULT:
                    result = _trained_model(event.get("model"))
                elif kind == ERROR:
                    error = str(event.get("error") or "") or None
            code = proc.wait()
        finally:
            if proc.poll() is None:  # this thread failed while reading: take the child down
                _terminate(proc, STOP_TIMEOUT)
            drain.join(STOP_TIMEOUT)
            for stream in (proc.stdin, proc.stdout, proc.stderr):
                if stream is not None:
                    stream.close()
            with self._lock:
                self._proc = None
                stopped = proc.pid in self._stopped
                self._stopped.discard(proc.pid)
        if code == 0 and result is not None:
            return result
        if tail:
            log.error("retraining process %d exited with code %d; its last output:\n%s",
                      proc.pid, code, "\n".join(tail))  # fmt: skip
        if stopped:
            raise RetrainError("stopped: the review app shut down while the model was training")
        if error:
            raise RetrainError(error)
        last = "\n".join(list(tail)[-ERROR_LINES:])
        if code == 0:
            raise RetrainError("the training process finished without reporting a model"
                               + (f": {last}" if last else ""))  # fmt: skip
        raise RetrainError(f"the training process exited with code {code}"
                           + (f": {last}" if last else ""))  # fmt: skip

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """Terminate a running child (then kill it after `timeout` seconds)."""
        with self._lock:
            proc = self._proc
            if proc is None or proc.poll() is not None:
                return
            self._stopped.add(proc.pid)
        log.warning("stopping retraining process %d", proc.pid)
        _terminate(proc, timeout)


def _terminate(proc: subprocess.Popen[str], timeout: float) -> None:
    proc.terminate()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout)


def _collect(stream: IO[str], tail: deque[str]) -> None:
    for line in stream:
        tail.append(line.rstrip())


def _trained_model(value: Any) -> TrainedModel:
    if not isinstance(value, dict):
        raise RetrainError("the training process reported a malformed result")
    try:
        return TrainedModel(
            name=str(value["name"]),
            path=str(value["path"]),
            metrics=dict(value.get("metrics") or {}),
            thresholds=dict(value.get("thresholds") or {}),
            training_summary=dict(value.get("training_summary") or {}),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise RetrainError(f"the training process reported a malformed result: {exc}") from None


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
        except RetrainError as exc:  # the child process failed; its output is logged
            log.error("retraining failed: %s", exc)
            self._update(status="failed", error=str(exc), finished_at=utcnow())
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

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """At the app's shutdown: kill a training child process and let its run fail.

        A plain callable running in the thread cannot be interrupted; its daemon thread
        ends with the process.
        """
        if isinstance(self._retrain, ProcessRetrain):
            self._retrain.stop(timeout)
            self.wait(timeout)


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


__all__ = [
    "ProcessRetrain",
    "Progress",
    "RetrainError",
    "RetrainFn",
    "RetrainManager",
    "TrainedModel",
    "compare_metrics",
]
