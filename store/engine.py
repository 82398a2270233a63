"""Engine and session factory: SQLite by default, PostgreSQL through a URL."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from cohesion.private_files import create_private
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError
from sqlalchemy.exc import DatabaseError as DriverDatabaseError
from sqlalchemy.orm import Session, sessionmaker

# Writers wait this long for one another before SQLite gives up with "database is locked".
SQLITE_BUSY_TIMEOUT_MS = 60_000


class DatabaseError(RuntimeError):
    """The database cannot be reached or used; the message is meant for the user."""


def normalise_url(url: str) -> str:
    """Map a bare postgresql:// URL to the psycopg 3 driver the project installs."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def sqlite_url(path: Path | str) -> str:
    """The URL of the SQLite file at `path`, with `#`, `?`, `%` and spaces escaped."""
    return URL.create("sqlite", database=str(path)).render_as_string()


def make_engine(url: str, **kwargs: Any) -> Engine:
    url = normalise_url(url)
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise DatabaseError(f"database URL {url!r} is not valid: {exc}") from None
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url, parsed.database, **kwargs)
    engine = _create(url, parsed.drivername, pool_pre_ping=True, **kwargs)
    if parsed.get_backend_name() == "postgresql":

        @event.listens_for(engine, "connect")
        def _no_jit(dbapi_connection: Any, _record: Any) -> None:
            # JIT compilation cost 0.6-1.1 s per trend query and saved nothing (docs/scale.md).
            with dbapi_connection.cursor() as cursor:
                cursor.execute("SET jit = off")
            dbapi_connection.commit()

    return engine


def _create(url: str, drivername: str, **kwargs: Any) -> Engine:
    """create_engine, with an unknown or missing driver turned into a user error."""
    try:
        return create_engine(url, **kwargs)
    except NoSuchModuleError:
        raise DatabaseError(
            f"the database URL names {drivername!r}, which is not a known database driver; "
            "use sqlite:///path.db or postgresql+psycopg://user@host/db"
        ) from None
    except ImportError as exc:
        raise DatabaseError(
            f"the database driver for {drivername!r} is not installed ({exc}); "
            "use sqlite:///path.db or postgresql+psycopg://user@host/db"
        ) from None


def _sqlite_engine(url: str, database: str | None, **kwargs: Any) -> Engine:
    if database and database != ":memory:":
        path = Path(database).expanduser().resolve()
        if not path.parent.is_dir():
            raise DatabaseError(f"the folder for the SQLite database does not exist: {path.parent}")
        create_private(path)  # before SQLite creates it with the umask's mode
    engine = _create(
        url, "sqlite", connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **kwargs
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin (see _on_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # IMMEDIATE takes the write lock up front, so two processes never deadlock by
        # upgrading read locks; the busy timeout makes the second one wait its turn.
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One transaction: committed on success, rolled back on any error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def check_connection(engine: Engine) -> None:
    """Fail with a one-line message when the database cannot be reached."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except DriverDatabaseError as exc:
        # OperationalError (unreachable) and a file that is not a database alike.
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        safe_url = engine.url.render_as_string(hide_password=True)
        verb = "reach" if isinstance(exc, OperationalError) else "use"
        raise DatabaseError(f"cannot {verb} the database at {safe_url}: {reason}") from None
