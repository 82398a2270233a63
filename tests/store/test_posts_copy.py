"""The PostgreSQL COPY path of the post upsert: the same rows as the VALUES path.

store.posts writes a chunk of at least COPY_MIN_ROWS distinct posts on PostgreSQL with
COPY into a temporary staging table and one INSERT ... SELECT. These tests force one
path or the other (through COPY_MIN_ROWS) and check duplicates, authors, JSON, NULLs,
COPY escaping, the staging table's life within a transaction, and errors.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import cohesion.store.posts
import pytest
from cohesion.store.engine import make_session_factory, session_scope
from cohesion.store.models import Author, Post, TrendDirtyWeek
from cohesion.store.posts import PostRecord, upsert_posts
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session, sessionmaker

pytestmark = pytest.mark.postgres

T0 = datetime(2026, 11, 16, 15, 30, tzinfo=UTC)  # a Monday
COPY = 1  # COPY_MIN_ROWS that sends every chunk through COPY
VALUES = 10**9  # ... and through the multi-row VALUES insert


@pytest.fixture
def pg(pg_engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(pg_engine)


@pytest.fixture(params=[True, False], ids=["direct", "stage"])
def copy_path(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> None:
    """Both COPY paths: straight into posts, and through the staging table."""
    monkeypatch.setattr(cohesion.store.posts, "COPY_MIN_ROWS", COPY)
    monkeypatch.setattr(cohesion.store.posts, "DIRECT_COPY", request.param)


@pytest.fixture
def stage_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cohesion.store.posts, "COPY_MIN_ROWS", COPY)
    monkeypatch.setattr(cohesion.store.posts, "DIRECT_COPY", False)


def record(i: int, **fields: Any) -> PostRecord:
    values: dict[str, Any] = {
        "platform": "mastodon",
        "external_id": f"p{i}",
        "text": f"post {i} about Olathe",
        "created_at": T0 + timedelta(minutes=i),
        "url": f"https://example.social/@a/{i}",
        "sealed_link": f"gAAAAAsealed-{i}",
        "author_pseudonym": f"{i % 3:064x}",
        "author_handle": f"@user{i % 3}",
        "engagement": {"favourites": i, "reblogs": 0},
        "places": ["Olathe"],
    }
    values.update(fields)
    return PostRecord(**values)


POST_COLUMNS = (
    "platform",
    "external_id",
    "source_id",
    "url",
    "sealed_link",
    "created_at",
    "week_start",
    "title",
    "text",
    "language",
    "content_hash",
    "parent_id",
    "thread_id",
    "engagement",
    "places",
    "addressed_watchlist",
)


def stored(session: Session) -> list[dict[str, Any]]:
    """Every post as a dict (author as its pseudonym and handle), in id order."""
    rows = []
    for post in session.scalars(select(Post).order_by(Post.id)):
        row = {name: getattr(post, name) for name in POST_COLUMNS}
        row["author"] = (post.author.pseudonym, post.author.raw_handle) if post.author else None
        rows.append(row)
    return rows


def authors(session: Session) -> list[tuple[str, str, str | None, int]]:
    """Every author in id order: (platform, pseudonym, raw_handle, post_count)."""
    query = select(Author.platform, Author.pseudonym, Author.raw_handle, Author.post_count)
    return [(p, s, h, n) for p, s, h, n in session.execute(query.order_by(Author.id))]


def stage_exists(session: Session) -> bool:
    return session.scalar(text("SELECT to_regclass('pg_temp.cohesion_posts_in')")) is not None


def hostile_batch() -> list[PostRecord]:
    """Records that exercise COPY's text escaping, JSON, NULLs, authors and duplicates."""
    tricky = [
        "tab\there",
        "new\nline and\r\ncrlf and lone\rcr",
        "back\\slash, \\N, \\t, \\\\ and a trailing backslash\\",
        "\\.",  # COPY's old end-of-data marker, alone on its line
        "\\.\nafter the marker",
        "quotes ' \" `` and commas, semicolons; |pipes|",
        "unicode: é ß 中文 \u202eRTL\u202c emoji \U0001f600 zero-width\u200b",
        "NUL \x00 dropped and lone \ud800 surrogate",
        "",
    ]
    records = [
        record(i, text=value, title=value or None, url=f"https://x/{i}?q={value}")
        for i, value in enumerate(tricky)
    ]
    records += [
        record(
            20,
            engagement={
                "nested": {"list": [1, 2.5, None, True, False, "s\t\\\"'"], "empty": {}},
                "unicode": "中文 \U0001f600",
                "big": 2**53,
                "back\\slash key": "\\N",
            },
            places=["Olathe", "Overland Park", "Lenexa \\ \t"],
        ),
        record(21, engagement={}, places=[]),
        record(22, engagement=None, places=None),  # JSON null, as SQLAlchemy stores it
        record(
            23,
            url=None,
            author_pseudonym=None,
            author_handle=None,
            title=None,
            language=None,
            parent_id=None,
            thread_id=None,
            addressed_watchlist=None,
            source_id=None,
        ),
        record(24, author_pseudonym="", author_handle="@nobody"),  # empty: no author
        record(
            25,
            language="en",
            parent_id="p1",
            thread_id="p0",
            addressed_watchlist="Marlow County Election Office",
            created_at=datetime(2026, 11, 16, 1, 30, tzinfo=timezone(timedelta(hours=2))),
        ),
        # Same key as p2 within the chunk: the first is kept; and a new handle for an
        # author already met in the chunk: the first handle is kept.
        record(2, text="a later copy of p2"),
        record(26, author_handle="@renamed"),
    ]
    return records


