"""The plain baseline the shipped model is measured against (issue #13).

Word 1-2-gram and char_wb 2-5-gram TF-IDF, one scikit-learn LogisticRegression per label
trained on the same training rows as the shipped model, a flag at probability 0.5. No
rules, no calibration, no feed thresholds: the two-minute model a reviewer would build
first. `cohesion train` trains it in-process and writes its test metrics into the model
card beside the shipped model's; it is not saved (a TF-IDF vocabulary would put training
text in the model directory).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from cohesion.classify.data import Example
from cohesion.classify.normalize import normalize
from cohesion.classify.prediction import LABELS, Prediction
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

MAX_CHARS = 5_000  # the baseline reads the start of a post only: it is a reference, not a product
DESCRIPTION = (
    "TF-IDF word 1-2-grams (min_df 2) and char_wb 2-5-grams (min_df 3, 300,000 most frequent), "
    "sublinear tf; LogisticRegression (C=1, lbfgs, class_weight=balanced) per label on the same "
    "training rows; flag at probability 0.5"
)


@dataclass
class Baseline:
    word: TfidfVectorizer
    char: TfidfVectorizer
    heads: dict[str, LogisticRegression]

    def features(self, texts: Sequence[str]) -> sp.csr_matrix:
        clean = [normalize(t[:MAX_CHARS]).text for t in texts]
        return sp.hstack([self.word.transform(clean), self.char.transform(clean)], format="csr")

    def scores(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        X = self.features(texts)
        return {label: clf.predict_proba(X)[:, 1] for label, clf in self.heads.items()}

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        scores = self.scores(texts)
        out = []
        for i in range(len(texts)):
            row = {label: float(scores[label][i]) if label in scores else 0.0 for label in LABELS}
            out.append(Prediction([k for k in LABELS if row[k] >= 0.5], row))
        return out


def train_baseline(
    examples: Sequence[Example], say: Callable[[str], None] = lambda _m: None
) -> Baseline:
    """Fit the baseline on the examples of the 'train' split (each label on its annotated rows)."""
    train = [ex for ex in examples if ex.split == "train"]
    texts = [normalize(ex.text[:MAX_CHARS]).text for ex in train]
    word = TfidfVectorizer(
        analyzer="word", ngram_range=(1, 2), min_df=2, sublinear_tf=True, dtype=np.float32
    )
    char = TfidfVectorizer(
        analyzer="char_wb", ngram_range=(2, 5), min_df=3, max_features=300_000,
        sublinear_tf=True, dtype=np.float32,
    )  # fmt: skip
    X = sp.hstack([word.fit_transform(texts), char.fit_transform(texts)], format="csr")
    heads = {}
    for label in LABELS:
        rows = [i for i, ex in enumerate(train) if ex.labels[label] is not None]
        y = np.asarray([train[i].labels[label] for i in rows])
        if len(set(y.tolist())) < 2:
            continue
        heads[label] = LogisticRegression(C=1.0, max_iter=1000, class_weight="balanced").fit(
            X[rows], y
        )
        say(f"  baseline {label}: {len(rows)} rows ({int(y.sum())}+)")
    return Baseline(word, char, heads)
