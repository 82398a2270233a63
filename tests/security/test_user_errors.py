"""Issue #15 item 5: each user mistake is one `error: ...` line and exit code 2."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import pytest
from cohesion.cli import app
from typer.testing import CliRunner

runner = CliRunner()


@pytest.fixture(autouse=True)
def _in_empty_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No config file: the defaults, with COHESION_* variables on top."""
    monkeypatch.chdir(tmp_path)
    for name in ("COHESION_CONFIG", "COHESION_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)


def _one_line_error(args: list[str], env: dict[str, str] | None = None) -> str:
    result = runner.invoke(app, args, env=env)
    assert result.exit_code == 2, result.output
    assert result.output.startswith("error: "), result.output
    assert "Traceback" not in result.output
    # One line: rich may wrap a long line, but never prints a second message.
    assert result.output.count("error:") == 1
    return " ".join(result.output.split())


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("mysql+nodriver://me@db/cohesion", "not a known database driver"),
        ("nosuchdb://me@db/cohesion", "not a known database driver"),
        ("mssql+pymssql://me@db/cohesion", "is not installed"),
    ],
)
def test_unknown_or_missing_database_driver(tmp_path: Path, url: str, says: str) -> None:
    message = _one_line_error(["status"], {"COHESION_DATABASE_URL": url})
    assert says in message


def test_a_file_that_is_not_sqlite(tmp_path: Path) -> None:
    notes = tmp_path / "notes.db"
    notes.write_text("shopping list: milk, eggs\n" * 100)
    env = {"COHESION_DATABASE_URL": f"sqlite:///{notes}"}
    for command in (["status"], ["db", "upgrade"], ["init"]):
        message = _one_line_error(command, env)
        assert "file is not a database" in message
    assert notes.read_text().startswith("shopping list")  # left as it was


@pytest.mark.parametrize("week", ["9999-W52", "0001-W01", "2026-W60", "last week"])
def test_report_week_out_of_range(week: str) -> None:
    message = _one_line_error(["report", "--week", week])
    assert "--week" in message


def test_classify_file_refuses_to_write_over_its_input(tmp_path: Path) -> None:
    posts = tmp_path / "posts.jsonl"
    original = json.dumps({"id": "a", "text": "see you at the meeting"}) + "\n"
    posts.write_text(original)
    link = tmp_path / "link.jsonl"
    link.symlink_to(posts)
    for out in (posts, link, tmp_path / "." / "posts.jsonl"):
        message = _one_line_error(["classify-file", str(posts), str(out)])
        assert "is the input file" in message
    assert posts.read_text() == original


def test_classify_file_reports_hostile_lines_by_number(tmp_path: Path) -> None:
    posts, out = tmp_path / "posts.jsonl", tmp_path / "out.jsonl"
    deep = "[" * 100_000 + "]" * 100_000
    posts.write_text(
        "\n".join(
            [
                '{"id": "a", "text": "\\ud800 alone"}',  # a lone surrogate in the text
                '{"id": "\\udc00", "text": "fine"}',  # ... in the id
                '{"id": "n", "text": ' + deep + "}",
                deep,
                '{"id": "t", "text": {"nested": [1, 2]}}',
                '{"id": "ok", "text": "an ordinary line"}',
            ]
        )
        + "\n"
    )
    result = runner.invoke(app, ["classify-file", str(posts), str(out)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [row["id"] for row in rows] == ["a", None, None, None, "t", "ok"]
    errors = [row.get("error") for row in rows]
    assert errors[0] == "line 1: the text is not valid Unicode (a lone surrogate)"
    assert errors[1] == "line 2: the id is not valid Unicode (a lone surrogate)"
    assert errors[2] == "line 3: nested too deeply to read"
    assert errors[3] == "line 4: nested too deeply to read"
    assert errors[4] == 'line 5: "text" is not a string'
    assert errors[5] is None and rows[5]["flags"] == []
    assert "5 unreadable line(s)" in " ".join(result.output.split())


def test_review_on_a_port_in_use(monkeypatch: pytest.MonkeyPatch) -> None:
    assert runner.invoke(app, ["init"]).exit_code == 0
    monkeypatch.setenv("COHESION_REVIEW_SECRET", "s" * 40)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        message = _one_line_error(["review", "--port", str(port)], dict(os.environ))
    assert f"cannot listen on 127.0.0.1:{port}" in message and "already in use" in message
