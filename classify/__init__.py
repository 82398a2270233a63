"""Classifier: texts in, `Prediction`s out. A leaf package: it never touches the store.

>>> from classify import load_model
>>> model = load_model()                       # the bundled models/default
>>> [p.flags for p in model.predict(["see you at the meeting"])]
[[]]
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cohesion.classify.errors import ModelLoadError
from cohesion.classify.prediction import LABELS, Evidence, Prediction

if TYPE_CHECKING:
    from cohesion.classify.model import Model
    from cohesion.classify.normalize import Normalized, normalize

# The model, spaCy and scikit-learn load on first use, so that importing the package
# (the CLI does, for ModelLoadError) costs nothing.
_LAZY = {
    "DEFAULT_MODEL_DIR": "cohesion.classify.model",
    "MAX_CHARS": "cohesion.classify.model",
    "Model": "cohesion.classify.model",
    "Normalized": "cohesion.classify.normalize",
    "normalize": "cohesion.classify.normalize",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'classify' has no attribute {name!r}")


__all__ = [
    "DEFAULT_MODEL_DIR",
    "LABELS",
    "MAX_CHARS",
    "Evidence",
    "Model",
    "ModelLoadError",
    "Normalized",
    "Prediction",
    "load_model",
    "normalize",
]


def load_model(
    path: str | Path | None = None,
    gazetteer: Iterable[Mapping[str, Any]] | None = None,
    watchlist: Iterable[Mapping[str, Any]] | None = None,
) -> Model:
    """Load a model directory (default: the bundled models/default).

    `gazetteer` and `watchlist` are lists of {"name", "aliases", "kind"} (the locality's
    places and the officials it protects); they drive the EntityRuler at load time, so a
    new locality needs no retraining. Raises ModelLoadError with a one-line reason.
    """
    from cohesion.classify.model import Model

    return Model.load(path, gazetteer=gazetteer, watchlist=watchlist)