@pytest.mark.parametrize("chunks", [1, 2])
def test_copy_path_stores_what_the_values_path_stores(
    pg: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch, chunks: int
) -> None:
    results = {}
    for label, threshold, direct in (
        ("values", VALUES, True), ("stage", COPY, False), ("direct", COPY, True)
    ):  # fmt: skip
        monkeypatch.setattr(cohesion.store.posts, "COPY_MIN_ROWS", threshold)
        monkeypatch.setattr(cohesion.store.posts, "DIRECT_COPY", direct)
        with session_scope(pg) as session:
            session.execute(text("TRUNCATE posts, authors, trend_dirty_weeks CASCADE"))
        records = hostile_batch()
        step = math.ceil(len(records) / chunks)
        monkeypatch.setattr(cohesion.store.posts, "UPSERT_CHUNK", step)
        with session_scope(pg) as session:
            result = upsert_posts(session, records, "America/Chicago")
        with session_scope(pg) as session:
            weeks = set(session.scalars(select(TrendDirtyWeek.week_start)))
            results[label] = (result, stored(session), authors(session), weeks)
    assert results["stage"] == results["values"]
    assert results["direct"] == results["values"]
    result, rows, people, weeks = results["direct"]
    assert (result.seen, result.new) == (len(hostile_batch()), len(rows))
    assert weeks == {date(2026, 11, 9), date(2026, 11, 16)}


def test_hostile_text_round_trips_through_copy(pg: sessionmaker[Session], copy_path: None) -> None:
    records = hostile_batch()
    with session_scope(pg) as session:
        upsert_posts(session, records, "America/Chicago")
    with session_scope(pg) as session:
        rows = {row["external_id"]: row for row in stored(session)}
    assert rows["p0"]["text"] == "tab\there"
    assert rows["p1"]["text"] == "new\nline and\r\ncrlf and lone\rcr"
    assert rows["p2"]["text"] == "back\\slash, \\N, \\t, \\\\ and a trailing backslash\\"
    assert rows["p2"]["title"] == rows["p2"]["text"]  # the first of the two p2 is kept
    assert rows["p3"]["text"] == "\\."
    assert rows["p4"]["text"] == "\\.\nafter the marker"
    assert rows["p5"]["text"] == "quotes ' \" `` and commas, semicolons; |pipes|"
    assert (
        rows["p6"]["text"] == "unicode: é ß 中文 \u202eRTL\u202c emoji \U0001f600 zero-width\u200b"
    )
    assert rows["p7"]["text"] == "NUL  dropped and lone \ufffd surrogate"
    assert rows["p7"]["url"] == "https://x/7?q=NUL  dropped and lone \ufffd surrogate"
    assert rows["p8"]["text"] == "" and rows["p8"]["title"] is None
    assert rows["p6"]["url"] == f"https://x/6?q={rows['p6']['text']}"


def test_json_columns_round_trip_through_copy(pg: sessionmaker[Session], copy_path: None) -> None:
    with session_scope(pg) as session:
        upsert_posts(session, hostile_batch())
    with session_scope(pg) as session:
        rows = {row["external_id"]: row for row in stored(session)}
        kinds = session.execute(
            text(
                "SELECT external_id, jsonb_typeof(engagement), jsonb_typeof(places) FROM posts"
                " WHERE external_id IN ('p20', 'p21', 'p22')"
            )
        ).all()
    assert rows["p20"]["engagement"] == {
        "nested": {"list": [1, 2.5, None, True, False, "s\t\\\"'"], "empty": {}},
        "unicode": "中文 \U0001f600",
        "big": 2**53,
        "back\\slash key": "\\N",
    }
    assert rows["p20"]["places"] == ["Olathe", "Overland Park", "Lenexa \\ \t"]
    assert (rows["p21"]["engagement"], rows["p21"]["places"]) == ({}, [])
    assert (rows["p22"]["engagement"], rows["p22"]["places"]) == (None, None)
    # Stored as jsonb values (JSON null is not SQL NULL), not as JSON strings of text.
    assert sorted(kinds) == [
        ("p20", "object", "array"),
        ("p21", "object", "array"),
        ("p22", "null", "null"),
    ]


