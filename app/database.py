"""The database as the app sees it: one engine, one session per request.

Services `flush()`; the view or CLI command that owns the unit of work commits once
(`commit()`), and anything left uncommitted is rolled back at teardown.
"""

from __future__ import annotations

from flask import Flask, current_app, g
from sqlalchemy import Connection
from sqlalchemy.orm import Session, sessionmaker

from models.engine import make_engine

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


def _close_session(_exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()  # rolls back whatever the handler did not commit
