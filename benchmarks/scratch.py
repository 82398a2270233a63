"""Scratch PostgreSQL schemas for the benchmarks: created per measurement, dropped after.

Not a benchmark itself (run_all.py runs only `bench_*.py`).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote

from cohesion.store.engine import make_engine
from sqlalchemy import text


@contextmanager
def pg_schema(base: str) -> Iterator[str]:
    """A URL to a fresh scratch schema on the PostgreSQL server, dropped afterwards."""
    name = f"bench_{uuid.uuid4().hex[:10]}"
    admin = make_engine(base)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{name}"'))
    separator = "&" if "?" in base else "?"
    try:
        yield f"{base}{separator}options={quote(f'-csearch_path={name}')}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
        admin.dispose()


@contextmanager
def kept_pg_schema(base: str, name: str) -> Iterator[str]:
    """A URL to the schema `name` on the PostgreSQL server, created if missing and kept
    afterwards (a long load measured later, or again: drop it by hand when done)."""
    admin = make_engine(base)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{name}"'))
    admin.dispose()
    separator = "&" if "?" in base else "?"
    yield f"{base}{separator}options={quote(f'-csearch_path={name}')}"
