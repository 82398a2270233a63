"""Training: fit every head, calibrate on dev, choose thresholds, evaluate, write the model.

One command reproduces the default model from the public datasets plus the project's
own examples: ``cohesion train --out models/default`` (or ``python -m classify.train``).

Per head: scikit-learn LogisticRegression (liblinear, class_weight="balanced") on the
rows that annotate it, the coefficient vector trimmed to its largest weights, then a
Platt sigmoid fitted on the dev split and a threshold chosen on dev to maximise F1.
Test splits are never seen before the final evaluation.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from cohesion.classify import card as model_card
from cohesion.classify.data import DATASETS, DEFAULT_DATA_DIR, EXAMPLES_FILE, Example, load_examples
from cohesion.classify.evaluate import HARDCASES_FILE, evaluate_examples, evaluate_hardcases
from cohesion.classify.features import Featurizer
from cohesion.classify.model import Model, make_config
from cohesion.classify.normalize import normalize
from cohesion.classify.prediction import LABELS
from cohesion.classify.rules import build_pipeline, categories, default_lexicons
from cohesion.classify.taxonomy import NARRATIVES, TARGETS, THREAT_TARGETS
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, precision_recall_curve

log = logging.getLogger(__name__)

DEFAULT_DATASETS = tuple(name for name, info in DATASETS.items() if info.default)
SOURCE_WEIGHT = {"cohesion_examples": 6.0, "reviews": 6.0}
LABEL_C = (1.0, 4.0)  # regularisation tried per label head, chosen on dev
SUB_C = 1.0
KEEP_LABEL = 60_000  # coefficients kept per label head
KEEP_SUB = 8_000  # coefficients kept per sub-label head
MIN_POSITIVES = 5
# A flag needs a calibrated probability of at least 0.5 ("more likely than not"); above
# that, the dev F1 optimum. Dev splits hold 10-30% positives, a locality's feed far fewer,
# so an F1 optimum below 0.5 on dev floods the review queue in production.
MIN_FLAG_PROBABILITY = 0.5


@dataclass
class HeadData:
    rows: np.ndarray
    y: np.ndarray


def _head_rows(head: str, examples: Sequence[Example], split: str) -> HeadData:
    rows, ys = [], []
    kind, _, name = head.partition(":")
    for i, ex in enumerate(examples):
        if ex.split != split:
            continue
        if kind in LABELS:
            value = ex.labels[kind]
        elif kind == "target":
            value = (
                None if ex.labels["hate"] != 1 or ex.targets is None else int(name in ex.targets)
            )
        elif kind == "narrative":
            ok = ex.labels["anti_government"] == 1 and ex.narratives is not None
            value = int(name in ex.narratives) if ok and ex.narratives is not None else None
        else:  # threat_target
            ok = ex.labels["threat"] == 1 and ex.threat_target is not None
            value = int(ex.threat_target == name) if ok else None
        if value is not None:
            rows.append(i)
            ys.append(value)
    return HeadData(np.asarray(rows, dtype=np.int64), np.asarray(ys, dtype=np.int64))


def _fit(X: sp.csr_matrix, y: np.ndarray, weights: np.ndarray, C: float) -> LogisticRegression:
    clf = LogisticRegression(C=C, class_weight="balanced", solver="liblinear", max_iter=200)
    clf.fit(X, y, sample_weight=weights)
    return clf


def _trim(coef: np.ndarray, keep: int, protect_from: int) -> np.ndarray:
    """Zero all but the `keep` largest |weights|; rule features (from `protect_from`) stay."""
    coef = coef.astype(np.float32).copy()
    ngram = np.abs(coef[:protect_from])
    if np.count_nonzero(ngram) > keep:
        cutoff = np.partition(ngram, -keep)[-keep]
        coef[:protect_from][ngram < cutoff] = 0.0
    return coef


def platt(z: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Fit p = sigmoid(a*z + b) on dev scores (Platt scaling)."""
    if len(set(y.tolist())) < 2:
        return 1.0, 0.0
    lr = LogisticRegression(C=100.0, solver="lbfgs")
    lr.fit(z.reshape(-1, 1), y)
    return float(lr.coef_[0, 0]), float(lr.intercept_[0])