def test_null_fields_stay_null_through_copy(pg: sessionmaker[Session], copy_path: None) -> None:
    with session_scope(pg) as session:
        upsert_posts(session, hostile_batch())
    with session_scope(pg) as session:
        post = session.scalars(select(Post).where(Post.external_id == "p23")).one()
        nobody = session.scalars(select(Post).where(Post.external_id == "p24")).one()
        dated = session.scalars(select(Post).where(Post.external_id == "p25")).one()
    for name in ("url", "author_id", "title", "language", "parent_id", "thread_id"):
        assert getattr(post, name) is None, name
    assert post.source_id is None and post.addressed_watchlist is None
    assert nobody.author_id is None
    # A zone-aware time comes back in UTC; its week is the locality's (Sunday evening
    # in Kansas is still the week before).
    assert dated.created_at == datetime(2026, 11, 15, 23, 30, tzinfo=UTC)
    assert dated.week_start == date(2026, 11, 9)
    assert (dated.language, dated.parent_id, dated.thread_id) == ("en", "p1", "p0")
    assert dated.addressed_watchlist == "Marlow County Election Office"


def test_duplicates_within_a_chunk_and_against_stored_rows(
    pg: sessionmaker[Session], copy_path: None
) -> None:
    with session_scope(pg) as session:
        first = upsert_posts(session, [record(i) for i in range(10)])
    again = [record(i, text=f"changed {i}") for i in range(5, 15)]
    again += [record(12, text="second copy in the chunk"), record(3, text="stored already")]
    with session_scope(pg) as session:
        second = upsert_posts(session, again)
    assert (first.seen, first.new) == (10, 10)
    assert (second.seen, second.new, second.duplicate) == (12, 5, 7)
    with session_scope(pg) as session:
        texts = {key: value for key, value in session.execute(select(Post.external_id, Post.text))}
        counts = {key: n for key, n in session.execute(select(Author.pseudonym, Author.post_count))}
        ids = list(session.scalars(select(Post.external_id).order_by(Post.id)))
    assert len(texts) == 15
    assert texts["p3"] == "post 3 about Olathe"  # a stored post is left as it is
    assert texts["p5"] == "post 5 about Olathe"
    assert texts["p12"] == "changed 12"  # the first of the chunk's two copies
    assert ids == [f"p{i}" for i in range(15)]  # ids follow the records' order
    assert sorted(counts.values()) == [5, 5, 5]
    assert sum(counts.values()) == 15


def test_authors_are_created_once_with_their_first_handle(
    pg: sessionmaker[Session], copy_path: None
) -> None:
    records = [
        record(0, author_pseudonym="b" * 64, author_handle="@first-b"),
        record(1, author_pseudonym="a" * 64, author_handle="@first-a"),
        record(2, author_pseudonym="b" * 64, author_handle="@second-b"),
        record(3, platform="reddit", author_pseudonym="a" * 64, author_handle="@reddit-a"),
    ]
    with session_scope(pg) as session:
        upsert_posts(session, records)
    with session_scope(pg) as session:
        upsert_posts(session, [record(4, author_pseudonym="a" * 64, author_handle="@later")])
    with session_scope(pg) as session:
        people = authors(session)
        seen = session.execute(select(Author.first_seen, Author.last_seen)).all()
    # In the order of their first post, like the VALUES path.
    assert people == [
        ("mastodon", "b" * 64, "@first-b", 2),
        ("mastodon", "a" * 64, "@first-a", 2),
        ("reddit", "a" * 64, "@reddit-a", 1),
    ]
    # last_seen is the newest post's time, as _count_author_posts sets it on both paths.
    assert {last for _, last in seen} == {T0 + timedelta(minutes=i) for i in (2, 3, 4)}
    assert all(first.tzinfo is not None for first, _ in seen)


def test_two_upserts_in_one_transaction_reuse_the_stage(
    pg: sessionmaker[Session], stage_path: None
) -> None:
    with session_scope(pg) as session:
        assert not stage_exists(session)
        first = upsert_posts(session, [record(i) for i in range(0, 30)])
        assert stage_exists(session)
        second = upsert_posts(session, [record(i) for i in range(20, 50)])
        # The stage held only the second chunk: nothing of the first came back twice.
        third = upsert_posts(session, [record(i) for i in range(45, 46)])
        assert session.scalar(select(func.count(Post.id))) == 50
    assert (first.new, second.new, second.duplicate, third.new) == (30, 20, 10, 0)
    with session_scope(pg) as session:
        assert not stage_exists(session)  # dropped at commit


