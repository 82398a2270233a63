"""Where the data that ships inside the package lives: the default model, the starter
config, templates, static files, the demo's texts and the Alembic scripts.

Everything is found through `importlib.resources`, never by guessing a checkout's
layout, so a wheel installed anywhere finds the same files as a development checkout.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


class PackageDataError(RuntimeError):
    """The installed package is missing a file it ships, or is not on a file system."""


def package_path(*parts: str) -> Path:
    """The file-system path of a file or folder inside the `cohesion` package.

    Scrapy, Jinja2's loader, Starlette's StaticFiles and Alembic all want real paths;
    wheels install as plain folders, so the traversable is a `Path` here. A zipped
    install (zipimport) is refused with a clear message instead of a confusing failure
    later.
    """
    resource = files("cohesion").joinpath(*parts)
    if not isinstance(resource, Path):
        raise PackageDataError(
            f"cohesion's package data {'/'.join(parts)} is not on the file system "
            f"({type(resource).__module__}.{type(resource).__name__}); install the wheel unzipped"
        )
    return resource


def read_text(*parts: str) -> str:
    """The text of a file shipped inside the package."""
    try:
        return files("cohesion").joinpath(*parts).read_text("utf-8")
    except FileNotFoundError as exc:
        raise PackageDataError(
            f"cohesion's package data {'/'.join(parts)} is missing; reinstall cohesion-monitor"
        ) from exc
