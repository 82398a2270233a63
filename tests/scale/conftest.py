"""The `store` fixture of the import tests: a migrated store on each test database."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from cohesion.store.engine import make_engine, make_session_factory
from cohesion.store.migrate import upgrade

from tests.crawlers.helpers import isolate_crawl_environment
from tests.scale.import_helpers import settings_for


@pytest.fixture
def store(db_url: str) -> Iterator[tuple[Any, Any]]:
    """(settings, session factory) of a migrated store on the test's database."""
    engine = make_engine(db_url)
    upgrade(engine)
    sessions = make_session_factory(engine)
    yield settings_for(db_url), sessions
    engine.dispose()


@pytest.fixture
def crawl_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """For the tests that crawl: the test pseudonym key and no platform credentials."""
    isolate_crawl_environment(monkeypatch)
