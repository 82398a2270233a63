"""Batch classification of a JSONL file (`cohesion classify-file IN.jsonl OUT.jsonl`).

Input: one JSON object per line with "id" and "text". Output: one line per input line,
in order, in the shape of `Prediction.to_json`. A line that is not a JSON object, or
whose text is missing, still gets an output line (no flags) with an "error" field, so
line N of the output always answers line N of the input. Blank lines are skipped.
Undecodable bytes are replaced, never fatal.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

from cohesion.classify.model import BATCH_SIZE, Model
from cohesion.classify.prediction import Prediction


@dataclass
class FileResult:
    lines: int
    flagged: int
    errors: int
    model: str


def _records(path: Path) -> Iterator[tuple[Any, str, str | None]]:
    """(id, text, error) per non-blank input line."""
    with path.open(encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                yield None, "", f"line {number}: not valid JSON ({exc.msg})"
                continue
            if not isinstance(record, dict):
                yield None, "", f"line {number}: expected a JSON object"
                continue
            text = record.get("text")
            if text is not None and not isinstance(text, str):
                text = str(text)
            error = None if text is not None else f'line {number}: no "text" field'
            yield record.get("id"), text or "", error


def classify_file(
    in_path: Path, out_path: Path, model: Model, batch_size: int = BATCH_SIZE
) -> FileResult:
    """Classify every line of `in_path` into `out_path`; return counts."""
    in_path, out_path = Path(in_path), Path(out_path)
    if not in_path.is_file():
        raise FileNotFoundError(f"input file {in_path} does not exist")
    out_path.parent.mkdir(parents=True, exist_ok=True)
    lines = flagged = errors = 0
    records = _records(in_path)
    with out_path.open("w", encoding="utf-8") as out:
        while chunk := list(islice(records, max(1, batch_size))):
            predictions: list[Prediction] = model.predict(
                [text for _, text, _ in chunk], batch_size
            )
            for (post_id, _, error), prediction in zip(chunk, predictions, strict=True):
                row = prediction.to_json(post_id, model.version)
                if error:
                    row["error"] = error
                    errors += 1
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
                lines += 1
                flagged += bool(prediction.flags)
    return FileResult(lines, flagged, errors, model.version)
