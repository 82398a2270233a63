"""The protocol between the review app and its retraining child, both sides in one place.

The app (review/retrain.py `ProcessRetrain`) starts `cohesion train --with-reviews
--progress-json --exit-with-parent ...` with the same Python. The child (cli.py `train`)

- watches its stdin, a pipe the app holds but never writes, and exits with
  `PARENT_GONE_EXIT` as soon as it closes, so a crashed or killed app leaves no
  training orphan (`exit_when_parent_goes`);
- writes one JSON object per line on stdout (`emit`): `{"event": "progress",
  "message", "fraction"}`, then `{"event": "result", "model": {...}}` or
  `{"event": "error", "error": "ValueError: ..."}`; every line carries its "pid".

The app reads them back with `parse_event`; anything else on stdout is a library's
stray output and is kept with the child's stderr.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

PROGRESS_JSON = "--progress-json"
EXIT_WITH_PARENT = "--exit-with-parent"
PARENT_GONE_EXIT = 3

PROGRESS, RESULT, ERROR = "progress", "result", "error"


def child_argv(
    python: str,
    config_path: Path | None,
    out_dir: Path,
    data_dirs: Sequence[Path] = (),
    datasets: Sequence[str] = (),
) -> list[str]:
    """The child's command line. `-P`: never import a `cohesion` folder from the working
    directory before the installed package."""
    argv = [python, "-P", "-m", "cohesion"]
    if config_path is not None:
        argv += ["--config", str(config_path)]
    argv += ["train", "--with-reviews", PROGRESS_JSON, EXIT_WITH_PARENT]
    argv += ["--out", str(out_dir)]
    for data_dir in data_dirs:
        argv += ["--data", str(data_dir)]
    for name in datasets:
        argv += ["--dataset", name]
    return argv


# --- the child's side -----------------------------------------------------------------


def emit(event: str, **fields: Any) -> None:
    """One event as a JSON line on stdout, flushed at once."""
    line = json.dumps({"event": event, **fields, "pid": os.getpid()}, default=str)
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def exit_when_parent_goes() -> None:
    """Exit at once when stdin reaches its end (the app that holds the pipe is gone)."""

    def watch() -> None:
        try:
            while os.read(0, 4096):
                pass
        except OSError:
            return
        os._exit(PARENT_GONE_EXIT)

    threading.Thread(target=watch, name="cohesion-parent-watch", daemon=True).start()


# --- the app's side -------------------------------------------------------------------


def parse_event(line: str) -> dict[str, Any] | None:
    """The event on one line of the child's stdout, or None for any other output."""
    try:
        value = json.loads(line)
    except ValueError:
        return None
    return value if isinstance(value, dict) and isinstance(value.get("event"), str) else None


def fraction(value: Any) -> float | None:
    """A progress fraction clamped to [0, 1], or None when the child sent none."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return min(max(float(value), 0.0), 1.0)
    return None
