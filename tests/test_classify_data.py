"""Data loading: null is "not annotated", splits are respected, targets are mapped."""

from __future__ import annotations

from pathlib import Path

import pytest
from cohesion.classify.data import from_record, holdout_half, load_examples
from cohesion.classify.taxonomy import map_targets

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def test_null_labels_stay_none() -> None:
    ex = from_record({"id": "covid:1", "text": "t", "source_dataset": "covid_vaccine_conspiracy2022",
                      "hate": None, "threat": None, "conspiracy": 1, "split": "train"})  # fmt: skip
    assert ex.labels == {"hate": None, "anti_government": None, "threat": None, "doxxing": None}
    assert ex.extra["conspiracy"] == 1


def test_implicit_hate_targets_and_threat_target() -> None:
    record = {"id": "implicit_hate2021:stg1-9", "text": "t", "source_dataset": "implicit_hate2021",
              "hate": 1, "threat": 1, "targets": ["immigrant", "political"], "split": "train"}  # fmt: skip
    ex = from_record(record)
    assert ex.targets == ["immigrant_refugee"] and ex.threat_target == "community"
    unannotated = from_record({**record, "targets": [], "threat": None})
    assert unannotated.targets is None and unannotated.threat_target is None


def test_dev_only_datasets_get_a_held_out_half() -> None:
    halves = {holdout_half(f"implicit_hate2021:stg1-{i}") for i in range(50)}
    assert halves == {"tune", "heldout"}
    ex = from_record({"id": "x", "text": "t", "source_dataset": "implicit_hate2021", "hate": 0,
                      "split": "dev"})  # fmt: skip
    assert ex.split in {"dev", "test"}


def test_target_mapping() -> None:
    assert map_targets(["hispanic", "refugee", "transgender", "men"]) == [
        "hispanic_latino", "immigrant_refugee", "lgbtq", "other"]  # fmt: skip
    assert map_targets(None) is None


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/data is not present")
def test_shared_datasets_load_with_their_splits() -> None:
    examples, files = load_examples(
        [SHARED], ["davidson2017", "implicit_hate2021"], examples_file=None
    )
    assert set(files) == {"davidson2017", "implicit_hate2021"}
    davidson = [ex for ex in examples if ex.source == "davidson2017"]
    assert {ex.split for ex in davidson} == {"train", "dev", "test"}
    assert sum(ex.labels["hate"] == 1 for ex in davidson if ex.split == "test") == 131
    implicit = [ex for ex in examples if ex.source == "implicit_hate2021"]
    assert all(ex.labels["anti_government"] is None for ex in implicit)
    assert {ex.split for ex in implicit} == {"train", "dev", "test"}


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/data is not present")
def test_gpl_dataset_is_not_a_default() -> None:
    from cohesion.classify.train import DEFAULT_DATASETS

    assert "incivility_congress2020" not in DEFAULT_DATASETS