def best_threshold(p: np.ndarray, y: np.ndarray, low: float = 0.1, high: float = 0.95) -> float:
    """The dev threshold that maximises F1, kept within [low, high]."""
    if y.sum() == 0 or y.sum() == len(y):
        return 0.5
    precision, recall, thresholds = precision_recall_curve(y, p)
    f1 = 2 * precision * recall / np.maximum(precision + recall, 1e-9)
    candidates = [(f, t) for f, t in zip(f1[:-1], thresholds, strict=True) if low <= t <= high]
    if not candidates:
        return 0.5
    best = max(f for f, _ in candidates)
    # Among near-best thresholds take the middle one: less sensitive to dev noise.
    near = sorted(t for f, t in candidates if f >= best - 0.005)
    return float(near[len(near) // 2])


def featurize(examples: Sequence[Example], featurizer: Featurizer, nlp: Any) -> sp.csr_matrix:
    from cohesion.classify.model import MAX_CHARS

    texts = [normalize(ex.text[:MAX_CHARS]).text for ex in examples]
    hits = [doc._.hits for doc in nlp.pipe(texts, batch_size=512)]
    return featurizer.transform(texts, hits)


def fit_heads(
    examples: Sequence[Example], X: sp.csr_matrix, featurizer: Featurizer,
    say: Callable[[str], None],
) -> tuple[sp.csr_matrix, np.ndarray, list[dict[str, Any]], dict[str, float]]:  # fmt: skip
    heads = list(LABELS) + [f"target:{t}" for t in TARGETS] + [f"narrative:{n}" for n in NARRATIVES]
    heads += [f"threat_target:{k}" for k in THREAT_TARGETS]
    sample_weight = np.asarray([SOURCE_WEIGHT.get(ex.source, 1.0) for ex in examples])
    columns, intercepts, head_info, thresholds = [], [], [], {}
    for head in heads:
        train, dev = _head_rows(head, examples, "train"), _head_rows(head, examples, "dev")
        info: dict[str, Any] = {"name": head, "train_rows": int(len(train.y)),
                                "train_positives": int(train.y.sum()), "dev_rows": int(len(dev.y)),
                                "dev_positives": int(dev.y.sum())}  # fmt: skip
        if train.y.sum() < MIN_POSITIVES or train.y.sum() == len(train.y):
            say(
                f"  {head}: too few annotated positives ({int(train.y.sum())}); head left untrained"
            )
            columns.append(np.zeros(featurizer.n_features, np.float32))
            intercepts.append(-10.0)
            head_info.append({**info, "trained": False, "calib_a": 1.0, "calib_b": 0.0,
                              "threshold": 0.99})  # fmt: skip
            if head in LABELS:
                thresholds[head] = 0.99
            continue
        is_label = head in LABELS
        Xtr, wtr = X[train.rows], sample_weight[train.rows]
        Cs = LABEL_C if is_label and dev.y.sum() >= MIN_POSITIVES else (SUB_C,)
        best: tuple[float, float, LogisticRegression] | None = None
        for C in Cs:
            clf = _fit(Xtr, train.y, wtr, C)
            score = (average_precision_score(dev.y, clf.decision_function(X[dev.rows]))
                     if len(Cs) > 1 else 0.0)  # fmt: skip
            if best is None or score > best[0]:
                best = (score, C, clf)
        assert best is not None
        _, C, clf = best
        coef = _trim(clf.coef_[0], KEEP_LABEL if is_label else KEEP_SUB, featurizer.rule_offset)
        b = float(clf.intercept_[0])
        if dev.y.sum() >= 3 and dev.y.sum() < len(dev.y):
            z_dev = np.asarray(X[dev.rows] @ coef).ravel() + b
            a, c = platt(z_dev, dev.y)
            p_dev = 1 / (1 + np.exp(-(a * z_dev + c)))
            threshold = best_threshold(p_dev, dev.y, low=MIN_FLAG_PROBABILITY) if is_label else 0.5
        else:
            a, c, threshold = 1.0, 0.0, 0.5
        say(f"  {head}: C={C} train {len(train.y)} ({int(train.y.sum())}+) dev "
            f"{len(dev.y)} ({int(dev.y.sum())}+) threshold {threshold:.3f}")  # fmt: skip
        columns.append(coef)
        intercepts.append(b)
        head_info.append({**info, "trained": True, "C": C, "calib_a": a, "calib_b": c,
                          "threshold": threshold, "nonzero": int(np.count_nonzero(coef))})  # fmt: skip
        if is_label:
            thresholds[head] = threshold
    W = sp.csr_matrix(np.vstack(columns).T)
    return W, np.asarray(intercepts), head_info, thresholds


def train(
    data_dirs: Iterable[Path] | None = None,
    extra_examples: Iterable[Mapping[str, Any]] | None = None,
    out_dir: Path = Path("models/default"),
    *,
    datasets: Sequence[str] = DEFAULT_DATASETS,
    examples_file: Path | None = EXAMPLES_FILE,
    name: str | None = None,
    today: dt.date | None = None,
    command: str | None = None,
    say: Callable[[str], None] = log.info,
) -> Model:
    """Train a model from data directories (+ reviewed examples) and write it to `out_dir`.

    `extra_examples` are records in the project examples' schema (id, text, hate,
    anti_government, threat, doxxing, targets, narratives, threat_target, split), e.g.
    analyst reviews exported from the store; they are trained on (split "train" unless
    the record says otherwise).
    """
    data_dirs = list(data_dirs) if data_dirs is not None else [DEFAULT_DATA_DIR]
    examples, files = load_examples(data_dirs, datasets, extra_examples, examples_file)
    missing = [name for name in datasets if name not in files]
    if missing:
        say(f"not found in {', '.join(map(str, data_dirs))}: {', '.join(missing)} "
            "(see ../shared/data/README.md for where to obtain them)")  # fmt: skip
    examples = [ex for ex in examples if ex.text.strip()]
    if not examples:
        raise ValueError(f"no training data found in {', '.join(map(str, data_dirs))}")
    say(f"loaded {len(examples)} examples from {', '.join(sorted(files)) or 'no files'}"
        + (" + reviews" if extra_examples is not None else ""))  # fmt: skip
    lexicons = default_lexicons()
    nlp = build_pipeline(lexicons)
    featurizer = Featurizer(categories=categories(lexicons))
    X = featurize(examples, featurizer, nlp)
    say(f"features: {X.shape[1]} columns, {X.nnz} non-zeros")
    W, intercepts, head_info, thresholds = fit_heads(examples, X, featurizer, say)
    today = today or dt.date.today()
    name = name or Path(out_dir).name
    version = f"{name}-{today:%Y.%m.%d}"
    config = make_config(name, version, featurizer, head_info, lexicons)
    model = Model(config, lexicons, W, intercepts, thresholds)
    out_dir = Path(out_dir)
    model.save(out_dir)
    model = Model.load(out_dir)  # evaluate exactly what was written
    say("evaluating on held-out test splits")
    metrics = evaluate_examples(model, [ex for ex in examples if ex.split == "test"])
    if HARDCASES_FILE.is_file():
        metrics["functional"] = evaluate_hardcases(model, HARDCASES_FILE)
    card = model_card.build(model, examples, files, metrics, head_info, today, command)
    model_card.write(out_dir, card)
    return Model.load(out_dir)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m classify.train", description=__doc__)
    parser.add_argument(
        "--data", type=Path, action="append", help="data dir or .jsonl (repeatable)"
    )
    parser.add_argument(
        "--dataset", action="append", help="datasets to use (default: the MIT/CC BY ones)"
    )
    parser.add_argument("--reviews", type=Path, help="JSONL of reviewed examples to add")
    parser.add_argument("--out", type=Path, default=Path("models/default"))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    from cohesion.classify.data import read_jsonl

    extra = list(read_jsonl(args.reviews)) if args.reviews else None
    command = "python -m classify.train " + " ".join(argv if argv is not None else sys.argv[1:])
    model = train(args.data, extra, args.out, datasets=tuple(args.dataset or DEFAULT_DATASETS),
                  command=command.strip(), say=print)  # fmt: skip
    print(f"wrote {args.out} ({model.version})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
