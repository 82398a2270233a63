"""Writing posts: validation, idempotent batch upsert, and reading them back in batches.

On PostgreSQL a chunk of posts is written with COPY into a temporary staging table
and moved into `posts` with one INSERT ... SELECT ... ON CONFLICT DO NOTHING RETURNING
(see `_insert_by_copy`); SQLite, and PostgreSQL chunks too small for COPY to pay off,
use a multi-row INSERT ... ON CONFLICT DO NOTHING RETURNING. Both write the same rows.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any, cast
from zoneinfo import ZoneInfo

from cohesion.store.models import Author, Classification, Post
from cohesion.store.privacy import carries_account
from cohesion.store.text import content_hash, sanitize_text
from cohesion.store.types import NaiveTimestampError, utcnow
from cohesion.weeks import week_start
from sqlalchemy import Select, func, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

# Rows per INSERT statement: large enough to amortise round trips, small enough to keep
# PostgreSQL under its 65,535 bind parameters (posts have 18 columns). The COPY path
# has no such limit but uses the same chunks: 5,000 were no faster.
UPSERT_CHUNK = 1000
# PostgreSQL chunks of at least this many distinct posts go through COPY. Measured with
# `benchmarks/bench_ingest.py --copy-threshold` (one call, commit excluded): 1 post
# costs 6 ms with VALUES and 8 ms with COPY (creating the staging table), 2 to 4 posts
# cost the same on both, 8 posts 14 ms against 7 ms, 128 posts 69 ms against 26 ms.
COPY_MIN_ROWS = 4
# PostgreSQL: COPY the posts not stored yet straight into `posts` (after one indexed
# look-up of the chunk's ids), rather than through the staging table and INSERT ...
# ON CONFLICT: the server then does what a raw COPY does. Off only in tests of the stage.
DIRECT_COPY = True


class InvalidPostError(ValueError):
    """A post record is unusable; the message names the post and the field."""


@dataclass(slots=True)
class PostRecord:
    """A post on its way into the store; the contract between collectors and the store."""

    platform: str
    external_id: str
    text: str
    created_at: datetime
    url: str | None = None
    author_pseudonym: str | None = None
    author_handle: str | None = None
    title: str | None = None
    language: str | None = None
    parent_id: str | None = None
    thread_id: str | None = None
    engagement: dict[str, Any] = field(default_factory=dict)
    places: list[str] = field(default_factory=list)
    source_id: int | None = None
    # A watchlist entry whose own account this post replies to (docs/watchlist.md).
    addressed_watchlist: str | None = None
    # The link to the original post, sealed with the instance key (store/privacy.py).
    sealed_link: str | None = None

    def validated(self) -> PostRecord:
        where = f"post {self.platform}:{self.external_id}"
        if not self.platform or not str(self.external_id).strip():
            raise InvalidPostError(f"{where}: platform and external_id are required")
        if not isinstance(self.created_at, datetime):
            raise InvalidPostError(f"{where}: created_at must be a datetime")
        if self.created_at.tzinfo is None or self.created_at.utcoffset() is None:
            raise InvalidPostError(
                f"{where}: created_at {self.created_at.isoformat()} has no time zone"
            )
        self.external_id = sanitize_text(str(self.external_id))[:300]
        for name in ("external_id", "parent_id", "thread_id"):
            if carries_account(self.platform, getattr(self, name)):
                # The privacy promise is kept here, where every writer passes: an id that
                # names an account must have been hashed (PostPrivacy.protect) first.
                raise InvalidPostError(
                    f"post {self.platform}:<{name} withheld>: {name} names an account; "
                    "store it through PostPrivacy.protect (store/privacy.py)"
                )
        self.text = sanitize_text(self.text or "")
        # Every other text, JSON strings included, loses NUL bytes and lone surrogates
        # too, so that a post is stored alike on SQLite and PostgreSQL (whose text and
        # jsonb cannot hold NUL) instead of being refused by one of them.
        self.platform = _clean(self.platform)
        self.url = _clean(self.url)
        self.sealed_link = _clean(self.sealed_link)
        self.author_pseudonym = _clean(self.author_pseudonym)
        self.author_handle = _clean(self.author_handle)
        self.title = _clean(self.title)
        self.language = _clean(self.language)
        self.parent_id = _clean(self.parent_id)
        self.thread_id = _clean(self.thread_id)
        self.addressed_watchlist = _clean(self.addressed_watchlist)
        self.engagement = _clean_json(self.engagement)
        self.places = _clean_json(self.places)
        return self


def _clean(value: Any) -> Any:
    """sanitize_text of a string (plain ASCII without NUL is left at once); else `value`."""
    if not isinstance(value, str) or (value.isascii() and "\x00" not in value):
        return value
    return sanitize_text(value)


_JSON_SCALARS = (int, type(None))  # bool is an int


def _clean_json(value: Any) -> Any:
    """`value` with every string in it, keys included, through `_clean`, and NaN and
    infinities as null: JSON has neither, and PostgreSQL's jsonb refuses them where
    SQLite would store them."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {
            _clean(k): v if isinstance(v, _JSON_SCALARS) else _clean_json(v)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [v if isinstance(v, _JSON_SCALARS) else _clean_json(v) for v in value]
    return _clean(value)


