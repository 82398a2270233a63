"""Issue #15 item 6: the database, reports and classify-file's output are created 0600
(their new folders 0700) whatever the umask; `cohesion status` warns about a database
other users can read."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from cohesion.cli import app
from cohesion.store.engine import make_engine
from sqlalchemy import text
from typer.testing import CliRunner

runner = CliRunner()


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The loosest umask (files 0666, folders 0777 unless Cohesion says otherwise)."""
    monkeypatch.chdir(tmp_path)
    for name in ("COHESION_CONFIG", "COHESION_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    before = os.umask(0)
    try:
        yield tmp_path
    finally:
        os.umask(before)


def test_init_creates_a_private_database_and_wal(open_umask: Path) -> None:
    assert runner.invoke(app, ["init"]).exit_code == 0
    database = open_umask / "cohesion.db"
    assert _mode(database) == 0o600
    engine = make_engine(f"sqlite:///{database}")
    try:
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO sources (name, platform, config, enabled, "
                                    "cursor, created_at, updated_at) VALUES ('x', 'rss', '{}', "
                                    "1, '{}', '2026-01-01', '2026-01-01')"))  # fmt: skip
            for suffix in ("-wal", "-shm"):
                assert _mode(database.with_name(database.name + suffix)) == 0o600
    finally:
        engine.dispose()
    status = runner.invoke(app, ["status"])
    assert status.exit_code == 0 and "warning" not in status.output


def test_status_warns_about_a_readable_database(open_umask: Path) -> None:
    assert runner.invoke(app, ["init"]).exit_code == 0
    database = open_umask / "cohesion.db"
    database.chmod(0o644)
    status = runner.invoke(app, ["status"])
    assert status.exit_code == 0
    assert "warning: the database" in status.output and "mode 644" in status.output
    assert f"chmod 600 {database}" in " ".join(status.output.split())


def test_reports_are_private(open_umask: Path) -> None:
    open_umask.chmod(0o755)
    assert runner.invoke(app, ["init"]).exit_code == 0
    out = open_umask / "reports-out" / "county" / "2026-W47"
    result = runner.invoke(app, ["report", "--week", "2026-W47", "--out", str(out)])
    assert result.exit_code == 0, result.output
    files = list(out.iterdir())
    assert {f.name for f in files} >= {"index.html", "report.md", "trends.csv"}
    assert all(_mode(f) == 0o600 for f in files), [(f.name, oct(_mode(f))) for f in files]
    for folder in (out, out.parent, out.parent.parent):
        assert _mode(folder) == 0o700
    assert _mode(open_umask) == 0o755  # a folder that existed is left as it was


def test_classify_file_output_is_private(open_umask: Path) -> None:
    posts = open_umask / "posts.jsonl"
    posts.write_text(json.dumps({"id": 1, "text": "see you at the meeting"}) + "\n")
    existing = open_umask / "old.jsonl"
    existing.write_text("old predictions\n")
    existing.chmod(0o644)
    for out in (open_umask / "new" / "predictions.jsonl", existing):
        result = runner.invoke(app, ["classify-file", str(posts), str(out)])
        assert result.exit_code == 0, result.output
        assert _mode(out) == 0o600 and json.loads(out.read_text())["id"] == 1
    assert _mode(open_umask / "new") == 0o700
