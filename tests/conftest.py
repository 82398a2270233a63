"""Shared fixtures: a migrated database on SQLite and, when configured, PostgreSQL.

PostgreSQL tests run against COHESION_TEST_DATABASE_URL, each in a schema of its own
(dropped afterwards), so tests and parallel engineers never see each other's rows.
They skip only when the variable is unset, and never in CI.
"""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from cohesion.store.engine import make_engine, make_session_factory
from cohesion.store.migrate import upgrade
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED = REPO_ROOT.parent / "shared"
PG_ENV = "COHESION_TEST_DATABASE_URL"
TEST_PSEUDONYM_KEY = "test-pseudonym-key-0123456789abcdef"


def _stray_modules() -> list[str]:
    """Project files imported under a name that is not `cohesion.*` (or the tests'):
    a bare `import scheduler` would still work in a checkout, where the repository root
    is on sys.path, but not in the installed wheel, and it would load a second copy of
    the module with its own globals."""
    root, venv = str(REPO_ROOT), str(REPO_ROOT / ".venv")
    # pytest imports the repository's own __init__.py as the parent package of tests/,
    # under the folder's name (or "__init__" when that name is not an identifier).
    package_init = str(REPO_ROOT / "__init__.py")
    stray = []
    for name, module in list(sys.modules.items()):
        path = getattr(module, "__file__", None) or ""
        if not path.startswith(root) or path.startswith(venv) or path == package_init:
            continue
        if path.startswith((str(REPO_ROOT / "tests"), str(REPO_ROOT / "benchmarks"))):
            continue  # test modules and scripts, not the package
        top = name.split(".")[0]
        if top not in ("cohesion", "tests", "benchmarks", "conftest", "__main__", REPO_ROOT.name):
            stray.append(f"{name} ({path})")
    return sorted(stray)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    stray = _stray_modules()
    if stray:
        print("\nproject modules imported outside the cohesion package:", *stray, sep="\n  ")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def shared_path(*parts: str) -> Path:
    """A path in ../shared; skips when it is absent, fails instead in CI."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{path} is missing in CI")
        pytest.skip(f"{path} is not available")
    return path


def _postgres_base_url() -> str:
    url = os.environ.get(PG_ENV)
    if not url:
        if os.environ.get("CI"):
            pytest.fail(f"{PG_ENV} must be set in CI")
        pytest.skip(f"{PG_ENV} is not set")
    return url


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A URL to a fresh, empty schema on the test PostgreSQL server."""
    base = _postgres_base_url()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(base)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in base else "?"
    yield f"{base}{separator}options={quote(f'-csearch_path={schema}')}"
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database URL, once per backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'cohesion.db'}"
    return request.getfixturevalue("postgres_url")


def _migrated(url: str) -> Iterator[Engine]:
    engine = make_engine(url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """A migrated database, once per backend."""
    yield from _migrated(db_url)


@pytest.fixture
def pg_engine(postgres_url: str) -> Iterator[Engine]:
    """A migrated database on the PostgreSQL server only (tests of PostgreSQL features)."""
    yield from _migrated(postgres_url)


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)


@pytest.fixture(autouse=True)
def _pseudonym_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COHESION_PSEUDONYM_KEY", TEST_PSEUDONYM_KEY)