@dataclass(slots=True)
class UpsertResult:
    seen: int = 0
    new: int = 0

    @property
    def duplicate(self) -> int:
        return self.seen - self.new

    def __iadd__(self, other: UpsertResult) -> UpsertResult:
        self.seen += other.seen
        self.new += other.new
        return self


def _insert_for(session: Session, table: Any) -> Any:
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"upsert is written for SQLite and PostgreSQL, not {dialect}")


def _author_ids(session: Session, records: Sequence[PostRecord]) -> dict[tuple[str, str], int]:
    """Ensure an authors row for every (platform, pseudonym) and return their ids."""
    now = utcnow()
    keys: dict[tuple[str, str], str | None] = {}
    for record in records:
        if record.author_pseudonym:
            keys.setdefault((record.platform, record.author_pseudonym), record.author_handle)
    if not keys:
        return {}
    rows = [
        {
            "platform": p,
            "pseudonym": s,
            "raw_handle": h,
            "first_seen": now,
            "last_seen": now,
            "post_count": 0,
        }
        for (p, s), h in keys.items()
    ]
    statement = _insert_for(session, Author.__table__).on_conflict_do_nothing(
        index_elements=["platform", "pseudonym"]
    )
    # Core statements on the session's connection: the ORM bulk path costs 2x here.
    session.connection().execute(statement, rows)
    found: dict[tuple[str, str], int] = {}
    for platform in {p for p, _ in keys}:
        names = [s for p, s in keys if p == platform]
        for start in range(0, len(names), UPSERT_CHUNK):
            chunk = names[start : start + UPSERT_CHUNK]
            query = select(Author.id, Author.pseudonym).where(
                Author.platform == platform, Author.pseudonym.in_(chunk)
            )
            for author_id, pseudonym in session.execute(query):
                found[(platform, pseudonym)] = author_id
    return found


def upsert_posts(
    session: Session,
    records: Iterable[PostRecord],
    tz: ZoneInfo | str = "UTC",
    *,
    validated: bool = False,
) -> UpsertResult:
    """Insert posts that are not stored yet; a post already stored is left as it is.

    Idempotent on (platform, external_id): the same batch twice stores it once and
    reports 0 new the second time. Author post counts grow only with new posts.
    The caller owns the transaction. `validated=True` says every record has been
    through `PostRecord.validated()` already (the bulk import checks each row on its
    own to report it by line) and spares doing it twice.
    """
    zone = ZoneInfo(tz) if isinstance(tz, str) else tz
    result = UpsertResult()
    batch: list[PostRecord] = []
    for record in records:
        batch.append(record if validated else record.validated())
        if len(batch) >= UPSERT_CHUNK:
            result += _upsert_chunk(session, batch, zone)
            batch = []
    if batch:
        result += _upsert_chunk(session, batch, zone)
    return result


def _upsert_chunk(session: Session, records: list[PostRecord], tz: ZoneInfo) -> UpsertResult:
    # A page can hold the same post twice (a boost and its original): keep the first.
    unique: dict[tuple[str, str], PostRecord] = {}
    for record in records:
        unique.setdefault((record.platform, record.external_id), record)
    dialect = session.get_bind().dialect.name
    if len(unique) >= COPY_MIN_ROWS and dialect == "postgresql" and DIRECT_COPY:
        inserted = _insert_by_direct_copy(session, list(unique.values()), tz)
    elif len(unique) >= COPY_MIN_ROWS and dialect == "postgresql":
        inserted = _insert_by_copy(session, list(unique.values()), tz)
    elif dialect == "sqlite":
        inserted = _insert_by_sqlite_rows(session, list(unique.values()), tz)
    else:
        inserted = _insert_by_values(session, list(unique.values()), tz)
    _count_author_posts(session, inserted)
    if inserted:
        from cohesion.store.rollups import mark_weeks  # new posts change their weeks' trend counts

        mark_weeks(session, {week for _, week, _ in inserted})
    return UpsertResult(seen=len(records), new=len(inserted))


