"""A trained model: loading and saving a model directory, and batch prediction.

A model directory holds only JSON and one ``weights.npz`` (loaded with
``allow_pickle=False``), so loading never executes code:

- ``config.json``: name, version, feature layout, heads with their calibration;
- ``lexicons.json``: the rule lexicons the model was trained with;
- ``weights.npz``: one sparse coefficient matrix (features x heads) and intercepts;
- ``thresholds.json``: the per-label flag thresholds chosen on the dev split;
- ``model_card.json`` / ``MODEL_CARD.md``: data, licences, metrics, date, version.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from cohesion.classify.decide import Decider
from cohesion.classify.errors import ModelLoadError
from cohesion.classify.features import Featurizer
from cohesion.classify.language import detect
from cohesion.classify.normalize import normalize
from cohesion.classify.prediction import LABELS, Evidence, Prediction
from cohesion.classify.rules import build_pipeline, categories
from cohesion.classify.spelling import SpellingFixer
from cohesion.classify.taxonomy import THREAT_TARGETS
from cohesion.classify.watchlist import ADDRESS_RE, KIND_TARGET, WatchHit, WatchlistMatcher
from cohesion.resources import package_path

FORMAT = "cohesion-linear.v1"
# Long texts are read in overlapping windows and each head takes its highest score over
# the windows (issue #13): a threat after 25,000 characters of padding is still seen.
WINDOW_CHARS = 4_000
WINDOW_OVERLAP = 400
# Bounded cost: at most this many characters of one text are read (250 windows).
MAX_CHARS = 1_000_000
WINDOW_BATCH = 64  # windows scored together, so one huge text never builds a huge matrix
BATCH_SIZE = 256
DEFAULT_MODEL_DIR = package_path("models", "default")
REQUIRED_FILES = ("config.json", "lexicons.json", "weights.npz", "thresholds.json")


def windows(text: str) -> list[tuple[int, str]]:
    """(start, piece) windows covering the text's first MAX_CHARS characters.

    Short texts are one window. Windows overlap by WINDOW_OVERLAP characters, so a
    sentence cut at one window's end is whole in the next.
    """
    text = text[:MAX_CHARS]
    if len(text) <= WINDOW_CHARS:
        return [(0, text)]
    step = WINDOW_CHARS - WINDOW_OVERLAP
    out = []
    for start in range(0, len(text), step):
        out.append((start, text[start : start + WINDOW_CHARS]))
        if start + WINDOW_CHARS >= len(text):
            break
    return out


def _coerce(text: Any) -> str:
    if text is None:
        return ""
    if isinstance(text, bytes | bytearray):
        return bytes(text).decode("utf-8", errors="replace")
    return text if isinstance(text, str) else str(text)


class Model:
    """Scores texts with per-head linear models over hashed n-grams and rule features."""

    def __init__(
        self,
        config: Mapping[str, Any],
        lexicons: Mapping[str, Any],
        weights: sp.csr_matrix,
        intercepts: np.ndarray,
        thresholds: Mapping[str, float],
        card: Mapping[str, Any] | None = None,
        gazetteer: Iterable[Mapping[str, Any]] | None = None,
        watchlist: Iterable[Mapping[str, Any]] | None = None,
    ) -> None:
        self.config = dict(config)
        self.lexicons = dict(lexicons)
        self.name: str = self.config["name"]
        self.version: str = self.config["version"]
        self.heads: list[str] = [h["name"] for h in self.config["heads"]]
        self.head_index = {name: i for i, name in enumerate(self.heads)}
        self.calib_a = np.array([h.get("calib_a", 1.0) for h in self.config["heads"]], np.float64)
        self.calib_b = np.array([h.get("calib_b", 0.0) for h in self.config["heads"]], np.float64)
        self.head_thresholds = {
            h["name"]: float(h.get("threshold", 0.5)) for h in self.config["heads"]
        }
        self.thresholds = {label: float(thresholds[label]) for label in LABELS}
        self.head_thresholds.update(self.thresholds)
        self.weights = weights.tocsr().astype(np.float32)
        self.intercepts = np.asarray(intercepts, dtype=np.float64)
        self._weights_csc = self.weights.tocsc()
        self._word_columns: dict[str, dict[int, float]] = {}
        self.card = dict(card or {})
        self.metrics: dict[str, Any] = dict(self.card.get("metrics", {}))
        feat = self.config["features"]
        self.featurizer = Featurizer(
            categories=list(self.config["categories"]),
            word_features=int(feat["word_features"]),
            char_features=int(feat["char_features"]),
            word_ngrams=tuple(feat["word_ngrams"]),
            char_ngrams=tuple(feat["char_ngrams"]),
            scoped=bool(feat.get("scoped", False)),
            spelling=bool(feat.get("spelling", False)),
        )
        if self.featurizer.rule_columns != feat["rule_columns"]:
            raise ModelLoadError("model feature layout does not match this version of classify/")
        if self.weights.shape != (self.featurizer.n_features, len(self.heads)):
            raise ModelLoadError(f"weights have shape {self.weights.shape}, config expects "
                                 f"({self.featurizer.n_features}, {len(self.heads)})")  # fmt: skip
        # The watchlist is matched on the original text (classify/watchlist.py), not by
        # the entity ruler, whose lower-cased input would erase its case rules.
        self.spelling = SpellingFixer(self.lexicons) if self.featurizer.spelling else None
        self.nlp = build_pipeline(self.lexicons, gazetteer, None)
        self.watchlist = WatchlistMatcher(self.nlp, watchlist)
        self.decider = Decider(self)

    # -- scoring ---------------------------------------------------------------
    def decision(self, X: sp.csr_matrix) -> np.ndarray:
        """Raw linear scores, one column per head."""
        return np.asarray((X @ self.weights).toarray(), dtype=np.float64) + self.intercepts

    def probabilities(self, Z: np.ndarray) -> np.ndarray:
        """Platt-calibrated probabilities from raw scores."""
        return 1.0 / (1.0 + np.exp(-np.clip(self.calib_a * Z + self.calib_b, -50, 50)))

    def analyse(self, texts: Sequence[str]) -> tuple[list[Any], list[Any], sp.csr_matrix]:
        """Normalise, run the rule pipeline and build features for a batch of windows."""
        norms = [normalize(t[:WINDOW_CHARS]) for t in texts]
        if self.spelling is not None:
            norms = [self.spelling(n) for n in norms]
        docs = list(self.nlp.pipe([n.text for n in norms], batch_size=max(1, len(norms))))
        X = self.featurizer.transform([n.text for n in norms], [d._.hits for d in docs])
        return norms, docs, X

    def token_weights(self, head: str, tokens: list[str]) -> list[float]:
        """Weight of each token's word-unigram feature for a head (for evidence)."""
        column = self._word_columns.get(head)
        if column is None:
            col = self._weights_csc[:, self.head_index[head]]
            keep = col.indices < self.featurizer.word_features
            column = dict(zip(col.indices[keep].tolist(), col.data[keep].tolist(), strict=True))
            self._word_columns[head] = column
        rows = self.featurizer.word.transform(tokens).tocsr()
        out = []
        for i in range(rows.shape[0]):
            cols = rows.indices[rows.indptr[i] : rows.indptr[i + 1]]
            out.append(sum(column.get(int(c), 0.0) for c in cols))
        return out

    def _predict_batch(
        self, batch: list[Any], addressed: list[str | None] | None = None
    ) -> list[Prediction]:
        texts = [_coerce(t) for t in batch]
        pieces = [(i, start, piece) for i, text in enumerate(texts)
                  for start, piece in windows(text)]  # fmt: skip
        best: dict[int, tuple[float, int, Any, Any]] = {}  # text -> (margin, start, norm, doc)
        probs = np.zeros((len(texts), len(self.heads)))
        label_cols = [self.head_index[label] for label in LABELS]
        cuts = np.asarray([self.thresholds[label] for label in LABELS])
        size = max(len(texts), WINDOW_BATCH)
        for lo in range(0, len(pieces), size):
            chunk = pieces[lo : lo + size]
            norms, docs, X = self.analyse([piece for _, _, piece in chunk])
            chunk_probs = self.probabilities(self.decision(X))
            for (i, start, _), norm, doc, row in zip(chunk, norms, docs, chunk_probs, strict=True):
                probs[i] = np.maximum(probs[i], row)
                margin = float(np.max(row[label_cols] - cuts))
                if i not in best or margin > best[i][0]:
                    best[i] = (margin, start, norm, doc)
        out = []
        for i, text in enumerate(texts):
            _, start, norm, doc = best[i]
            language, non_english = detect(text)
            prediction = self.decider.decide(probs[i], norm, doc, language, non_english)
            if start:
                # Evidence came from one window: shift its offsets into the whole text.
                prediction.evidence = [replace(e, start=e.start + start, end=e.end + start)
                                       for e in prediction.evidence]  # fmt: skip
            entry = addressed[i] if addressed else None
            out.append(self._apply_watchlist(prediction, text[:MAX_CHARS], entry))
        return out

    def _apply_watchlist(
        self, prediction: Prediction, text: str, addressed: str | None = None
    ) -> Prediction:
        """Name the watchlist entries a post hits; a threat at one is aimed at its kind.

        `addressed` is the entry whose own account the post replies to: "you" in such
        a reply names it (classify/watchlist.py, rule 5).
        """
        hits = self.watchlist.find(text) if self.watchlist else []
        you = ADDRESS_RE.search(text) if addressed and addressed in self.watchlist.kinds else None
        if you is not None and addressed is not None:
            kind = self.watchlist.kinds[addressed]
            hits.append(WatchHit(addressed, kind, you.start(), you.end()))
        if not hits:
            return prediction
        prediction.watchlist = sorted({hit.name for hit in hits})
        flags = set(prediction.flags)
        if "threat" in flags:
            # The entry's kind is known, not guessed: it joins whatever the heads said.
            kinds = {KIND_TARGET[hit.kind] for hit in hits} | set(prediction.threat_targets)
            prediction.threat_targets = [t for t in THREAT_TARGETS if t in kinds]
            # CODEBOOK: a threat against a government target is also anti_government.
            if "anti_government" not in flags:
                flags.add("anti_government")
                prediction.scores["anti_government"] = max(
                    prediction.scores["anti_government"], prediction.scores["threat"]
                )
                prediction.flags = [label for label in LABELS if label in flags]
        for label in ("threat", "doxxing"):
            if label in flags:
                prediction.evidence.extend(
                    Evidence(hit.start, hit.end, label, f"names watchlist {hit.kind} {hit.name}")
                    for hit in hits
                )
        return prediction

    def iter_predict(
        self,
        texts: Iterable[Any],
        batch_size: int = BATCH_SIZE,
        addressed: Iterable[str | None] | None = None,
    ) -> Iterator[Prediction]:
        """Stream predictions, reading `texts` in batches (any iterable, any length).

        `addressed`, parallel to `texts`, names for each post the watchlist entry whose
        own account it replies to (or None).
        """
        iterator = iter(texts)
        entries = iter(addressed) if addressed is not None else None
        size = max(1, batch_size)
        while batch := list(islice(iterator, size)):
            names = list(islice(entries, len(batch))) if entries is not None else None
            yield from self._predict_batch(batch, names)

    def predict(
        self,
        texts: Iterable[Any],
        batch_size: int = BATCH_SIZE,
        addressed: Iterable[str | None] | None = None,
    ) -> list[Prediction]:
        """One Prediction per text, in order (texts are processed in batches)."""
        return list(self.iter_predict(texts, batch_size, addressed))

    # -- persistence -----------------------------------------------------------
    def save(self, path: Path) -> None:
        """Write config, lexicons, weights and thresholds (the card is written by training)."""
        path.mkdir(parents=True, exist_ok=True)
        (path / "config.json").write_text(json.dumps(self.config, indent=1) + "\n", "utf-8")
        (path / "lexicons.json").write_text(json.dumps(self.lexicons, indent=1) + "\n", "utf-8")
        (path / "thresholds.json").write_text(json.dumps(self.thresholds, indent=1) + "\n", "utf-8")
        W = self.weights.tocsc()
        np.savez_compressed(
            path / "weights.npz",
            data=W.data.astype(np.float32),
            indices=W.indices.astype(np.int32),
            indptr=W.indptr.astype(np.int64),
            shape=np.asarray(W.shape, dtype=np.int64),
            intercepts=self.intercepts.astype(np.float64),
        )

    @classmethod
    def load(
        cls,
        path: str | Path | None = None,
        gazetteer: Iterable[Mapping[str, Any]] | None = None,
        watchlist: Iterable[Mapping[str, Any]] | None = None,
    ) -> Model:
        """Load a model directory; raise ModelLoadError with a one-line reason if it fails."""
        path = Path(path) if path is not None else DEFAULT_MODEL_DIR
        if not path.is_dir():
            raise ModelLoadError(
                f"model directory {path} does not exist (train one with `cohesion train`)"
            )
        missing = [name for name in REQUIRED_FILES if not (path / name).is_file()]
        if missing:
            raise ModelLoadError(
                f"model directory {path} is incomplete: missing {', '.join(missing)}"
            )
        try:
            config = json.loads((path / "config.json").read_text("utf-8"))
            lexicons = json.loads((path / "lexicons.json").read_text("utf-8"))
            thresholds = json.loads((path / "thresholds.json").read_text("utf-8"))
            card_file = path / "model_card.json"
            card = json.loads(card_file.read_text("utf-8")) if card_file.is_file() else {}
            if config.get("format") != FORMAT:
                raise ModelLoadError(
                    f"model directory {path}: unknown format {config.get('format')!r}"
                )
            with np.load(path / "weights.npz", allow_pickle=False) as npz:
                shape = tuple(int(x) for x in npz["shape"])
                weights = sp.csc_matrix((npz["data"], npz["indices"], npz["indptr"]), shape=shape)
                intercepts = npz["intercepts"]
            return cls(config, lexicons, weights.tocsr(), intercepts, thresholds, card,
                       gazetteer, watchlist)  # fmt: skip
        except ModelLoadError:
            raise
        except Exception as exc:  # corrupt JSON, truncated npz, wrong keys or shapes
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise ModelLoadError(f"model directory {path} is corrupt: {reason}") from exc


def make_config(name: str, version: str, featurizer: Featurizer, heads: list[dict[str, Any]],
                lexicons: Mapping[str, Any]) -> dict[str, Any]:  # fmt: skip
    """The config.json content for a newly trained model."""
    return {
        "format": FORMAT,
        "name": name,
        "version": version,
        "max_chars": MAX_CHARS,
        "window_chars": WINDOW_CHARS,
        "features": featurizer.config(),
        "categories": categories(lexicons),
        "heads": heads,
    }
