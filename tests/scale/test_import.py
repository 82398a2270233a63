"""`cohesion import`: JSONL, CSV with a mapping and 4CAT exports; bad rows; idempotence."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import cohesion.crawlers.imports as imports
import pytest
from cohesion.cli import app
from cohesion.crawlers.imports import ImportFileError, parse_mapping
from cohesion.store.engine import session_scope
from cohesion.store.models import Author, CrawlRun, Source
from sqlalchemy import select
from typer.testing import CliRunner

from tests.scale.import_helpers import PSEUDO, cli_config, posts, run, write_lines

GOOD = {
    "platform": "forum",
    "external_id": "f-1",
    "html": "<p>The Ashford council meeting<br>is on Monday, everyone should come along.</p>",
    "created_at": "2026-03-02T04:30:00Z",
    "url": "https://forum.example/t/1",
    "author": "@Resident_One",
    "title": "Council",
    "thread_id": "f-1",
    "engagement": {"likes": 3},
}


def test_jsonl_is_cleaned_pseudonymised_and_idempotent(store: Any, tmp_path: Path) -> None:
    second = {**GOOD, "external_id": "f-2", "html": None, "text": "short", "parent_id": "f-1",
              "created_at": "2026-03-02T01:00:00-06:00", "language": "en"}  # fmt: skip
    third = {**GOOD, "external_id": 3, "platform": None, "created_at": 1772400000}
    path = write_lines(
        tmp_path / "posts.jsonl",
        [
            json.dumps(GOOD),
            "{not json",
            json.dumps({**GOOD, "external_id": "f-9", "created_at": "2026-03-02T04:30:00"}),
            json.dumps(second),
            "",
            json.dumps({**GOOD, "external_id": ""}),
            json.dumps(third),
            json.dumps([1, 2]),
            json.dumps({**GOOD, "external_id": "f-10", "engagement": [1]}),
        ],
    )
    summary = run(store, path, platform="blog")
    assert (summary.rows, summary.new, summary.duplicate, summary.bad) == (8, 3, 0, 5)
    assert [(b.line, b.reason.split(" (")[0]) for b in summary.bad_rows] == [
        (2, "not valid JSON"),
        (3, "created_at '2026-03-02T04:30:00' has no time zone"),
        (6, "external_id is missing"),
        (8, "expected a JSON object, got list"),
        (9, "engagement must be an object"),
    ]
    stored = posts(store[1])
    assert set(stored) == {"f-1", "f-2", "3"}
    first = stored["f-1"]
    assert first["text"] == "The Ashford council meeting\nis on Monday, everyone should come along."
    assert first["author"] == PSEUDO("forum", "resident_one")
    assert first["places"] == ["Ashford"] and first["language"] == "en"
    assert first["engagement"] == {"likes": 3} and first["thread_id"] == "f-1"
    assert first["created_at"] == datetime(2026, 3, 2, 4, 30, tzinfo=UTC)
    # 04:30 UTC on Monday is Sunday evening in Chicago: the previous ISO week
    assert str(first["week_start"]) == "2026-02-23"
    assert stored["f-2"]["parent_id"] == "f-1" and stored["f-2"]["language"] == "en"
    assert stored["f-2"]["created_at"] == datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
    assert stored["3"]["platform"] == "blog"  # --platform fills a row without one
    with session_scope(store[1]) as session:
        assert session.scalar(select(Author.raw_handle)) is None  # never kept unless told
        source = session.scalar(select(Source).where(Source.name == "import:posts.jsonl"))
        assert source is not None and not source.enabled
        run_row = session.scalar(select(CrawlRun).where(CrawlRun.source_id == source.id))
        assert run_row is not None and run_row.runner == "import" and run_row.status == "ok"
        assert (run_row.items_seen, run_row.items_new, run_row.errors) == (8, 3, 5)
        assert "line 2: not valid JSON" in (run_row.message or "")

    again = run(store, path, platform="blog")
    assert (again.rows, again.new, again.duplicate, again.bad) == (8, 0, 3, 5)
    assert len(posts(store[1])) == 3


def test_csv_with_mapping_and_line_numbers(store: Any, tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text(
        "\ufeffpost_id,body,when,who,likes\n"
        '1,"A first post about Marlow Co. roads,\nwith a second line",2026-01-05T10:00:00+00:00,ann,4\n'
        "2,too,many,fields,here,x\n"
        "3,no time,,bob,1\n"
        '4,"plain",2026-01-06T10:00:00Z,,not-a-number\n',
        encoding="utf-8",
    )
    mapping = parse_mapping(
        [
            "external_id=post_id",
            "text=body",
            "created_at=when",
            "author=who",
            "engagement.likes=likes",
        ]  # fmt: skip
    )
    summary = run(store, path, platform="Forum", mapping=mapping, batch_size=1)
    assert (summary.rows, summary.new, summary.bad) == (4, 2, 2)
    assert [(b.line, b.reason) for b in summary.bad_rows] == [
        (4, "has 6 fields, the header 5"),
        (5, "created_at is missing"),
    ]
    stored = posts(store[1])
    assert stored["1"]["text"] == "A first post about Marlow Co. roads,\nwith a second line"
    assert stored["1"]["places"] == ["Marlow County"] and stored["1"]["platform"] == "forum"
    assert stored["1"]["engagement"] == {"likes": 4} and stored["4"]["engagement"] == {}
    assert stored["4"]["author"] is None


def test_bad_mappings_and_files_are_one_line_errors(store: Any, tmp_path: Path) -> None:
    with pytest.raises(ImportFileError, match="unknown field 'body'"):
        parse_mapping(["body=text"])
    with pytest.raises(ImportFileError, match="FIELD=COLUMN"):
        parse_mapping(["text"])
    path = tmp_path / "x.csv"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(ImportFileError, match="lacks: nope"):
        run(store, path, platform="x", mapping={"text": "nope"})
    with pytest.raises(ImportFileError, match="not a 4CAT export"):
        run(store, path, format="4cat", platform="x")
    (tmp_path / "x.txt").write_text("")
    with pytest.raises(ImportFileError, match="pass --format"):
        run(store, tmp_path / "x.txt")
    with session_scope(store[1]) as session:  # the failed imports are recorded as failed
        statuses = session.scalars(select(CrawlRun.status)).all()
        assert statuses and set(statuses) == {"failed"}


FOURCAT_CSV = (
    "id,thread_id,timestamp,unix_timestamp,subject,body,author,author_trip,board,num_replies\n"
    "1001,1001,2026-02-10 15:00:00,,Ashford thread,We should all go to the Ashford hall,"
    "Anonymous,,pol,12\n"
    "1002,1001,2026-02-10 15:05:00,1770735900,,>>1001 Reply without a place,joe,,pol,0\n"
    "1003,1001,garbage,,,bad time,x,,pol,\n"
)


def test_4cat_csv_and_ndjson(store: Any, tmp_path: Path) -> None:
    path = tmp_path / "4cat.csv"
    path.write_text(FOURCAT_CSV, encoding="utf-8")
    summary = run(store, path, platform="4chan")  # the columns say 4CAT: no --format needed
    assert (summary.format, summary.rows, summary.new, summary.bad) == ("4cat", 3, 2, 1)
    assert summary.bad_rows[0].line == 4 and "not an ISO 8601 time" in summary.bad_rows[0].reason
    stored = posts(store[1])
    op, reply = stored["pol/1001"], stored["pol/1002"]
    assert op["title"] == "Ashford thread" and op["places"] == ["Ashford"]
    assert op["created_at"] == datetime(2026, 2, 10, 15, 0, tzinfo=UTC)  # 4chan times are UTC
    assert op["thread_id"] == "pol/1001" and op["parent_id"] is None
    assert op["author"] is None  # "Anonymous" is no account
    assert reply["created_at"] == datetime.fromtimestamp(1770735900, tz=UTC)
    assert reply["author"] == PSEUDO("fourchan", "joe") and reply["parent_id"] == "pol/1001"

    ndjson = write_lines(
        tmp_path / "4cat.ndjson",
        [
            json.dumps(
                {
                    "id": 2001,
                    "thread_id": 2000,
                    "body": "ndjson body",
                    "author": "ann",
                    "timestamp": "2026-02-11 08:00:00",
                    "likes": "7",
                }
            ),  # fmt: skip
            json.dumps({"data": {"nested": True}}),
        ],
    )
    summary = run(store, ndjson, format="4cat", platform="forum", timezone="Europe/Amsterdam")
    assert (summary.rows, summary.new, summary.bad) == (2, 1, 1)
    assert summary.bad_rows[0].reason.startswith("not a 4CAT or Zeeschuimer item")
    item = posts(store[1])["2001"]
    assert item["platform"] == "forum" and item["engagement"] == {"likes": 7}
    # a zone-less 4CAT time of an unknown platform is taken in --timezone (CET in February)
    assert item["created_at"] == datetime(2026, 2, 11, 7, 0, tzinfo=UTC)


def test_a_row_the_database_refuses_costs_only_that_row(
    store: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = imports.upsert_posts

    def picky(session: Any, records: Any, tz: Any, **options: Any) -> Any:
        records = list(records)
        result = real(session, records, tz, **options)  # written, then rolled back
        if any(r.external_id == "poison" for r in records):
            raise RuntimeError("refused")
        return result

    monkeypatch.setattr(imports, "upsert_posts", picky)
    rows = [json.dumps({**GOOD, "external_id": f"p{n}"}) for n in range(5)]
    rows.insert(2, json.dumps({**GOOD, "external_id": "poison"}))
    summary = run(store, write_lines(tmp_path / "p.jsonl", rows), batch_size=10)
    assert (summary.new, summary.bad) == (5, 1)
    assert summary.bad_rows[0].line == 3 and "database refused" in summary.bad_rows[0].reason
    assert sorted(posts(store[1])) == [f"p{n}" for n in range(5)]
    with session_scope(store[1]) as session:  # no half-stored author of the refused row
        assert session.scalar(select(Author.post_count)) == 5


def test_cli_import_prints_a_summary(tmp_path: Path) -> None:
    config = cli_config(tmp_path)
    path = write_lines(tmp_path / "a.jsonl", [json.dumps(GOOD), "oops"])
    result = CliRunner().invoke(app, ["--config", str(config), "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "Import summary" in result.output and "a.jsonl:2: not valid JSON" in result.output
    status = CliRunner().invoke(app, ["--config", str(config), "status"])
    assert "import:a.jsonl" in status.output
    bad = CliRunner().invoke(app, ["--config", str(config), "import", str(path), "--map", "x=y"])
    assert bad.exit_code == 2 and "unknown field 'x'" in bad.output
