"""Database-wide named locks: one scheduler per database, one run of a job at a time.

- PostgreSQL: a session-level advisory lock (`pg_try_advisory_lock`) on a connection
  held open for the lock's life. The key is a hash of the lock name and the current
  schema, so each Cohesion database (or schema) has its own. The server drops the
  lock when the holder's connection dies, so a crashed holder never blocks anyone.
- SQLite: a lease row in `locks` (name, holder, acquired_at, heartbeat_at). The holder
  refreshes heartbeat_at every `heartbeat_seconds` (30 s) from a background thread;
  a lease whose heartbeat is older than `stale_seconds` (120 s, four missed beats) is
  stale and the next claimant takes it over. A holder that finds its lease taken
  (its heartbeat updates no row) calls `on_lost` and must stop.
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from datetime import timedelta

from cohesion.store.engine import make_session_factory, session_scope
from cohesion.store.models import Lock
from cohesion.store.types import utcnow
from sqlalchemy import Connection, Engine, delete, text, update
from sqlalchemy.orm import sessionmaker

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 30.0
STALE_SECONDS = 120.0


def default_holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class AdvisoryLock:
    """PostgreSQL advisory lock held on a dedicated connection."""

    def __init__(self, engine: Engine, name: str, holder: str | None = None) -> None:
        self.engine = engine
        self.name = name
        self.holder = holder or default_holder()
        self._connection: Connection | None = None
        self._key: int | None = None
        # Never set: the server keeps the lock for as long as the connection lives.
        self.lost = threading.Event()

    def acquire(self) -> bool:
        connection = self.engine.connect()
        schema = connection.scalar(text("SELECT current_schema()"))
        digest = hashlib.sha256(f"cohesion:{schema}:{self.name}".encode()).digest()
        key = int.from_bytes(digest[:8], "big", signed=True)
        got = bool(connection.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}))
        connection.commit()  # the lock outlives the transaction; do not sit idle in one
        if not got:
            connection.close()
            return False
        self._connection, self._key = connection, key
        return True

    def current_holder(self) -> str | None:
        return None  # PostgreSQL knows (pg_locks) but not our holder names

    def release(self) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self._key})
            connection.commit()
        finally:
            connection.close()


class LeaseLock:
    """A lease row in `locks`, kept alive by a heartbeat thread (SQLite, or any database)."""

    def __init__(
        self,
        engine: Engine,
        name: str,
        holder: str | None = None,
        *,
        heartbeat_seconds: float = HEARTBEAT_SECONDS,
        stale_seconds: float = STALE_SECONDS,
        on_lost: Callable[[], None] | None = None,
    ) -> None:
        self.sessions: sessionmaker = make_session_factory(engine)
        self.name = name
        self.holder = holder or default_holder()
        self.heartbeat_seconds = heartbeat_seconds
        self.stale_seconds = stale_seconds
        self.on_lost = on_lost
        self.lost = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def acquire(self) -> bool:
        now = utcnow()
        with session_scope(self.sessions) as session:
            row = session.get(Lock, self.name)
            if row is None:
                session.add(
                    Lock(name=self.name, holder=self.holder, acquired_at=now, heartbeat_at=now)
                )
            elif row.holder == self.holder or now - row.heartbeat_at > timedelta(
                seconds=self.stale_seconds
            ):
                if row.holder != self.holder:
                    log.warning("taking over the stale %r lock of %s", self.name, row.holder)
                row.holder, row.acquired_at, row.heartbeat_at = self.holder, now, now
            else:
                return False
        self._stop.clear()
        self._thread = threading.Thread(target=self._beat, name=f"lease-{self.name}", daemon=True)
        self._thread.start()
        return True

    def current_holder(self) -> str | None:
        with session_scope(self.sessions) as session:
            row = session.get(Lock, self.name)
            return row.holder if row else None

    def heartbeat(self) -> bool:
        """Refresh the lease; False when another holder has taken it over."""
        with session_scope(self.sessions) as session:
            result = session.execute(
                update(Lock)
                .where(Lock.name == self.name, Lock.holder == self.holder)
                .values(heartbeat_at=utcnow())
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]

    def _beat(self) -> None:
        while not self._stop.wait(self.heartbeat_seconds):
            try:
                held = self.heartbeat()
            except Exception:  # a busy database: try again at the next beat
                log.exception("could not refresh the %r lock", self.name)
                continue
            if not held:
                log.error("the %r lock was taken over by another process", self.name)
                self.lost.set()
                if self.on_lost is not None:
                    self.on_lost()
                return

    def release(self) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=self.heartbeat_seconds + 5)
        self._thread = None
        with session_scope(self.sessions) as session:
            session.execute(delete(Lock).where(Lock.name == self.name, Lock.holder == self.holder))


def database_lock(
    engine: Engine, name: str, *, on_lost: Callable[[], None] | None = None
) -> AdvisoryLock | LeaseLock:
    """The right lock for the engine's database."""
    if engine.dialect.name == "postgresql":
        return AdvisoryLock(engine, name)
    return LeaseLock(engine, name, on_lost=on_lost)