def _insert_by_values(session: Session, records: list[PostRecord], tz: ZoneInfo) -> Sequence[Any]:
    """Insert distinct posts with one multi-row INSERT; (author_id, week_start, created_at)
    of the new."""
    authors = _author_ids(session, records)
    now = utcnow()
    rows = []
    for record in records:
        author_id = (
            authors.get((record.platform, record.author_pseudonym))
            if record.author_pseudonym
            else None
        )
        rows.append(
            {
                "platform": record.platform,
                "external_id": record.external_id,
                "source_id": record.source_id,
                "url": record.url,
                "sealed_link": record.sealed_link,
                "author_id": author_id,
                "created_at": record.created_at,
                "week_start": week_start(record.created_at, tz),
                "collected_at": now,
                "title": record.title,
                "text": record.text,
                "language": record.language,
                "content_hash": content_hash(record.text),
                "parent_id": record.parent_id,
                "thread_id": record.thread_id,
                "engagement": record.engagement,
                "places": record.places,
                "addressed_watchlist": record.addressed_watchlist,
            }
        )
    table = Post.__table__
    statement = (
        _insert_for(session, table)
        .on_conflict_do_nothing(index_elements=["platform", "external_id"])
        .returning(table.c.author_id, table.c.week_start, table.c.created_at)
    )
    return session.connection().execute(statement, rows).all()


def _sqlite_time(moment: datetime) -> str:
    """A timestamp as SQLAlchemy stores UTCDateTime on SQLite: naive UTC, microseconds."""
    return moment.astimezone(UTC).isoformat(" ", "microseconds")[:26]  # without +00:00


