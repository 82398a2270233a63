"""Cohesion: monitor online hate, anti-government narratives, threats against officials
and doxxing for one locality.

The repository root is this package's directory (see `[tool.setuptools]` in
pyproject.toml): code imports `cohesion.store`, `cohesion.classify`, and so on.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("cohesion-monitor")
except PackageNotFoundError:  # pragma: no cover - only when run from an uninstalled tree
    __version__ = "0+unknown"
