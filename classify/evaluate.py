"""Evaluation: per-label precision, recall and F1 on held-out test splits, plus diagnostics.

Metrics are computed from real `Prediction`s (flags after every decision rule), per
label, per source and pooled. Only rows that annotate a label count for it (None is
"not annotated"). Diagnostics cover data that annotates no Cohesion label: how often
davidson2017's offensive-but-not-hate tweets are flagged `hate`, and how often
`anti_government` fires on vaccine-conspiracy comments or on uncivil tweets to Congress.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from cohesion.classify.data import (
    DATASETS,
    DEFAULT_DATA_DIR,
    FEED_DATASETS,
    Example,
    load_examples,
    read_jsonl,
)
from cohesion.classify.prediction import LABELS, Prediction
from cohesion.resources import package_path

if TYPE_CHECKING:
    from cohesion.classify.model import Model

# The functional hard cases ship with the package so `cohesion evaluate` reports them
# anywhere; they are written for evaluation and never trained on.
HARDCASES_FILE = package_path("classify", "examples", "hardcases.jsonl")


class Predictor(Protocol):
    """Anything that turns texts into Predictions: the model, or the plain baseline."""

    def predict(self, texts: list[str]) -> list[Prediction]: ...


def prf(tp: int, fp: int, fn: int) -> dict[str, float | int]:
    """Precision, recall and F1 from counts, by scikit-learn's definitions (0 where a
    ratio has no denominator)."""
    from sklearn.metrics import precision_recall_fscore_support

    gold = [1] * tp + [0] * fp + [1] * fn
    flagged = [1] * tp + [1] * fp + [0] * fn
    if gold:
        precision, recall, f1, _ = precision_recall_fscore_support(
            gold, flagged, average="binary", zero_division=0.0
        )
    else:
        precision = recall = f1 = 0.0
    return {"precision": round(float(precision), 4), "recall": round(float(recall), 4),
            "f1": round(float(f1), 4),
            "support": tp + fn, "tp": tp, "fp": fp, "fn": fn}  # fmt: skip


def _average_precision(pairs: list[tuple[float, int]]) -> float | None:
    """Threshold-free ranking quality of the scores (None without both classes)."""
    from sklearn.metrics import average_precision_score

    golds = [g for _, g in pairs]
    if not pairs or sum(golds) in (0, len(golds)):
        return None
    return round(float(average_precision_score(golds, [s for s, _ in pairs])), 4)


def _rate(flags: list[bool]) -> dict[str, float | int]:
    return {"n": len(flags), "flag_rate": round(sum(flags) / len(flags), 4) if flags else 0.0}


def evaluate_examples(model: Model, examples: Sequence[Example]) -> dict[str, Any]:
    """Metrics of `model` on `examples` (normally the test splits)."""
    return evaluate_predictions(examples, model.predict([ex.text for ex in examples]))


def evaluate_predictions(
    examples: Sequence[Example], preds: Sequence[Prediction]
) -> dict[str, Any]:
    """Metrics of predictions (any model's, the baseline's too) against `examples`."""
    counts: dict[str, dict[str, list[int]]] = {k: defaultdict(lambda: [0, 0, 0]) for k in LABELS}
    sub: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    diag: dict[str, list[bool]] = defaultdict(list)
    ranked: dict[tuple[str, str], list[tuple[float, int]]] = defaultdict(list)
    for ex, pred in zip(examples, preds, strict=True):
        for label in LABELS:
            gold = ex.labels[label]
            if gold is None:
                continue
            for key in (ex.source, "all"):
                ranked[(label, key)].append((float(pred.scores.get(label, 0.0)), int(gold)))
            hit = label in pred.flags
            for key in (ex.source, "all"):
                c = counts[label][key]
                c[0] += int(hit and gold == 1)
                c[1] += int(hit and gold == 0)
                c[2] += int(not hit and gold == 1)
        _sub_counts(ex, pred, sub)
        _diagnostics(ex, pred, diag)
    labels = {
        label: {
            key: {**prf(*c), "average_precision": _average_precision(ranked[(label, key)])}
            for key, c in sorted(counts[label].items(), key=lambda kv: kv[0] != "all")
        }
        for label in LABELS
    }
    return {
        "labels": labels,
        "sublabels": {kind: prf(*c) for kind, c in sorted(sub.items())},
        "diagnostics": {key: _rate(v) for key, v in sorted(diag.items())},
        "rows": len(examples),
    }


def _sub_counts(ex: Example, pred: Prediction, sub: dict[str, list[int]]) -> None:
    """Micro counts for sub-labels on posts whose gold label is positive (end to end)."""
    pairs = []
    if ex.labels["hate"] == 1 and ex.targets:
        pairs.append(("targets", set(ex.targets), set(pred.targets)))
    if ex.labels["anti_government"] == 1 and ex.narratives:
        pairs.append(("narratives", set(ex.narratives), set(pred.narratives)))
    if ex.labels["threat"] == 1 and ex.threat_target not in (None, "none"):
        pairs.append(("threat_targets", {ex.threat_target}, set(pred.threat_targets)))
    for kind, gold, got in pairs:
        sub[kind][0] += len(gold & got)
        sub[kind][1] += len(got - gold)
        sub[kind][2] += len(gold - got)


def _diagnostics(ex: Example, pred: Prediction, diag: dict[str, list[bool]]) -> None:
    if ex.source in FEED_DATASETS:
        # The real feed's ordinary posts: what share of them an analyst would see flagged.
        if ex.labels["hate"] == 0:
            diag[f"{ex.source} posts without hate: flagged hate"].append("hate" in pred.flags)
        if ex.labels["threat"] == 0:
            diag[f"{ex.source} posts without a call for violence: flagged threat"].append(
                "threat" in pred.flags
            )
        for label in ("anti_government", "doxxing"):
            diag[f"{ex.source} all posts: flagged {label}"].append(label in pred.flags)
    if ex.source == "davidson2017" and ex.extra.get("offensive") == 1:
        diag["davidson2017 offensive-not-hate: flagged hate"].append("hate" in pred.flags)
    if ex.source == "covid_vaccine_conspiracy2022" and ex.extra.get("conspiracy") is not None:
        kind = "conspiracy" if ex.extra["conspiracy"] == 1 else "not conspiracy"
        diag[f"covid_vaccine_conspiracy2022 {kind}: flagged anti_government"].append(
            "anti_government" in pred.flags
        )
    if ex.source == "incivility_congress2020" and ex.extra.get("offensive") is not None:
        kind = "uncivil" if ex.extra["offensive"] == 1 else "civil"
        diag[f"incivility_congress2020 {kind}: flagged anti_government"].append(
            "anti_government" in pred.flags
        )
        diag[f"incivility_congress2020 {kind}: flagged hate"].append("hate" in pred.flags)


def evaluate_hardcases(model: Predictor, path: Path = HARDCASES_FILE) -> dict[str, Any]:
    """The functional hard-case suite: pass rate per functionality, and the failures.

    Each case: {"id", "text", "functionality", "expect": {label: 0|1, ...}}; a case
    passes when every label it states is flagged (1) or not flagged (0).
    """
    cases = list(read_jsonl(path))
    preds = model.predict([c["text"] for c in cases])
    per: dict[str, list[bool]] = defaultdict(list)
    failures = []
    for case, pred in zip(cases, preds, strict=True):
        ok = all((label in pred.flags) == bool(want) for label, want in case["expect"].items())
        per[case["functionality"]].append(ok)
        if not ok:
            failures.append({"id": case["id"], "functionality": case["functionality"],
                             "text": case["text"], "expect": case["expect"], "flags": pred.flags})  # fmt: skip
    return {
        "cases": len(cases),
        "passed": sum(sum(v) for v in per.values()),
        "by_functionality": {
            k: {"n": len(v), "pass_rate": round(sum(v) / len(v), 3)} for k, v in sorted(per.items())
        },  # fmt: skip
        "failures": failures,
    }


def evaluate(
    model: Model,
    data_dirs: Iterable[Path] | None = None,
    datasets: Sequence[str] | None = None,
    out: Path | None = None,
    hardcases: Path | None = HARDCASES_FILE,
) -> dict[str, Any]:
    """Evaluate a model on every test split found (all known datasets, GPL ones included:
    evaluating on them ships nothing derived from them) and optionally write JSON."""
    dirs = list(data_dirs) if data_dirs is not None else [DEFAULT_DATA_DIR]
    examples, files = load_examples(dirs, datasets or list(DATASETS))
    metrics = evaluate_examples(model, [ex for ex in examples if ex.split == "test"])
    metrics["model"] = model.version
    metrics["data"] = {name: str(path) for name, path in sorted(files.items())}
    if hardcases is not None and Path(hardcases).is_file():
        metrics["functional"] = evaluate_hardcases(model, Path(hardcases))
    from cohesion.classify.card import targets

    metrics["targets"] = targets(metrics)
    if model.metrics.get("baseline"):
        # The plain baseline is not saved (its vocabulary is training text); its figures
        # were measured by `cohesion train` on the same test splits.
        metrics["baseline_at_training"] = model.metrics["baseline"]
    if out is not None:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        Path(out).write_text(json.dumps(metrics, indent=1) + "\n", "utf-8")
    return metrics
