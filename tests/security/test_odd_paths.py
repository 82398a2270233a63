"""Issue #15 item 8: a SQLite database in a folder whose path holds `#`, `?`, `%` or
spaces is created and used there (a bare `?` once started the URL's query)."""

from __future__ import annotations

from pathlib import Path

import pytest
from cohesion.cli import app
from cohesion.config import load_settings
from cohesion.store.engine import make_engine, sqlite_url
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

runner = CliRunner()


@pytest.mark.parametrize("folder", ["with #hash", "a?question", "100% sure", "two  spaces"])
def test_init_and_status_in_an_odd_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          folder: str) -> None:  # fmt: skip
    here = tmp_path / folder
    here.mkdir()
    monkeypatch.chdir(here)
    for name in ("COHESION_CONFIG", "COHESION_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    assert runner.invoke(app, ["init"]).exit_code == 0
    assert (here / "cohesion.db").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == [folder]  # nothing cut short
    status = runner.invoke(app, ["status"])
    assert status.exit_code == 0, status.output
    url = load_settings(here / "cohesion.toml").database.url
    assert make_engine(url).url.database == str(here / "cohesion.db")


def test_sqlite_url_round_trips() -> None:
    path = "/data/a#b?c d%e/cohesion.db"
    assert make_url(sqlite_url(path)).database == path
