"""The database as the app sees it: one engine, one session per request or command.

Services `flush()`; `unit_of_work()` (or `@transactional` on a view) owns the
transaction: it commits once at the end and rolls back on any exception. Whatever a
request leaves uncommitted (a read) is rolled back when its session closes at teardown.

A unit of work is a writer from its first statement (`begin_writing`): on SQLite it
begins with BEGIN IMMEDIATE, so concurrent writers queue on the busy timeout instead of
failing with "database is locked"; reads elsewhere stay deferred (WAL readers).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import wraps

from flask import Flask, current_app, g
from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from governance.errors import Conflict
from models.engine import WRITER, is_contention, make_engine

EXTENSION = "accord.db"


class Database:
    def __init__(self, url: str):
        self.url = url
        self.engine = make_engine(url)
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False)

    def bind_to(self, connection: Connection) -> None:
        """Tests: run every request inside an outer transaction they roll back."""
        self.sessionmaker = sessionmaker(
            bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
        )

    def session(self) -> Session:
        return self.sessionmaker()


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION] = Database(app.config["DATABASE_URL"])
    app.teardown_appcontext(_close_session)


def database() -> Database:
    return current_app.extensions[EXTENSION]


def db_session() -> Session:
    """The session of the current request or command (created on first use)."""
    if "db_session" not in g:
        g.db_session = database().session()
    return g.db_session


@contextmanager
def unit_of_work(*, dry_run: bool = False) -> Iterator[Session]:
    """The request's (or command's) session, committed once when the block ends; rolled
    back instead on any exception (a refusal, an abort, an exit) or for a dry run."""
    session = db_session()
    began = begin_writing(session)
    try:
        yield session
        if dry_run:
            session.rollback()
        else:
            session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        if began:
            session.info.pop(WRITER, None)


BUSY = "The database is busy with another change (a payout run being built?); try again."


def begin_writing(session: Session) -> bool:
    """Begin `session`'s transaction as a writer (BEGIN IMMEDIATE on SQLite: the write
    lock is taken before the first read, waiting its turn within the busy timeout).

    A transaction the session began for reads (signing in, a view's look-ups) is ended
    first: a writer must not build on that older snapshot, and nothing was written in
    it (services write inside a unit of work only); what it loaded reloads when used.
    False when the session was already writing (a unit of work within another). A lock
    still taken after the busy timeout is a Conflict (409), not a 500.
    """
    if session.info.get(WRITER):
        return False
    if session.in_transaction():
        if session.new or session.dirty or session.deleted:
            raise RuntimeError("changes made before the unit of work began")
        session.rollback()
    session.info[WRITER] = True
    if isinstance(session.get_bind(), Connection):
        return True  # tests: inside the test's own transaction, begun already
    try:
        session.connection(execution_options={WRITER: True})
    except DBAPIError as exc:
        session.info.pop(WRITER, None)
        session.rollback()
        if is_contention(exc):
            raise Conflict(BUSY) from None
        raise
    return True


def transactional(view):
    """A view whose whole body is one unit of work."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        with unit_of_work():
            return view(*args, **kwargs)

    return wrapper


def _close_session(_exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()  # rolls back whatever was not committed
