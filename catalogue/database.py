"""The portal's shared database (`config.database_url()`): one way to open it, used by every module that keeps state
there (the reuse gallery, the usage statistics).

SQLite is the embedded default (WAL: readers alongside one writer); PostgreSQL serves several instances. Either way a
write goes through `writing()`, so that SQLite writers take the lock at BEGIN and queue behind `busy_timeout` instead
of failing when a reader upgrades.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url

BUSY_TIMEOUT_MS = 30_000
_WRITE_OPTION = "territoire_write"


def _set_wal(cur: sqlite3.Cursor, wait_s: float) -> None:
    """WAL mode. Switching a fresh file to it needs the exclusive lock, and SQLite answers "database is locked" at
    once, without its busy handler, when another process holds a lock then: wait for it as busy_timeout would."""
    deadline = time.monotonic() + wait_s
    while True:
        try:
            cur.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _sqlite_setup(engine: Engine, busy_timeout_ms: int, durable: bool) -> None:
    """WAL, busy timeout, foreign keys, fsync; and explicit BEGIN so writers take the lock up front."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # let SQLAlchemy's "begin" event below emit BEGIN itself
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        _set_wal(cur, busy_timeout_ms / 1000)
        # FULL: a committed submission survives a power cut too; NORMAL (with WAL) is enough for counters, and faster.
        cur.execute(f"PRAGMA synchronous = {'FULL' if durable else 'NORMAL'}")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # Writers take the write lock at BEGIN (IMMEDIATE): no deadlock when a reader upgrades to a writer,
        # and busy_timeout applies. Readers use a plain deferred transaction (WAL lets them run alongside).
        mode = "IMMEDIATE" if conn.get_execution_options().get(_WRITE_OPTION) else "DEFERRED"
        conn.exec_driver_sql(f"BEGIN {mode}")


def open_engine(url: str, *, busy_timeout_ms: int = BUSY_TIMEOUT_MS, durable: bool = True) -> Engine:
    """A new engine on `url` (a SQLite file's folder is created; PostgreSQL connections are checked before use)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": busy_timeout_ms / 1000, "check_same_thread": False})
    _sqlite_setup(engine, busy_timeout_ms, durable)
    return engine


@contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """A write transaction: everything inside commits together or not at all."""
    with engine.connect() as conn:
        conn.execution_options(**{_WRITE_OPTION: True})
        with conn.begin():
            yield conn


@contextmanager
def reading(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as conn, conn.begin():
        yield conn


class EnginePool:
    """One engine per database URL for the whole process (tests change the data dir, hence per URL), made on first
    use by `create(url)`, which opens it and prepares its tables; a creation that fails is not kept, so the next call
    tries again. Shared by the reuse store, the statistics and the dashboards."""

    def __init__(self, create: Callable[[str], Engine]) -> None:
        self._create = create
        self._engines: dict[str, Engine] = {}
        self._lock = threading.Lock()

    def get(self, url: str) -> Engine:
        with self._lock:
            found = self._engines.get(url)
            if found is None:
                found = self._engines[url] = self._create(url)
            return found

    def dispose(self) -> None:
        """Close every pooled connection (tests; a worker about to fork)."""
        with self._lock:
            for found in self._engines.values():
                found.dispose()
            self._engines.clear()
