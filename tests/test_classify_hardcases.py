"""Functional hard cases (HateCheck-style) against the shipped default model.

The cases in fixtures/classify/hardcases.jsonl were written for this suite, in a
fictional county that appears nowhere in the training data; nothing is fitted on them
(the model card discloses the one decision taken while their counts were visible). The pass rates asserted here are the stated floor; the model card lists
every failure.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cohesion import classify
from cohesion.classify.evaluate import HARDCASES_FILE, evaluate_hardcases

# Floors: overall, and for every functionality.
OVERALL_FLOOR = 0.80
FUNCTIONALITY_FLOOR = 0.50
# Functionalities the default model is known to handle poorly (see MODEL_CARD.md): their
# floor is lower and stated here rather than hidden.
KNOWN_WEAK: dict[str, float] = {
    "hate_quoted_condemned": 0.25,  # a condemned quote still reads as the quote
}


@pytest.fixture(scope="module")
def report() -> dict:
    return evaluate_hardcases(classify.load_model(), HARDCASES_FILE)


def test_cases_are_not_training_examples() -> None:
    examples = Path(classify.__file__).parent / "examples" / "cohesion_examples.jsonl"
    if not examples.is_file():
        pytest.skip("project examples not present")

    def texts(path: Path) -> set[str]:
        with path.open(encoding="utf-8") as handle:
            return {json.loads(line)["text"].strip().lower() for line in handle if line.strip()}

    assert not texts(examples) & texts(HARDCASES_FILE)


def test_overall_pass_rate(report: dict) -> None:
    assert report["passed"] / report["cases"] >= OVERALL_FLOOR, report["failures"]


def test_every_functionality_meets_its_floor(report: dict) -> None:
    low = {
        name: stats["pass_rate"]
        for name, stats in report["by_functionality"].items()
        if stats["pass_rate"] < KNOWN_WEAK.get(name, FUNCTIONALITY_FLOOR)
    }
    assert not low, low
