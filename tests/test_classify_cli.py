"""`cohesion classify-file`, `evaluate` and `train` end to end through the Typer app."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cohesion import classify
from cohesion.classify.prediction import LABELS
from cohesion.cli import app
from typer.testing import CliRunner

runner = CliRunner()
TINY = Path(__file__).parent / "fixtures" / "classify" / "tiny.jsonl"


def test_classify_file_end_to_end(tmp_path: Path) -> None:
    src, dst = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    lines = [
        json.dumps(
            {"id": "a", "text": "Someone should shoot the mayor, he lives at 412 Birchwood Lane"}
        ),
        json.dumps({"id": 2, "text": "See you all at the council meeting on Tuesday!"}),
        "",  # blank lines are skipped
        "{not json",
        json.dumps({"id": "c", "text": ""}),
        json.dumps({"id": "d"}),
        json.dumps(["not", "an", "object"]),
        json.dumps({"id": "e", "text": "x" * 1_100_000}),
        json.dumps(
            {"id": "f", "text": "Der Bürgermeister hat die Sitzung heute Abend leider abgesagt."}
        ),
    ]
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["classify-file", str(src), str(dst)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in dst.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == ["a", 2, None, "c", "d", None, "e", "f"]
    first = rows[0]
    assert set(first) >= {"id", "flags", "scores", "targets", "narratives", "evidence", "model"}
    assert set(first["scores"]) == set(LABELS)
    assert "threat" in first["flags"] and "doxxing" in first["flags"]
    text = json.loads(lines[0])["text"]
    for e in first["evidence"]:
        assert text[e["start"] : e["end"]].strip() and e["label"] in first["flags"] and e["reason"]
    assert rows[1]["flags"] == []
    assert "error" in rows[2] and "error" in rows[4] and "error" in rows[5]
    assert rows[3]["flags"] == [] and "error" not in rows[3]
    assert rows[6]["flags"] == []
    assert rows[7]["flags"] == [] and rows[7]["language"] == "de"
    assert first["model"] == classify.load_model().version


def test_classify_file_with_missing_model_is_a_clear_error(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"id": 1, "text": "hi"}) + "\n")
    result = runner.invoke(
        app,
        ["classify-file", str(src), str(tmp_path / "o.jsonl"), "--model", str(tmp_path / "nope")],
    )
    assert result.exit_code == 2
    assert "does not exist" in result.output
    assert "Traceback" not in result.output


def test_classify_file_with_missing_input(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["classify-file", str(tmp_path / "none.jsonl"), str(tmp_path / "o.jsonl")]
    )
    assert result.exit_code == 2
    assert "does not exist" in result.output


def test_train_and_evaluate_commands(tmp_path: Path) -> None:
    out = tmp_path / "tiny-model"
    result = runner.invoke(
        app, ["train", "--data", str(TINY), "--dataset", "tiny", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert (out / "MODEL_CARD.md").is_file() and (out / "model_card.json").is_file()
    card = json.loads((out / "model_card.json").read_text())
    assert card["contains_training_text"] is False and card["data"][0]["name"] == "tiny"
    metrics = tmp_path / "metrics.json"
    result = runner.invoke(
        app, ["evaluate", "--model", str(out), "--data", str(TINY), "--out", str(metrics)]
    )
    assert result.exit_code == 0, result.output
    assert "precision" in result.output
    assert set(json.loads(metrics.read_text())["labels"]) == set(LABELS)


@pytest.mark.parametrize("command", ["train", "evaluate", "classify-file"])
def test_commands_have_help_with_an_example(command: str) -> None:
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0
    assert "Example:" in result.output
