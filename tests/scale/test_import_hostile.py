"""`cohesion import` under hostile input: every such row is a bad row, nothing half-stored.

Also: large fields, a file whose every row fails, and runs left "running" by a killed
import.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import cohesion.crawlers.imports as imports
import pytest
from cohesion.cli import app
from cohesion.crawlers.imports import ImportFileError
from cohesion.store.engine import session_scope
from cohesion.store.models import Author, CrawlRun, Source
from sqlalchemy import func, select
from typer.testing import CliRunner

from tests.scale.fourcat_writers import items_to_csv, zeeschuimer_export
from tests.scale.import_helpers import cli_config, posts, run, write_lines


def post(external_id: Any, n: int, **fields: Any) -> dict[str, Any]:
    """A post-schema line; every one with its own author, so a half-stored row shows."""
    return {"platform": "forum", "external_id": external_id, "text": f"post {n}",
            "created_at": "2026-03-02T04:30:00Z", "author": f"writer{n}", **fields}  # fmt: skip


def test_hostile_rows_are_bad_rows_and_leave_nothing_behind(store: Any, tmp_path: Path) -> None:
    deep = '{"a":' * 100_000 + "1" + "}" * 100_000
    lines = [
        json.dumps(post("f-1", 1)),
        json.dumps(post("f-2", 2, created_at="0001-01-01T00:00:00+14:00")),
        '{"platform": "forum", "external_id": "f-3", "engagement": ' + deep + "}",
        json.dumps(post("f-4", 4, engagement={"a": {"b": 1}})),
        json.dumps(post("f-5", 5, created_at="9999-12-31T00:00:00Z")),
        json.dumps(post("f-6", 6, created_at=0)),
        json.dumps(post("f-7", 7, created_at="0")),
        json.dumps(post("a\x00b", 8)),
        json.dumps(post("x\ud800", 9)),
        json.dumps(post("f-10", 10, engagement={"likes": float("nan")})),
        json.dumps(post("f-11", 11, parent_id="p\x00")),
        json.dumps(post("ab", 12)),
        json.dumps(post("f-13", 13, created_at=1e20)),
        json.dumps(post("f-14", 14, created_at=1772400000000)),  # milliseconds
        json.dumps(post("f-15", 15, created_at="2026-06-02T11:00:00Z")),  # tomorrow: fine
    ]
    summary = run(store, write_lines(tmp_path / "hostile.jsonl", lines))
    assert (summary.rows, summary.new, summary.bad) == (15, 3, 12)
    assert [(b.line, b.reason) for b in summary.bad_rows] == [
        (2, "created_at '0001-01-01T00:00:00+14:00' is not a possible time"),
        (3, "JSON nested too deeply"),
        (4, "engagement.a must be a number or a short text"),
        (5, "created_at '9999-12-31T00:00:00Z' is after tomorrow"),
        (6, "created_at 0 is before 1990"),
        (7, "created_at '0' is before 1990"),
        (8, "external_id holds a NUL or an unpaired surrogate"),
        (9, "external_id holds a NUL or an unpaired surrogate"),
        (10, "engagement.likes must be a number or a short text"),
        (11, "parent_id holds a NUL or an unpaired surrogate"),
        (13, "created_at 1e+20 is not a possible time"),
        (14, "created_at 1772400000000 is not a possible time"),
    ]
    stored = posts(store[1])
    assert sorted(stored) == ["ab", "f-1", "f-15"]
    assert stored["ab"]["text"] == "post 12"  # "a\x00b" did not become "ab"
    with session_scope(store[1]) as session:  # no author of a bad row was stored
        assert session.scalar(select(func.count(Author.id))) == 3


def test_hostile_4cat_and_zeeschuimer_items(store: Any, tmp_path: Path) -> None:
    path = zeeschuimer_export(
        tmp_path / "z.ndjson",
        "tiktok.com",
        [{"id": "1", "desc": "no time"}, {"id": "2", "desc": "ok", "createTime": 1772400000}],
    )
    with path.open("a") as handle:
        handle.write(json.dumps({"source_platform": "linkedin.com", "data": {"x": 1}}) + "\n")
        handle.write(json.dumps({"source_platform": "tiktok.com", "data": {"id": "3",
                     "createTime": 1772400000, "stats": {"diggCount": {"deep": 1}}}}) + "\n")  # fmt: skip
        handle.write('{"source_platform": "tiktok.com", "data": {"id": "4\\u0000", '
                     '"createTime": 1772400000}}\n')  # fmt: skip
    summary = run(store, path)
    assert (summary.rows, summary.new, summary.bad) == (5, 1, 4)
    assert [(b.line, b.reason.split(" (")[0]) for b in summary.bad_rows] == [
        (1, "created_at is missing"),
        (3, "Zeeschuimer platform 'linkedin.com' is not supported"),
        (4, "engagement.likes must be a number or a short text"),
        (5, "external_id holds a NUL or an unpaired surrogate"),
    ]
    assert list(posts(store[1])) == ["2"]


def test_fields_well_above_128_kib_are_stored_whole(
    store: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = " ".join(["Ashford council"] * 70_000)  # 1.1 MB in one CSV field
    assert len(body) > 8 * 128 * 1024
    rows = [{"id": "big", "thread_id": "big", "timestamp": "2026-03-02 10:00:00", "body": body,
             "author": "writer", "link": "", "retweet_count": 0, "is_quote_tweet": "no"}]  # fmt: skip
    summary = run(store, items_to_csv(tmp_path / "big.csv", rows))
    assert (summary.rows, summary.new, summary.bad) == (1, 1, 0)
    assert posts(store[1])["big"]["text"] == body

    monkeypatch.setattr(imports, "MAX_FIELD_CHARS", 1000)
    monkeypatch.setattr(imports, "MAX_LINE_BYTES", 2000)
    lines = [
        json.dumps(post("long-text", 1, text="x" * 1500)),
        json.dumps(post("long-line", 2, title="y" * 900, text="z" * 900, url="u" * 300)),
        json.dumps(post("short", 3)),
    ]
    summary = run(store, write_lines(tmp_path / "limits.jsonl", lines))
    assert [(b.line, b.reason) for b in summary.bad_rows] == [
        (1, "text is longer than 1,000 characters"),
        (2, "longer than 2,000 bytes"),
    ]
    assert "short" in posts(store[1]) and "long-text" not in posts(store[1])


def test_a_file_whose_every_row_fails_is_an_error_and_a_failed_run(
    store: Any, tmp_path: Path
) -> None:
    path = write_lines(tmp_path / "bad.jsonl", ["{oops", json.dumps(post("", 2))])
    with pytest.raises(ImportFileError) as failed:
        run(store, path)
    assert str(failed.value) == (
        "bad.jsonl: all 2 rows failed: line 1: not valid JSON (Expecting property name "
        "enclosed in double quotes at column 2); line 2: external_id is missing (4CAT: the id "
        "column)"
    )
    with session_scope(store[1]) as session:
        row = session.scalar(select(CrawlRun))
        assert row is not None and row.status == "failed" and row.errors == 3
        assert "all 2 rows failed" in (row.message or "")


def test_cli_exits_2_when_every_row_fails(tmp_path: Path) -> None:
    config = cli_config(tmp_path)
    path = write_lines(tmp_path / "zero.jsonl", [json.dumps(post("z", 1, created_at=0))])
    good = write_lines(tmp_path / "good.jsonl", [json.dumps(post("g", 2))])
    result = CliRunner().invoke(app, ["--config", str(config), "import", str(path), str(good)])
    assert result.exit_code == 2, result.output
    # the other file is imported and summed up; the failed one is an error line after it
    assert "Import summary" in result.output and "good.jsonl" in result.output
    assert result.output.strip().endswith(
        "error: zero.jsonl: all 1 rows failed: line 1: created_at 0 is before 1990"
    )
    bad_zone = CliRunner().invoke(
        app, ["--config", str(config), "import", str(path), "--timezone", "Nowhere/Else"]
    )
    assert bad_zone.exit_code == 2 and "not a time zone name" in bad_zone.output


def test_interrupted_imports_are_marked_failed_at_the_next_start(
    store: Any, tmp_path: Path
) -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()  # its pid now names no process
    host = socket.gethostname()
    markers = {
        "killed": f"importing: pid {child.pid} on {host}",
        "alive": f"importing: pid {os.getpid()} on {host}",
        "elsewhere": "importing: pid 1 on another-machine",
        "old": None,  # written before runs named their process
    }
    with session_scope(store[1]) as session:
        source = Source(name="import:old.jsonl", platform="forum", config={}, enabled=False,
                        cursor={})  # fmt: skip
        session.add(source)
        session.flush()
        for message in markers.values():
            session.add(CrawlRun(source_id=source.id, status="running", runner="import",
                                 started_at=datetime(2026, 5, 1, tzinfo=UTC), message=message))  # fmt: skip
    summary = run(store, write_lines(tmp_path / "next.jsonl", [json.dumps(post("n", 1))]))
    assert summary.interrupted_runs == 2
    assert summary.notes == ["2 earlier import run(s) had been interrupted: marked failed"]
    with session_scope(store[1]) as session:
        rows = session.scalars(select(CrawlRun).order_by(CrawlRun.id)).all()
        status = {(run.message or "")[:20]: run.status for run in rows[:4]}
        assert [run.status for run in rows] == ["failed", "running", "running", "failed", "ok"]
        assert rows[0].message is not None and rows[0].message.startswith("interrupted:")
        assert rows[0].finished_at is not None and len(status) == 3


HOSTILE_VALUES: list[Any] = [
    None, "", " ", 0, -1, 1.5, float("inf"), float("-inf"), 10**40, True, [], {}, [[[]]],
    {"a": {"b": {"c": 1}}}, "\x00", "a\x00b", "\ud800", "\u202e\u0661\u0662", "😀" * 50,
    "x" * 400, "2026-03-02", "2026-03-02T04:30:00", "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59-14:00", "1772400000", "-1772400000", "NaN", "<p>hi</p>",
    "2026-02-30T00:00:00Z", "1e309", 1772400000,
]  # fmt: skip
FIELDS = ("platform", "external_id", "text", "html", "created_at", "url", "author", "title",
          "parent_id", "thread_id", "engagement", "language")  # fmt: skip


def test_seeded_hostile_rows_never_escape_as_errors(store: Any, tmp_path: Path) -> None:
    """Every row of a seeded mix of hostile values is stored or reported, never raised."""
    import random

    chooser = random.Random(20261207)
    lines = []
    for n in range(400):
        row: dict[str, Any] = {"platform": "forum", "external_id": f"h{n}", "text": "t",
                               "created_at": "2026-03-02T04:30:00Z"}  # fmt: skip
        for name in chooser.sample(FIELDS, chooser.randint(1, 4)):
            row[name] = chooser.choice(HOSTILE_VALUES)
        envelope = chooser.random() < 0.3  # some as Zeeschuimer TikTok items instead
        if envelope:
            row = {"source_platform": "tiktok.com", "data": {"id": row.get("external_id"),
                   "desc": row.get("text"), "createTime": row.get("created_at"),
                   "author": row.get("author"), "stats": row.get("engagement")}}  # fmt: skip
        lines.append(json.dumps(row))
    for fmt in ("jsonl", "4cat"):
        path = write_lines(tmp_path / f"fuzz-{fmt}.ndjson", lines)
        summary = run(store, path, format=fmt)
        assert summary.rows == 400 == summary.new + summary.duplicate + summary.bad
        assert summary.new > 50 and summary.bad > 250  # the mix exercises both outcomes
        assert all(b.reason for b in summary.bad_rows)
    for external_id, stored in posts(store[1]).items():
        assert "\x00" not in external_id and external_id.strip()
        assert at_most_tomorrow(stored["created_at"])


def at_most_tomorrow(moment: datetime) -> bool:
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return datetime(1990, 1, 1, tzinfo=UTC) <= moment <= datetime(2026, 6, 2, 12, tzinfo=UTC)
