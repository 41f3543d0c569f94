"""Shared fixtures: both databases, migrated for real, one rolled-back transaction per test.

Every fixture that touches the database is parametrized over SQLite and PostgreSQL
(`ACCORD_TEST_BACKENDS=sqlite` narrows it for a quick local run). PostgreSQL comes from
`ACCORD_TEST_PG_URL` or is started from the installed binaries for the session.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator

import pytest
from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session

from config import TestConfig
from models import schema
from models.engine import make_engine
from tests.support.postgres import TempPostgres

BACKENDS = [
    b.strip() for b in os.environ.get("ACCORD_TEST_BACKENDS", "sqlite,postgresql").split(",")
]
PASSWORD = "correct horse battery"


@functools.cache
def password_hash() -> str:
    """PASSWORD's scrypt hash, made once a process: scrypt is slow on purpose (0.08 s a
    hash, as much as some tests), and a hash carries its own salt, so users share it.
    Signing in still checks it with scrypt."""
    from governance.accounts import hash_password

    return hash_password(PASSWORD)


class PostgresProvider:
    """Starts one server on first use; hands out fresh databases."""

    def __init__(self) -> None:
        self.server: TempPostgres | None = None
        self.external = os.environ.get("ACCORD_TEST_PG_URL")
        self.count = 0

    def new_database(self) -> str:
        if self.external:
            # An external server: one database, reset by migrating down and up.
            return self.external
        if self.server is None:
            self.server = TempPostgres()
            self.server.start()
        self.count += 1
        return self.server.create_database(f"accord_t{self.count}")

    def close(self) -> None:
        if self.server is not None:
            self.server.stop()


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresProvider]:
    provider = PostgresProvider()
    yield provider
    provider.close()


@pytest.fixture(scope="session")
def fresh_database_url(postgres, tmp_path_factory):
    """A factory of empty databases (not migrated) for the given backend."""

    def make(backend: str) -> str:
        if backend == "sqlite":
            path = tmp_path_factory.mktemp("sqlite") / "accord.db"
            return f"sqlite:///{path}"
        if backend == "postgresql":
            return postgres.new_database()
        raise ValueError(backend)

    return make


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture(scope="session")
def database_url(backend, fresh_database_url) -> str:
    url = fresh_database_url(backend)
    if backend == "postgresql" and os.environ.get("ACCORD_TEST_PG_URL"):
        schema.downgrade(url, "base")  # an external server may hold an older run's schema
    schema.upgrade(url)
    return url


@pytest.fixture(scope="session")
def engine(database_url) -> Iterator[Engine]:
    eng = make_engine(database_url)
    yield eng
    eng.dispose()


@pytest.fixture
def connection(engine) -> Iterator[Connection]:
    conn = engine.connect()
    outer = conn.begin()
    yield conn
    outer.rollback()
    conn.close()


@pytest.fixture
def db(connection) -> Iterator[Session]:
    """A session whose commits are savepoints inside the test's rolled-back transaction."""
    session = Session(
        bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
    )
    yield session
    session.close()


@pytest.fixture
def app_with(database_url, connection):
    """app_with(**settings) -> an app with these settings over TestConfig, on the test's
    connection (its transaction); each is disposed of after the test."""
    from app import create_app
    from app.database import database

    made = []

    def make(**settings):
        flask_app = create_app(TestConfig, {"DATABASE_URL": database_url, **settings})
        with flask_app.app_context():
            database().bind_to(connection)
        made.append(flask_app)
        return flask_app

    yield make
    for flask_app in made:
        with flask_app.app_context():
            database().engine.dispose()


@pytest.fixture
def app(app_with):
    return app_with()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def make_user(db):
    """make_user("rep", participant_id="ana") or make_user("committee", functions=["finance"])."""
    from governance import accounts
    from governance.accounts import create_user

    counter = iter(range(1, 10_000))

    def make(*roles: str, functions=(), participant_id=None, email=None, password=PASSWORD):
        n = next(counter)
        with pytest.MonkeyPatch.context() as patch:
            if password == PASSWORD:  # the hash made once (`password_hash`)
                hashed = password_hash()
                patch.setattr(accounts, "hash_password", lambda _password: hashed)
            user = create_user(
                db,
                email=email or f"user{n}-{'-'.join(roles) or 'none'}@example.test",
                name=f"User {n}",
                password=password,
                roles=list(roles),
                functions=list(functions),
                participant_id=participant_id,
            )
        db.commit()
        return user

    return make


@pytest.fixture
def token_for(db):
    """token_for(user) -> headers with a fresh bearer token."""
    from governance.accounts import issue_token

    def make(user) -> dict[str, str]:
        _token, secret = issue_token(db, user, "test")
        db.commit()
        return {"Authorization": f"Bearer {secret}"}

    return make
