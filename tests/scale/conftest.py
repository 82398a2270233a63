"""The `store` fixture of the import tests: a migrated store on each test database."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from store.engine import make_engine, make_session_factory
from store.migrate import upgrade
from tests.scale.import_helpers import settings_for


@pytest.fixture
def store(db_url: str) -> Iterator[tuple[Any, Any]]:
    """(settings, session factory) of a migrated store on the test's database."""
    engine = make_engine(db_url)
    upgrade(engine)
    sessions = make_session_factory(engine)
    yield settings_for(db_url), sessions
    engine.dispose()
