"""A migrated database with settings and a Runtime, once per backend."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from cohesion.config import Settings
from cohesion.runtime import Runtime
from cohesion.store.engine import make_engine
from cohesion.store.migrate import upgrade

from tests.reports import dataset as ds


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    engine = make_engine(db_url)
    upgrade(engine)
    engine.dispose()
    return Settings.model_validate(
        {
            "database": {"url": db_url},
            "locality": {"name": "Johnson County", "timezone": ds.TZ},
            "report": {"out_dir": str(tmp_path / "reports")},
            "schedule": {"crawl_time": "02:30", "report_time": "07:15", "purge_time": "04:00"},
        }
    )


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:
    runtime = Runtime.from_settings(settings)
    yield runtime
    runtime.close()


@pytest.fixture
def config_file(settings: Settings, tmp_path: Path) -> Path:
    path = tmp_path / "cohesion.toml"
    path.write_text(
        f"""
[database]
url = "{settings.database.url}"

[locality]
name = "Johnson County"
timezone = "{ds.TZ}"

[report]
out_dir = "{tmp_path / "reports"}"
"""
    )
    return path
