"""The command line: help everywhere, version, init, status, clear user errors."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
import typer
from cohesion.cli import app
from typer.main import get_command
from typer.testing import CliRunner

runner = CliRunner()


def _commands(group: typer.core.TyperGroup, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = []
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        path = (*prefix, name)
        found.append(path)
        if hasattr(command, "commands"):
            found.extend(_commands(command, path))
    return found


ALL_COMMANDS = _commands(get_command(app))  # type: ignore[arg-type]


@pytest.mark.parametrize("path", ALL_COMMANDS, ids=[" ".join(p) for p in ALL_COMMANDS])
def test_every_command_has_help_with_an_example(path: tuple[str, ...]) -> None:
    result = runner.invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    command = get_command(app)
    for name in path:
        command = command.commands[name]  # type: ignore[attr-defined]
    help_text = command.help or ""
    assert len(help_text.strip()) > 20
    if not hasattr(command, "commands"):
        assert "Example" in help_text or "example" in help_text, f"{path} help has no example"


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.startswith("cohesion ")


def test_init_then_status(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("COHESION_PSEUDONYM_KEY")
    result = runner.invoke(app, ["init"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "cohesion.toml").exists()
    key = tmp_path / "cohesion.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    again = runner.invoke(app, ["init"])
    assert again.exit_code == 0 and "created pseudonym key" not in again.output
    status = runner.invoke(app, ["status"])
    assert status.exit_code == 0, status.output
    assert "0 posts" in status.output


def test_status_before_init_says_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["status"])
    assert result.exit_code == 2
    assert "cohesion db upgrade" in result.output
    assert "Traceback" not in result.output


def test_user_mistakes_are_one_line_errors(tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text("[locality]\ntimezone = 'Nowhere/Land'\n")
    for args in (
        ["--config", str(tmp_path / "absent.toml"), "status"],
        ["--config", str(broken), "status"],
    ):
        result = runner.invoke(app, args)
        assert result.exit_code == 2
        assert result.output.startswith("error: ")
        assert "Traceback" not in result.output


def test_unreachable_database_is_a_clear_error(tmp_path: Path) -> None:
    env = {**os.environ, "COHESION_DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:9/none"}
    result = runner.invoke(app, ["--config", str(tmp_path / "x.toml"), "status"], env=env)
    assert result.exit_code == 2
    result = runner.invoke(app, ["status"], env={**env, "COHESION_CONFIG": ""})
    assert result.exit_code == 2
    assert "cannot reach the database" in result.output


def test_db_upgrade_twice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    first = runner.invoke(app, ["db", "upgrade"])
    second = runner.invoke(app, ["db", "upgrade"])
    assert first.exit_code == 0 and "upgraded from empty" in first.output
    assert second.exit_code == 0 and "already at revision" in second.output
