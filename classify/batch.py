"""Batch classification of a JSONL file (`cohesion classify-file IN.jsonl OUT.jsonl`).

Input: one JSON object per line with "id" and "text". Output: one line per input line,
in order, in the shape of `Prediction.to_json`. A line that is not a JSON object, or
whose text is missing, still gets an output line (no flags) with an "error" field, so
line N of the output always answers line N of the input. Blank lines are skipped.
Undecodable bytes are replaced, never fatal. A hostile line (nesting too deep to parse,
a lone surrogate in its id or text, which no UTF-8 file can hold) is such a bad line
too, never a traceback. The output may not be the input: that would empty it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

from cohesion.classify.model import BATCH_SIZE, Model
from cohesion.classify.prediction import Prediction
from cohesion.private_files import open_private, private_dir


@dataclass
class FileResult:
    lines: int
    flagged: int
    errors: int
    model: str


class SameFileError(ValueError):
    """classify-file was asked to write over its own input."""


def _unwritable(value: Any) -> str | None:
    """Why `value` cannot be written back as standard UTF-8 JSON (ids are echoed), or
    None. Python reads NaN and Infinity, but they are not JSON, and other tools refuse
    a file holding them."""
    try:
        json.dumps(value, ensure_ascii=False, allow_nan=False).encode("utf-8")
    except UnicodeEncodeError:
        return "is not valid Unicode (a lone surrogate)"
    except ValueError:
        return "holds NaN or Infinity, which JSON has not"
    except RecursionError:
        return "is nested too deeply"
    return None


def _record(number: int, line: str) -> tuple[Any, str, str | None]:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        return None, "", f"line {number}: not valid JSON ({exc.msg})"
    except RecursionError:
        return None, "", f"line {number}: nested too deeply to read"
    if not isinstance(record, dict):
        return None, "", f"line {number}: expected a JSON object"
    post_id, text = record.get("id"), record.get("text")
    if problem := _unwritable(post_id):
        return None, "", f"line {number}: the id {problem}"
    if text is None:
        return post_id, "", f'line {number}: no "text" field'
    if isinstance(text, (int, float)):  # a number is text enough; bool is an int too
        text = str(text)
    if not isinstance(text, str):
        return post_id, "", f'line {number}: "text" is not a string'
    if problem := _unwritable(text):
        return post_id, "", f"line {number}: the text {problem}"
    return post_id, text, None


# Characters JSON leaves raw in strings that str.splitlines() (and so many readers of
# "one JSON per line") takes for line ends.
_LINE_BREAKS = str.maketrans({"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"})


def _json_line(row: dict[str, Any]) -> str:
    return json.dumps(row, ensure_ascii=False).translate(_LINE_BREAKS) + "\n"


def _records(path: Path) -> Iterator[tuple[Any, str, str | None]]:
    """(id, text, error) per non-blank input line."""
    with path.open(encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle, 1):
            if line.strip():
                yield _record(number, line)


def _same_file(in_path: Path, out_path: Path) -> bool:
    if out_path.exists():
        return os.path.samefile(in_path, out_path)
    return in_path.resolve() == out_path.resolve()


def classify_file(
    in_path: Path, out_path: Path, model: Model, batch_size: int = BATCH_SIZE
) -> FileResult:
    """Classify every line of `in_path` into `out_path`; return counts."""
    in_path, out_path = Path(in_path), Path(out_path)
    if not in_path.is_file():
        raise FileNotFoundError(f"input file {in_path} does not exist")
    if _same_file(in_path, out_path):
        raise SameFileError(
            f"the output {out_path} is the input file; writing it would empty the input, "
            "so name another output file"
        )
    private_dir(out_path.parent)
    lines = flagged = errors = 0
    records = _records(in_path)
    with open_private(out_path, "w", encoding="utf-8") as out:
        while chunk := list(islice(records, max(1, batch_size))):
            predictions: list[Prediction] = model.predict(
                [text for _, text, _ in chunk], batch_size
            )
            for (post_id, _, error), prediction in zip(chunk, predictions, strict=True):
                row = prediction.to_json(post_id, model.version)
                if error:
                    row["error"] = error
                    errors += 1
                out.write(_json_line(row))
                lines += 1
                flagged += bool(prediction.flags)
    return FileResult(lines, flagged, errors, model.version)
