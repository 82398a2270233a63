"""Issue #15 item 9: classify-file holds its promise for any input (Hypothesis).

Whatever the lines hold (hostile text, lone surrogates, NUL, right-to-left marks,
markup, nesting too deep to parse, ids of any type, not JSON at all), classify-file
finishes, writes exactly one valid UTF-8 JSON line per non-blank input line, in order,
echoes every id it can, and names the input line of every line it could not read.
"""

from __future__ import annotations

import json
from itertools import count
from pathlib import Path
from typing import Any

import pytest
from cohesion import classify
from cohesion.classify.batch import classify_file
from cohesion.classify.model import Model
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

HOSTILE = [
    "<script>alert(1)</script>",
    "\x00",
    "\ud800",
    "\udfff",
    "\u202e",
    "\ufeff",
    "=cmd|' /C calc'!A0",
    "{{7*7}}",
    "javascript:alert(1)",
    "\r\n",
    "🏳️‍🌈",
    "\\u0000",
]
any_char = st.characters(codec=None, exclude_categories=())  # surrogates included
hostile_text = st.lists(
    st.one_of(st.sampled_from(HOSTILE), st.text(any_char, max_size=40)), max_size=6
).map("".join)
json_leaf = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), hostile_text)
nested = st.recursive(
    json_leaf,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(hostile_text, inner, max_size=3)
    ),
    max_leaves=8,
)


def _deep(depth: int) -> str:
    return "[" * depth + "]" * depth


@st.composite
def lines(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["post", "post", "post", "odd", "deep", "garbage", "blank"]))
    if kind == "post":
        record: dict[str, Any] = {"id": draw(st.one_of(hostile_text, st.integers(), nested))}
        if draw(st.booleans()):
            record["text"] = draw(st.one_of(hostile_text, nested))
        # ensure_ascii keeps lone surrogates as \\ud800 escapes, as other tools write them
        return json.dumps(record, ensure_ascii=True)
    if kind == "odd":
        return json.dumps(draw(nested))
    if kind == "deep":
        depth = draw(st.integers(min_value=900, max_value=100_000))
        return '{"id": "deep", "text": ' + _deep(depth) + "}"
    if kind == "garbage":
        return draw(
            st.text(
                any_char.filter(lambda c: c not in "\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"),
                max_size=30,
            )
        )
    return " "


@pytest.fixture(scope="module")
def model() -> Model:
    return classify.load_model()


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("property")


NAMES = count()


def _not_json(constant: str) -> None:
    raise AssertionError(f"{constant} written: not JSON")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(lines(), min_size=1, max_size=12))
def test_classify_file_answers_every_line(model: Model, folder: Path, inputs: list[str]) -> None:
    n = next(NAMES)
    src, dst = folder / f"in{n}.jsonl", folder / f"out{n}.jsonl"
    # Written as UTF-8 with surrogates passed through: the bytes a broken tool writes.
    src.write_bytes("\n".join(inputs).encode("utf-8", "surrogatepass") + b"\n")
    result = classify_file(src, dst, model, batch_size=4)
    numbered = [
        (number, line)
        for number, line in enumerate(src.read_text("utf-8", "replace").splitlines(), 1)
        if line.strip()
    ]
    out = dst.read_bytes().decode("utf-8").splitlines()  # strict UTF-8
    assert len(out) == len(numbered) == result.lines
    for (number, line), written in zip(numbered, out, strict=True):
        row = json.loads(written, parse_constant=_not_json)  # strict JSON: no NaN
        assert set(row) >= {"id", "flags", "scores", "model"}
        if "error" in row:
            assert row["error"].startswith(f"line {number}: ")
            assert row["flags"] == []
            continue
        sent = json.loads(line)
        assert row["id"] == sent.get("id")
        assert isinstance(sent.get("text"), (str, int, float))
    assert result.errors == sum("error" in json.loads(w) for w in out)
