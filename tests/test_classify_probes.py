"""The generated functional probes (scripts/make_probes.py) stay a diagnostic: none of
their texts is a training example, and every case states what it expects."""

from __future__ import annotations

import json
from pathlib import Path

from cohesion import classify
from cohesion.classify.prediction import LABELS

PROBES = Path(__file__).parent / "fixtures" / "classify" / "probes.jsonl"
EXAMPLES = Path(classify.__file__).parent / "examples" / "cohesion_examples.jsonl"


def _cases(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def test_probes_are_not_training_examples() -> None:
    probes = {c["text"].strip().lower() for c in _cases(PROBES)}
    examples = {c["text"].strip().lower() for c in _cases(EXAMPLES)}
    assert probes and not probes & examples


def test_every_probe_states_known_labels() -> None:
    for case in _cases(PROBES):
        assert case["expect"] and set(case["expect"]) <= set(LABELS), case["id"]
        assert set(case["expect"].values()) <= {0, 1}, case["id"]