# The columns every insert path writes, in the order of `_post_row`: the SQLite rows
# path, PostgreSQL's direct COPY and the staging table's INSERT ... SELECT name them so.
_POST_COLUMN_NAMES = (
    "platform",
    "external_id",
    "source_id",
    "url",
    "sealed_link",
    "author_id",
    "created_at",
    "week_start",
    "collected_at",
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
_POST_COLUMNS = ", ".join(_POST_COLUMN_NAMES)


def _post_row(
    r: PostRecord, author_id: int | None, created: Any, week: Any, collected: Any
) -> tuple[Any, ...]:
    """A post's values in `_POST_COLUMN_NAMES` order; the times come formatted for the
    path (SQLite's stored text, or datetimes for COPY). JSON is dumped as SQLAlchemy
    binds it (None is JSON null, not SQL NULL)."""
    return (
        r.platform,
        r.external_id,
        r.source_id,
        r.url,
        r.sealed_link,
        author_id,
        created,
        week,
        collected,
        r.title,
        r.text,
        r.language,
        content_hash(r.text),
        r.parent_id,
        r.thread_id,
        json.dumps(r.engagement),
        json.dumps(r.places),
        r.addressed_watchlist,
    )


def _sqlite_author_ids(
    session: Session, records: Sequence[PostRecord]
) -> dict[tuple[str, str], int]:
    """`_author_ids` on SQLite through the driver: look up, then insert only the new.

    Most authors of a chunk were seen before; they cost one indexed lookup instead of
    an attempted insert. The new ones are inserted in the order of their first post,
    as `_author_ids` does. The transaction holds SQLite's write lock from its start
    (BEGIN IMMEDIATE, store/engine.py), so no author appears in between.
    """
    keys: dict[tuple[str, str], str | None] = {}
    for record in records:
        if record.author_pseudonym:
            keys.setdefault((record.platform, record.author_pseudonym), record.author_handle)
    found: dict[tuple[str, str], int] = {}
    if not keys:
        return found
    connection = session.connection()
    by_platform: dict[str, list[str]] = {}
    for platform, pseudonym in keys:
        by_platform.setdefault(platform, []).append(pseudonym)
    for platform, names in by_platform.items():
        for start in range(0, len(names), SQLITE_ROWS_PER_STATEMENT):
            chunk = names[start : start + SQLITE_ROWS_PER_STATEMENT]
            query = (
                "SELECT id, pseudonym FROM authors WHERE platform = ?"
                f" AND pseudonym IN ({', '.join('?' * len(chunk))})"
            )
            for author_id, pseudonym in connection.exec_driver_sql(query, (platform, *chunk)):
                found[(platform, pseudonym)] = author_id
    missing = [key for key in keys if key not in found]
    now = _sqlite_time(utcnow())
    for start in range(0, len(missing), SQLITE_ROWS_PER_STATEMENT):
        new = missing[start : start + SQLITE_ROWS_PER_STATEMENT]
        values: list[Any] = []
        for platform, pseudonym in new:
            values += (platform, pseudonym, keys[(platform, pseudonym)], now, now)
        statement = (
            "INSERT INTO authors (platform, pseudonym, raw_handle, first_seen, last_seen,"
            f" post_count) VALUES {', '.join(['(?, ?, ?, ?, ?, 0)'] * len(new))}"
            " RETURNING id, platform, pseudonym"
        )
        for author_id, platform, pseudonym in connection.exec_driver_sql(statement, tuple(values)):
            found[(platform, pseudonym)] = author_id
    return found


# Rows per statement on SQLite: 18,000 bound parameters, under SQLite's limit of 32,766
# (since 3.32; RETURNING, which every insert here uses, needs 3.35 anyway).
SQLITE_ROWS_PER_STATEMENT = 1000


@lru_cache(maxsize=8)
def _sqlite_insert_posts(rows: int) -> str:
    values = ", ".join(["(" + ", ".join("?" * len(_POST_COLUMN_NAMES)) + ")"] * rows)
    return (
        f"INSERT INTO posts ({_POST_COLUMNS}) VALUES {values}"
        " ON CONFLICT (platform, external_id) DO NOTHING"
        " RETURNING author_id, week_start, created_at"
    )


def _insert_by_sqlite_rows(
    session: Session, records: list[PostRecord], tz: ZoneInfo
) -> Sequence[Any]:
    """SQLite: the rows of `_insert_by_values`, bound positionally through the driver.

    SQLAlchemy's per-value bind processing cost more than SQLite's insert itself; here
    each row is a tuple already in the stored formats (timestamps as naive UTC text with
    microseconds, JSON by json.dumps: what UTCDateTime and JSON write; the tests compare
    the two paths), sent as one multi-row INSERT per SQLITE_ROWS_PER_STATEMENT rows.
    One statement, not executemany: SQLite's full-text index (the posts_fts trigger)
    is far slower fed one statement per row.
    """
    authors = _sqlite_author_ids(session, records)
    connection = session.connection()
    collected = _sqlite_time(utcnow())
    inserted: list[tuple[int | None, date, datetime]] = []
    for start in range(0, len(records), SQLITE_ROWS_PER_STATEMENT):
        chunk = records[start : start + SQLITE_ROWS_PER_STATEMENT]
        values: list[Any] = []
        for r in chunk:
            values += _post_row(
                r,
                authors.get((r.platform, r.author_pseudonym)) if r.author_pseudonym else None,
                _sqlite_time(r.created_at),
                week_start(r.created_at, tz).isoformat(),
                collected,
            )
        returned = connection.exec_driver_sql(_sqlite_insert_posts(len(chunk)), tuple(values))
        inserted.extend(
            (
                author_id,
                date.fromisoformat(week),
                datetime.fromisoformat(created).replace(tzinfo=UTC),
            )
            for author_id, week, created in returned
        )
    return inserted


# The staging table of the COPY path: a temporary table, so private to the connection,
# dropped at commit and gone with a rollback; created at most once per transaction and
# emptied before each chunk. Its columns are unconstrained (text, not varchar(n); no NOT
# NULL): lengths and NOT NULLs are checked by the INSERT into posts, as on the VALUES
# path, and no sequence is touched.
_STAGE = "pg_temp.cohesion_posts_in"
_STAGE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("ord", "integer"),
    ("platform", "text"),
    ("external_id", "text"),
    ("source_id", "integer"),
    ("url", "text"),
    ("sealed_link", "text"),
    ("author_pseudonym", "text"),
    ("author_handle", "text"),
    ("created_at", "timestamptz"),
    ("week_start", "date"),
    ("title", "text"),
    ("text", "text"),
    ("language", "text"),
    ("content_hash", "text"),
    ("parent_id", "text"),
    ("thread_id", "text"),
    ("engagement", "jsonb"),
    ("places", "jsonb"),
    ("addressed_watchlist", "text"),
)
_STAGE_SQL = (
    f"CREATE TEMPORARY TABLE IF NOT EXISTS {_STAGE} ("
    + ", ".join(f"{name} {kind}" for name, kind in _STAGE_COLUMNS)
    + f") ON COMMIT DROP; TRUNCATE {_STAGE}"
)
_COPY_SQL = f"COPY {_STAGE} ({', '.join(name for name, _ in _STAGE_COLUMNS)}) FROM STDIN"
# Authors first seen in this chunk, in the order of their first post (as _author_ids).
_STAGE_AUTHORS_SQL = text(
    f"""
    INSERT INTO authors (platform, pseudonym, raw_handle, first_seen, last_seen, post_count)
    SELECT platform, author_pseudonym, author_handle, :now, :now, 0
    FROM (
        SELECT DISTINCT ON (platform, author_pseudonym)
            ord, platform, author_pseudonym, author_handle
        FROM {_STAGE}
        WHERE author_pseudonym IS NOT NULL
        ORDER BY platform, author_pseudonym, ord
    ) AS firsts
    ORDER BY ord
    ON CONFLICT (platform, pseudonym) DO NOTHING
    """
)
# The author id is a correlated lookup on the (platform, pseudonym) unique index, so the
# plan is the same whatever the size of authors and of the (never analysed) stage.
_STAGE_POSTS_SQL = text(
    f"""
    INSERT INTO posts ({_POST_COLUMNS})
    SELECT s.platform, s.external_id, s.source_id, s.url, s.sealed_link,
        (SELECT a.id FROM authors AS a
         WHERE a.platform = s.platform AND a.pseudonym = s.author_pseudonym),
        s.created_at, s.week_start, :now, s.title, s.text, s.language, s.content_hash,
        s.parent_id, s.thread_id, s.engagement, s.places, s.addressed_watchlist
    FROM {_STAGE} AS s
    ORDER BY s.ord
    ON CONFLICT (platform, external_id) DO NOTHING
    RETURNING author_id, week_start, created_at
    """
)