def test_rollback_leaves_nothing_behind(pg_engine: Engine, stage_path: None) -> None:
    with pg_engine.connect() as connection:
        session = Session(bind=connection)
        result = upsert_posts(session, [record(i) for i in range(40)])
        assert result.new == 40
        assert stage_exists(session)
        session.rollback()
        session.close()
        # The same connection: no stage, no posts, no authors, no week marks.
        assert connection.scalar(text("SELECT to_regclass('pg_temp.cohesion_posts_in')")) is None
        for table in ("posts", "authors", "trend_dirty_weeks"):
            assert connection.scalar(text(f"SELECT count(*) FROM {table}")) == 0, table
        connection.rollback()
    with session_scope(make_session_factory(pg_engine)) as session:
        assert upsert_posts(session, [record(i) for i in range(40)]).new == 40


def test_database_errors_are_sqlalchemy_errors_on_both_paths(
    pg: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    # (NaN in engagement was the jsonb DataError here; PostRecord now stores it as null.)
    for threshold, direct in ((VALUES, True), (COPY, False), (COPY, True)):
        monkeypatch.setattr(cohesion.store.posts, "COPY_MIN_ROWS", threshold)
        monkeypatch.setattr(cohesion.store.posts, "DIRECT_COPY", direct)
        with session_scope(pg) as session, pytest.raises(DataError, match="too long"):
            upsert_posts(session, [record(0), record(1, language="x" * 13)])
        with session_scope(pg) as session, pytest.raises(IntegrityError):
            upsert_posts(session, [record(0), record(1, source_id=999_999)])
    with session_scope(pg) as session:
        assert session.scalar(select(func.count(Post.id))) == 0
        # The session is usable after the error, and the COPY path with it.
        assert upsert_posts(session, [record(i) for i in range(20)]).new == 20


def test_small_chunks_take_the_values_path(
    pg: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    for name in ("_insert_by_copy", "_insert_by_direct_copy", "_insert_by_values"):
        original = getattr(cohesion.store.posts, name)

        def spy(*args: Any, _name: str = name, _original: Any = original) -> Any:
            calls.append(_name)
            return _original(*args)

        monkeypatch.setattr(cohesion.store.posts, name, spy)
    threshold = cohesion.store.posts.COPY_MIN_ROWS
    with session_scope(pg) as session:
        upsert_posts(session, [record(i) for i in range(threshold - 1)])
        # Duplicates do not count towards the threshold: distinct posts do.
        upsert_posts(session, [record(100)] * (threshold + 5))
        upsert_posts(session, [record(i) for i in range(200, 200 + threshold)])
    assert calls == ["_insert_by_values", "_insert_by_values", "_insert_by_direct_copy"]


def test_the_stage_carries_every_column_the_values_path_writes() -> None:
    """A column added to `posts` must be added to the COPY stage too, or it is lost."""
    from cohesion.store.models import Post
    from cohesion.store.posts import _STAGE_COLUMNS

    written_by_insert = {"id", "author_id", "collected_at"}  # id, lookup, now()
    stage_only = {"ord", "author_pseudonym", "author_handle"}  # order, author lookup
    posts = {column.name for column in Post.__table__.columns} - written_by_insert
    stage = {name for name, _ in _STAGE_COLUMNS} - stage_only
    assert stage == posts


def test_direct_copy_falls_back_to_the_stage_when_a_post_was_stored_meanwhile(
    pg: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The look-up misses a post another writer stored since: COPY hits the unique key,
    the savepoint is rolled back and INSERT ... ON CONFLICT stores the rest."""
    monkeypatch.setattr(cohesion.store.posts, "COPY_MIN_ROWS", COPY)
    with session_scope(pg) as session:
        assert upsert_posts(session, [record(i) for i in range(10)]).new == 10
    blind = text("SELECT NULL::text, NULL::text WHERE false")  # "nothing stored yet"
    monkeypatch.setattr(cohesion.store.posts, "_STORED_IDS_SQL", blind)
    with session_scope(pg) as session:
        result = upsert_posts(session, [record(i) for i in range(5, 15)])
        assert stage_exists(session)  # the fallback ran
    assert (result.new, result.duplicate) == (5, 5)
    with session_scope(pg) as session:
        assert session.scalar(select(func.count(Post.id))) == 15
        assert sum(n for *_, n in authors(session)) == 15
