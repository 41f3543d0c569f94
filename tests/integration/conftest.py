"""Integration fixtures for tests that commit for real: the CLI, concurrency, the worker.

- `migrated_database(backend, migrate=True)`: a context manager giving the URL of an
  empty database of its own, at head (or not migrated at all); any fixture scope.
- `cli_env` / `unmigrated_cli_env`: such a database for the `accord` CLI, with
  DATABASE_URL and ACCORD_ENV=development set for the test; yields its URL.
- `pg_engine`: an engine on a fresh, migrated PostgreSQL database, for real races.

An external `ACCORD_TEST_PG_URL` server is one shared database: reset before and left
migrated and empty after (audit records and votes are append-only: only dropping the
schema empties it). Helpers: `tests.support.cli.run` (`accord ...`),
`tests.support.database.refused` and `race`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import Engine

from models import schema
from models.engine import make_engine


@pytest.fixture(scope="session")
def migrated_database(fresh_database_url):
    @contextmanager
    def database(backend: str, *, migrate: bool = True) -> Iterator[str]:
        url = fresh_database_url(backend)
        shared = url == os.environ.get("ACCORD_TEST_PG_URL")
        if shared:
            schema.downgrade(url, "base")
        if migrate:
            schema.upgrade(url)
        assert schema.current_revision(url) == (schema.head_revision() if migrate else None)
        try:
            yield url
        finally:
            if shared:
                schema.downgrade(url, "base")
                schema.upgrade(url)

    return database


def _cli_env(backend, migrated_database, monkeypatch, migrate: bool) -> Iterator[str]:
    with migrated_database(backend, migrate=migrate) as url:
        monkeypatch.setenv("DATABASE_URL", url)
        monkeypatch.setenv("ACCORD_ENV", "development")
        yield url


@pytest.fixture
def cli_env(backend, migrated_database, monkeypatch) -> Iterator[str]:
    yield from _cli_env(backend, migrated_database, monkeypatch, migrate=True)


@pytest.fixture
def unmigrated_cli_env(backend, migrated_database, monkeypatch) -> Iterator[str]:
    """For tests that run `accord db upgrade` themselves."""
    yield from _cli_env(backend, migrated_database, monkeypatch, migrate=False)


@pytest.fixture
def pg_engine(migrated_database) -> Iterator[Engine]:
    with migrated_database("postgresql") as url:
        engine = make_engine(url)
        yield engine
        engine.dispose()