_STORED_IDS_SQL = text(
    """
    SELECT p.platform, p.external_id
    FROM unnest(CAST(:platforms AS text[]), CAST(:ids AS text[])) AS v (platform, external_id)
    JOIN posts AS p ON p.platform = v.platform AND p.external_id = v.external_id
    """
)
_LOOKUP_AUTHORS_SQL = text(
    """
    SELECT a.id, a.platform, a.pseudonym
    FROM unnest(CAST(:platforms AS text[]), CAST(:names AS text[])) AS v (platform, pseudonym)
    JOIN authors AS a ON a.platform = v.platform AND a.pseudonym = v.pseudonym
    """
)
_NEW_AUTHORS_SQL = text(
    """
    INSERT INTO authors (platform, pseudonym, raw_handle, first_seen, last_seen, post_count)
    SELECT platform, pseudonym, raw_handle, :now, :now, 0
    FROM unnest(CAST(:platforms AS text[]), CAST(:names AS text[]), CAST(:handles AS text[]))
        WITH ORDINALITY AS v (platform, pseudonym, raw_handle, ord)
    ORDER BY ord
    ON CONFLICT (platform, pseudonym) DO NOTHING
    """
)
_DIRECT_COPY_SQL = f"COPY posts ({_POST_COLUMNS}) FROM STDIN"


def _pg_author_ids(session: Session, records: Sequence[PostRecord]) -> dict[tuple[str, str], int]:
    """`_author_ids` on PostgreSQL with array parameters: look up, insert the new, look up.

    The authors already stored (most of a chunk's, after the first chunks) cost one
    indexed join; the new ones one INSERT in the order of their first post.
    """
    keys: dict[tuple[str, str], str | None] = {}
    for record in records:
        if record.author_pseudonym:
            keys.setdefault((record.platform, record.author_pseudonym), record.author_handle)
    found: dict[tuple[str, str], int] = {}

    def look_up(wanted: list[tuple[str, str]]) -> None:
        rows = session.execute(
            _LOOKUP_AUTHORS_SQL,
            {"platforms": [p for p, _ in wanted], "names": [n for _, n in wanted]},
        )
        for author_id, platform, pseudonym in rows:
            found[(platform, pseudonym)] = author_id

    if keys:
        look_up(list(keys))
    missing = [key for key in keys if key not in found]
    if missing:
        session.execute(
            _NEW_AUTHORS_SQL,
            {
                "now": utcnow(),
                "platforms": [p for p, _ in missing],
                "names": [n for _, n in missing],
                "handles": [keys[key] for key in missing],
            },
        )
        look_up(missing)
    return found


