"""Engine creation with the settings both databases need.

`WRITER`: the execution option that marks a connection whose transaction will write
(app.database's unit of work sets it). On SQLite such a transaction begins with
`BEGIN IMMEDIATE`, taking the one write lock before its first read, so concurrent
writers queue within the busy timeout; every other transaction begins deferred (a WAL
reader: never blocked, never blocking). PostgreSQL ignores it (row locks serialise).
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DBAPIError

WRITER = "accord_writer"
# SQLite: SQLITE_BUSY, SQLITE_LOCKED (the low byte of extended codes). PostgreSQL:
# serialization_failure, deadlock_detected, lock_not_available.
_SQLITE_CONTENTION = frozenset({5, 6})
_PG_CONTENTION = frozenset({"40001", "40P01", "55P03"})


# Empty JSON documents, made without the parser: most deals' and participants' attributes
# and products are one of these, and each read of a batch's deals decodes two per deal.
_EMPTY_JSON: dict[Any, Any] = {
    b"{}": dict,
    "{}": dict,
    b"[]": list,
    "[]": list,
    b"null": lambda: None,
    "null": lambda: None,
}


def json_loads(text: str | bytes) -> Any:
    """`json.loads(text)`, the empty documents made directly (a fresh dict or list)."""
    if len(text) <= 4:
        make = _EMPTY_JSON.get(text)
        if make is not None:
            return make()
    return json.loads(text)


def make_engine(url: str, **kwargs) -> Engine:
    kwargs.setdefault("json_deserializer", json_loads)
    if url.startswith("sqlite"):
        if url in ("sqlite://", "sqlite:///:memory:"):
            from sqlalchemy.pool import StaticPool

            # One shared connection, or every checkout would see a new empty database.
            kwargs.setdefault("poolclass", StaticPool)
        kwargs.setdefault("connect_args", {"check_same_thread": False})
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # pysqlite's own transaction handling defers BEGIN and breaks SAVEPOINT; take over
    # (the recipe from SQLAlchemy's SQLite dialect documentation).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # SQLite ignores foreign keys unless asked; WAL lets readers and one writer coexist.
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def _sqlite_begin(conn) -> None:
    # A deferred transaction that has read cannot always upgrade to a writer: with
    # another writer active (or committed since its snapshot) SQLite answers "database is
    # locked" at once, without the busy timeout. A writer that locks first just waits.
    immediate = conn.get_execution_options().get(WRITER)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def is_contention(error: BaseException) -> bool:
    """Whether a database error says only that concurrent transactions collided (a lock
    not had in time, a serialization failure, a deadlock): worth trying again, not a bug."""
    if not isinstance(error, DBAPIError):
        return False
    orig = error.orig
    code = getattr(orig, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in _SQLITE_CONTENTION
    return getattr(orig, "sqlstate", None) in _PG_CONTENTION
