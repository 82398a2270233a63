"""Every crawler test runs with the test pseudonym key and no platform credentials."""

from __future__ import annotations

import pytest

from tests.crawlers.helpers import isolate_crawl_environment


@pytest.fixture(autouse=True)
def crawl_env(monkeypatch: pytest.MonkeyPatch) -> None:
    isolate_crawl_environment(monkeypatch)
