"""Issue #13: real-feed data, feed thresholds, scoped features, the baseline's metrics."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import scipy.sparse as sp
from cohesion.classify.data import feed_slice, from_record
from cohesion.classify.evaluate import evaluate_predictions
from cohesion.classify.features import scoped_tokens
from cohesion.classify.prediction import Prediction
from cohesion.classify.train import budget_threshold, nb_ratio, precision_threshold
from cohesion.config import ConfigError, load_settings


def test_gab_dev_is_held_out_and_train_gives_a_calibration_slice() -> None:
    base = {"text": "t", "source_dataset": "gab_hate2022", "hate": 0, "threat": 0}
    dev = from_record({**base, "id": "gab_hate2022:train-1", "split": "dev"})
    assert dev.split == "test"
    splits = [
        from_record({**base, "id": f"gab_hate2022:train-{i}", "split": "train"}).split
        for i in range(2000)
    ]
    share = splits.count("calibration") / len(splits)
    assert set(splits) == {"train", "calibration"} and 0.15 < share < 0.25
    assert feed_slice("gab_hate2022:train-7") == feed_slice("gab_hate2022:train-7")  # stable


def test_precision_threshold_is_the_lowest_reaching_the_target() -> None:
    # Scores 0.99 .. 0.01; the top 20 are 3 in 4 positive, the rest 1 in 10.
    p = np.linspace(0.99, 0.01, 100)
    y = np.asarray([int(i % 4 != 0) if i < 20 else int(i % 10 == 0) for i in range(100)])
    threshold, why = precision_threshold(p, y, target=0.7, floor=0.0)
    flagged = p >= threshold
    assert y[flagged].mean() >= 0.7
    assert "lowest" in why
    # One step lower no longer reaches the target.
    lower = p[np.argmax(p < threshold)]
    assert y[p >= lower].mean() < 0.7 or lower == p.min()


def test_precision_threshold_floor_and_fallback() -> None:
    p = np.linspace(0.9, 0.1, 50)
    rich = np.ones(50, int)
    rich[::5] = 0  # 80% positives: even "flag everything" reaches 0.5
    threshold, why = precision_threshold(p, rich, target=0.5, floor=0.5)
    assert threshold == 0.5 and "floor" in why
    noise = np.asarray([i % 2 for i in range(50)])
    threshold, why = precision_threshold(p, noise, target=0.99)
    assert threshold >= 0.5 and "not reached" in why


def test_budget_threshold_caps_the_flag_rate() -> None:
    p = np.random.default_rng(3).random(1000)
    threshold = budget_threshold(p, 0.03)
    assert (p >= threshold).mean() <= 0.03
    assert (p >= threshold).sum() >= 29


def test_nb_ratio_points_towards_the_class() -> None:
    X = sp.csr_matrix(np.asarray([[1, 0, 1], [1, 0, 1], [0, 1, 1], [0, 1, 1]], np.float32))
    r = nb_ratio(X, np.asarray([1, 1, 0, 0]))
    assert r[0] > 0 > r[1] and abs(r[2]) < 1e-6


def test_scoped_tokens_see_quotes_naming_and_negation() -> None:
    quoted = scoped_tokens('he yelled "go back to your country" at them, disgusting')
    assert {"q:go", "q:country"} <= set(quoted)
    named = scoped_tokens("calling them vermin is how it starts")
    assert "q:vermin" in named
    negated = scoped_tokens("i would never hurt anyone")
    assert "neg:hurt" in negated
    assert scoped_tokens("they are vermin") == []


def _ex(source: str, hate: int, threat: int) -> object:
    return from_record({"id": f"{source}:train-{hate}{threat}", "text": "t",
                        "source_dataset": source, "hate": hate, "threat": threat,
                        "split": "dev"})  # fmt: skip


def test_feed_flag_rates_are_reported() -> None:
    examples = [_ex("gab_hate2022", 0, 0), _ex("gab_hate2022", 1, 0), _ex("gab_hate2022", 1, 1)]
    zero = {k: 0.0 for k in ("hate", "anti_government", "threat", "doxxing")}
    preds = [Prediction(["hate", "threat"], zero), Prediction(["hate"], zero),
             Prediction([], zero)]  # fmt: skip
    diag = evaluate_predictions(examples, preds)["diagnostics"]  # type: ignore[arg-type]
    assert diag["gab_hate2022 posts without hate: flagged hate"] == {"n": 1, "flag_rate": 1.0}
    rate = diag["gab_hate2022 posts without a call for violence: flagged threat"]
    assert rate == {"n": 2, "flag_rate": 0.5}
    assert diag["gab_hate2022 all posts: flagged doxxing"]["flag_rate"] == 0.0


def test_target_precision_setting(tmp_path: object) -> None:
    settings = load_settings(None, environ={})
    assert settings.classifier.target_precision["hate"] == 0.5  # type: ignore[index]
    with pytest.raises(ConfigError):
        load_settings(None, environ={"COHESION_CLASSIFIER__TARGET_PRECISION": "1.5"})


def test_calibration_queue_reviews_tune_thresholds_not_weights() -> None:
    from cohesion.jobs.review import review_examples_as_records

    def reviewed(queue: str) -> SimpleNamespace:
        return SimpleNamespace(post_id=1, text="t", flags=["hate"], targets=[], narratives=[],
                               threat_targets=[], decision="confirm", queue=queue)  # fmt: skip

    calibration, priority = review_examples_as_records([reviewed("calibration"),
                                                        reviewed("priority")])  # fmt: skip
    assert calibration["split"] == "review_calibration"
    assert priority["split"] == "train"


def test_with_reviews_retunes_thresholds_on_calibration_reviews(tmp_path: Path) -> None:
    from cohesion.classify.data import read_jsonl
    from cohesion.classify.train import train

    tiny = Path(__file__).parent / "fixtures" / "classify" / "tiny.jsonl"
    held_out = [r for r in read_jsonl(tiny) if r["split"] in ("dev", "test")]
    reviews = [{**r, "id": f"review:{i}", "source_dataset": "reviews",
                "split": "review_calibration"} for i, r in enumerate(held_out)]  # fmt: skip
    model = train([tiny], reviews, tmp_path / "m", datasets=("tiny",), examples_file=None,
                  say=lambda _m: None, baseline=False)  # fmt: skip
    sources = model.card["threshold_sources"]
    retuned = [label for label, src in sources.items() if "re-tuned on" in src["threshold_rule"]]
    assert retuned, sources
    for label in retuned:
        positives = sum(1 for r in held_out if r.get(label) == 1)
        assert positives >= 3
        assert (
            f"re-tuned on {len(held_out)} analysts' calibration reviews"
            in (sources[label]["threshold_rule"])
        )
        assert model.thresholds[label] == sources[label]["threshold"]


def test_rare_label_threshold_lowered_to_the_feed_ceiling() -> None:
    from cohesion.classify.train import FEED_NEGATIVE_FLOOR, lower_to_ceiling

    rng = np.random.default_rng(5)
    p = np.r_[rng.random(2000) * 0.2, [0.3, 0.5, 0.9]]
    y = np.r_[np.zeros(2000, int), [1, 1, 1]]
    threshold, why = lower_to_ceiling(p, y, 0.5, "precision", 0.01)
    assert threshold < 0.5 and "lowered" in why
    assert (p[y == 0] >= threshold).mean() <= 0.01
    assert threshold >= FEED_NEGATIVE_FLOOR
    # Never raises a threshold that already flags fewer ordinary posts.
    assert lower_to_ceiling(p, y, 0.05, "x", 0.01) == (0.05, "x")
