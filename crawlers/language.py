"""The stored post language: py3langid's answer, one text at a time or a batch at once.

`detect_language` asks py3langid per text. `detect_languages` gives the same answers
for many texts in a fraction of the time, which is what a bulk import needs (one text
at a time, language identification was about 40% of `cohesion import`):

- py3langid walks a byte automaton over each text in a Python loop (a dictionary
  lookup per byte) and scores the features it met with a small matrix product per
  text. Here the automaton is walked over a bucket of texts of similar length at once,
  one NumPy step per byte position for the whole bucket, and the features of every
  text are scored together.
- The model, the text encoding (NFC, UTF-8, all-capitals lowered), the scores and the
  tie rules are py3langid's own (its `LanguageIdentifier`, read from its model file),
  so the two functions agree: tests/crawlers/test_language.py checks them against each
  other. Scores are summed in another order, so two languages within float32 rounding
  of each other could in principle swap; the tests found none.
- Texts longer than `LONG_TEXT_BYTES` go through py3langid one by one: the lockstep
  walk pays per position for the whole bucket, and a few long texts would make it
  walk far past the end of the short ones.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np
import py3langid
from scipy import sparse

# Below this many letters a language guess is noise ("lol", a URL, an emoji).
MIN_LETTERS_FOR_LANGUAGE = 20
# Texts walked in lockstep: one bucket is this many texts of neighbouring lengths.
BUCKET = 256
# Longer texts (in UTF-8 bytes) are left to py3langid's own loop.
LONG_TEXT_BYTES = 4096


def has_enough_letters(text: str) -> bool:
    """At least MIN_LETTERS_FOR_LANGUAGE letters; stops counting once there are."""
    letters = 0
    for char in text:
        if char.isalpha():
            letters += 1
            if letters >= MIN_LETTERS_FOR_LANGUAGE:
                return True
    return False


def detect_language(text: str) -> str | None:
    """ISO 639-1 code from py3langid (offline), or None for short or empty text."""
    if not has_enough_letters(text):
        return None
    code, _score = py3langid.classify(text)
    return str(code)


class _Model:
    """py3langid's default model as arrays: the byte automaton and the class scores."""

    def __init__(self) -> None:
        from py3langid.langid import RAW_FLOOR, LanguageIdentifier

        identifier = py3langid.langid._get_identifier()  # the one py3langid.classify uses
        if not isinstance(identifier, LanguageIdentifier) or identifier._norm_probs:
            raise RuntimeError("py3langid's default identifier is not the expected model")
        self.identifier = identifier
        moves = identifier.tk_nextmove
        self.next_move = np.frombuffer(moves, dtype=np.dtype(moves.typecode))  # no copy
        self.row_base = np.asarray(identifier._rowbase, dtype=np.int64)
        self.output = np.asarray(identifier.tk_output, dtype=np.int64)
        self.feature_scores = identifier.nb_ptc  # features x classes (float16)
        self.class_prior = np.asarray(identifier.nb_pc, dtype=np.float32)
        self.classes = list(identifier.nb_classes)
        self.alias_pairs = list(identifier._alias_pairs)
        self.floor = np.float32(RAW_FLOOR)

    def encode(self, text: str) -> bytes:
        encoded = self.identifier._encode(text)
        return encoded if isinstance(encoded, bytes) else bytes(encoded)

    def classify(self, encoded: Sequence[bytes]) -> list[str]:
        """The top class of each encoded text, as LanguageIdentifier.classify picks it."""
        count = len(encoded)
        lengths = np.fromiter((len(b) for b in encoded), dtype=np.int64, count=count)
        width = int(lengths.max()) if count else 0
        letters = np.zeros((max(width, 1), count), dtype=np.int64)  # position x text
        for column, data in enumerate(encoded):
            letters[: len(data), column] = np.frombuffer(data, dtype=np.uint8)
        state = np.zeros(count, dtype=np.int64)
        hits_text: list[np.ndarray[Any, Any]] = []
        hits_feature: list[np.ndarray[Any, Any]] = []
        for position in range(width):
            state = self.next_move[self.row_base[state] + letters[position]]
            feature = self.output[state]
            # Past its end a text keeps walking on zero bytes: those features are not its.
            found = np.flatnonzero((feature >= 0) & (lengths > position))
            if found.size:
                hits_text.append(found)
                hits_feature.append(feature[found])
        scores = np.full((count, len(self.classes)), self.floor, dtype=np.float32)
        if hits_text:
            texts = np.concatenate(hits_text)
            features = np.concatenate(hits_feature)
            pairs, visits = np.unique(
                texts * len(self.feature_scores) + features, return_counts=True
            )
            pair_text = pairs // len(self.feature_scores)
            pair_feature = pairs % len(self.feature_scores)
            # Only the features this bucket met, as float32 (py3langid's product type).
            used, used_index = np.unique(pair_feature, return_inverse=True)
            visited = sparse.csr_matrix(
                (np.log1p(visits.astype(np.float32)), (pair_text, used_index)),
                shape=(count, len(used)),
            )
            product = visited @ self.feature_scores[used].astype(np.float32)
            scored = np.unique(pair_text)
            scores[scored] = np.asarray(product)[scored] + self.class_prior
        for first, alias in self.alias_pairs:  # as LanguageIdentifier._decide folds them
            scores[:, first] = np.maximum(scores[:, first], scores[:, alias])
            scores[:, alias] = self.floor
        return [self.classes[i] for i in scores.argmax(axis=1)]


_loading = threading.Lock()


@lru_cache(maxsize=1)
def _loaded() -> _Model:
    return _Model()


def _model() -> _Model:
    with _loading:  # one load, whichever thread asks first
        return _loaded()


def preload_language_model() -> None:
    """Load the model on a background thread (about a second: decompressing it mostly
    releases the GIL), so that a bulk import reads its first rows meanwhile."""
    threading.Thread(target=_model, name="cohesion-language-model", daemon=True).start()


def detect_languages(texts: Sequence[str]) -> list[str | None]:
    """`detect_language` of each text, computed for the batch at once."""
    out: list[str | None] = [None] * len(texts)
    model = _model()
    walked: list[tuple[int, bytes]] = []
    for index, text in enumerate(texts):
        if not has_enough_letters(text):
            continue
        encoded = model.encode(text)
        if len(encoded) > LONG_TEXT_BYTES:
            out[index] = detect_language(text)
        else:
            walked.append((index, encoded))
    walked.sort(key=lambda pair: len(pair[1]))
    for start in range(0, len(walked), BUCKET):
        bucket = walked[start : start + BUCKET]
        for (index, _), code in zip(bucket, model.classify([b for _, b in bucket]), strict=True):
            out[index] = code
    return out


__all__ = [
    "MIN_LETTERS_FOR_LANGUAGE",
    "detect_language",
    "detect_languages",
    "has_enough_letters",
    "preload_language_model",
]
