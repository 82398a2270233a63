"""Errors of the classifier, importable without loading spaCy or scikit-learn."""


class ModelLoadError(RuntimeError):
    """A model directory is missing, incomplete or corrupt (one-line message)."""
