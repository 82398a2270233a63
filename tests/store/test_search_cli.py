"""`cohesion search`: table, JSON and CSV output, the timeline, and user mistakes."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cohesion.cli import app
from cohesion.store.engine import make_engine, make_session_factory, session_scope
from cohesion.store.migrate import upgrade
from cohesion.store.posts import PostRecord, upsert_posts
from typer.testing import CliRunner


@pytest.fixture
def config(tmp_path: Path) -> Path:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with session_scope(make_session_factory(engine)) as session:
        upsert_posts(
            session,
            [
                PostRecord("reddit", "a", "The clerk counted every ballot.", datetime(2026, 11, 10, tzinfo=UTC)),
                PostRecord("rss", "b", "=HYPERLINK(\"x\") clerk news", datetime(2026, 11, 17, tzinfo=UTC)),
                PostRecord("rss", "c", "Weather: rain all week.", datetime(2026, 11, 18, tzinfo=UTC)),
            ],
        )  # fmt: skip
    engine.dispose()
    path = tmp_path / "cohesion.toml"
    path.write_text(f'[database]\nurl = "{url}"\n')
    return path


def _run(config: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["--config", str(config), "search", *args])
    return result.exit_code, result.output


def test_table_json_and_csv(config: Path) -> None:
    code, out = _run(config, "clerk")
    assert code == 0 and "2 post(s) match 'clerk'" in out
    code, out = _run(config, "clerk", "--format", "json", "--platform", "rss")
    body = json.loads(out)
    assert body["total"] == 1 and body["posts"][0]["snippet"].startswith('=HYPERLINK("x") clerk')
    code, out = _run(config, "clerk", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["platform"] for r in rows] == ["rss", "reddit"]
    assert rows[0]["snippet"].startswith("'=HYPERLINK")  # never a formula in a spreadsheet


def test_timeline(config: Path) -> None:
    code, out = _run(config, "clerk", "--timeline", "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["week"], r["platform"], r["matches"], r["posts"], r["per_1000"]) for r in rows] == [
        ("2026-W46", "reddit", "1", "1", "1000.0"),
        ("2026-W46", "rss", "0", "0", ""),  # no posts: no rate
        ("2026-W47", "reddit", "0", "0", ""),
        ("2026-W47", "rss", "1", "2", "500.0"),
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (['"unclosed'], "quotation mark is not closed"),
        (["--", "-clerk"], "only excludes"),  # after --, a leading - is the query
        (["clerk", "--label", "rude"], "unknown label 'rude'"),
        (["clerk", "--since", "2026-W50", "--until", "2026-W40"], "is after"),
        (["clerk", "--since", "last tuesday"], "neither an ISO week"),
    ],
)
def test_mistakes_are_one_error_line(config: Path, args: list[str], message: str) -> None:
    code, out = _run(config, *args)
    assert code == 2 and out.startswith("error:") and message in out