def _insert_by_direct_copy(
    session: Session, records: list[PostRecord], tz: ZoneInfo
) -> Sequence[Any]:
    """PostgreSQL: COPY the distinct posts not stored yet straight into `posts`.

    Same rows, authors and result as `_insert_by_values`. The ids already stored are
    looked up first and left out; the rest are copied in a savepoint. Should another
    writer store one of them in between (a unique violation), the savepoint is rolled
    back and the chunk goes through the staging table's INSERT ... ON CONFLICT instead.
    """
    import psycopg  # the PostgreSQL driver; not needed on SQLite

    stored = {
        (platform, external_id)
        for platform, external_id in session.execute(
            _STORED_IDS_SQL,
            {"platforms": [r.platform for r in records], "ids": [r.external_id for r in records]},
        )
    }
    fresh = [r for r in records if (r.platform, r.external_id) not in stored]
    if not fresh:
        return []
    authors = _pg_author_ids(session, fresh)
    now = utcnow()
    inserted: list[tuple[int | None, date, datetime]] = []
    savepoint = session.begin_nested()
    connection = session.connection()
    raw = cast("psycopg.Connection[Any]", connection.connection.driver_connection)
    try:
        with raw.cursor() as cursor, cursor.copy(_DIRECT_COPY_SQL) as copy:
            for r in fresh:
                author_id = (
                    authors.get((r.platform, r.author_pseudonym)) if r.author_pseudonym else None
                )
                created = r.created_at.astimezone(UTC)
                week = week_start(r.created_at, tz)
                copy.write_row(_post_row(r, author_id, created, week, now))
                inserted.append((author_id, week, created))
    except psycopg.errors.UniqueViolation:  # stored meanwhile by another transaction
        savepoint.rollback()
        return _insert_by_copy(session, records, tz)
    except psycopg.Error as exc:  # as SQLAlchemy would raise it: DataError...
        savepoint.rollback()
        raise DBAPIError.instance(
            _DIRECT_COPY_SQL, None, exc, psycopg.Error, dialect=connection.dialect
        ) from exc
    savepoint.commit()
    return inserted


def _insert_by_copy(session: Session, records: list[PostRecord], tz: ZoneInfo) -> Sequence[Any]:
    """PostgreSQL: COPY distinct posts into the stage, then INSERT ... SELECT them.

    Same rows, authors and result as `_insert_by_values`, in the caller's transaction.
    """
    import psycopg  # the PostgreSQL driver; not needed on SQLite

    now = utcnow()
    connection = session.connection()
    # The psycopg 3 connection under the session's: COPY runs in the caller's transaction.
    raw = cast("psycopg.Connection[Any]", connection.connection.driver_connection)
    with raw.cursor() as cursor:
        statement = _STAGE_SQL
        try:
            cursor.execute(statement)  # no parameters: both statements in one round trip
            statement = _COPY_SQL
            with cursor.copy(statement) as copy:
                for ord_, record in enumerate(records):
                    copy.write_row(
                        (
                            ord_,
                            record.platform,
                            record.external_id,
                            record.source_id,
                            record.url,
                            record.sealed_link,
                            record.author_pseudonym or None,
                            record.author_handle,
                            record.created_at.astimezone(UTC),
                            week_start(record.created_at, tz),
                            record.title,
                            record.text,
                            record.language,
                            content_hash(record.text),
                            record.parent_id,
                            record.thread_id,
                            # As SQLAlchemy binds JSON (None is JSON null, not SQL NULL).
                            json.dumps(record.engagement),
                            json.dumps(record.places),
                            record.addressed_watchlist,
                        )
                    )
        except psycopg.Error as exc:  # as SQLAlchemy would raise it: DataError...
            raise DBAPIError.instance(
                statement, None, exc, psycopg.Error, dialect=connection.dialect
            ) from exc
    if any(record.author_pseudonym for record in records):
        session.execute(_STAGE_AUTHORS_SQL, {"now": now})
    return session.execute(_STAGE_POSTS_SQL, {"now": now}).all()


def _count_author_posts(session: Session, inserted: Sequence[Any]) -> None:
    """Add the newly stored posts to their authors' post counts and last-seen times.

    `inserted` holds (author_id, week_start, created_at) of each new post. One UPDATE
    per chunk adds each author's new posts to its count and moves its last-seen time
    to its newest post; an author whose count is 0 (just created, with the insert's
    time as a placeholder) takes its newest post's time. That is what recounting the
    author's posts gives (`recount_authors`, which retention runs for the authors it
    purged), without reading every earlier post of every author in the chunk; and
    adding to the stored count, rather than writing a count taken from a snapshot,
    stays right when two writers store posts of one author at once.
    """
    added: dict[int, list[Any]] = {}
    for author_id, _week, created_at in inserted:
        if author_id is None:
            continue
        entry = added.get(author_id)
        if entry is None:
            added[author_id] = [1, created_at]
        else:
            entry[0] += 1
            entry[1] = max(entry[1], created_at)
    if not added:
        return
    ids = sorted(added)
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            _ADD_AUTHOR_POSTS_PG,
            {
                "ids": ids,
                "added": [added[i][0] for i in ids],
                "latest": [to_utc(added[i][1]) for i in ids],
            },
        )
        return
    session.connection().exec_driver_sql(
        "UPDATE authors SET post_count = post_count + ?,"
        " last_seen = CASE WHEN post_count = 0 THEN ? ELSE max(last_seen, ?) END"
        " WHERE id = ?",  # max(a, b) is SQLite's scalar max; both are UTC text alike
        [(added[i][0], _sqlite_time(added[i][1]), _sqlite_time(added[i][1]), i) for i in ids],
    )


_ADD_AUTHOR_POSTS_PG = text(
    """
    UPDATE authors AS a
    SET post_count = a.post_count + v.added,
        last_seen = CASE WHEN a.post_count = 0 THEN v.latest
                         ELSE greatest(a.last_seen, v.latest) END
    FROM unnest(CAST(:ids AS integer[]), CAST(:added AS integer[]),
                CAST(:latest AS timestamptz[])) AS v (id, added, latest)
    WHERE a.id = v.id
    """
)


def recount_authors(session: Session, author_ids: Iterable[int]) -> None:
    """Recount posts and last-seen time of these authors from their stored posts.

    After posts were deleted (retention): one UPDATE with correlated subqueries per
    thousand authors, on the author index.
    """
    ids = sorted(set(author_ids))
    count = select(func.count(Post.id)).where(Post.author_id == Author.id).scalar_subquery()
    latest = select(func.max(Post.created_at)).where(Post.author_id == Author.id).scalar_subquery()
    for start in range(0, len(ids), UPSERT_CHUNK):
        session.execute(
            update(Author)
            .where(Author.id.in_(ids[start : start + UPSERT_CHUNK]))
            .values(post_count=count, last_seen=func.coalesce(latest, Author.last_seen)),
            execution_options={"synchronize_session": False},
        )


def unclassified_posts_query(model_version_id: int) -> Select[Post]:
    """Posts with no classification from this model version, oldest id first."""
    has_classification = (
        select(Classification.id)
        .where(
            Classification.post_id == Post.id,
            Classification.model_version_id == model_version_id,
        )
        .exists()
    )
    return select(Post).where(~has_classification).order_by(Post.id)


def iter_unclassified_batches(
    session: Session, model_version_id: int, batch_size: int = 500
) -> Iterator[list[Post]]:
    """Yield batches of unclassified posts, keyset-paged on id.

    Paging on id (not OFFSET) stays correct while the caller writes classifications
    for each batch between yields, and stays fast on millions of rows.
    """
    last_id = 0
    while True:
        query = unclassified_posts_query(model_version_id).where(Post.id > last_id)
        batch = list(session.scalars(query.limit(batch_size)))
        if not batch:
            return
        yield batch
        last_id = batch[-1].id


def count_unclassified(session: Session, model_version_id: int) -> int:
    subquery = unclassified_posts_query(model_version_id).subquery()
    return session.scalar(select(func.count()).select_from(subquery)) or 0


def to_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise NaiveTimestampError(f"timestamp {moment.isoformat()} has no time zone")
    return moment.astimezone(UTC)
