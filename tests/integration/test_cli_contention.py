"""A command that cannot get the write lock in time is refused like any refusal: exit 2,
a message, nothing written (SQLite: another writer holds the lock past the busy timeout)."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from models import User
from models.engine import make_engine
from tests.support.cli import run


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_command_locked_out_exits_2_and_writes_nothing(cli_env):
    holder = sqlite3.connect(make_url(cli_env).database, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another writer, holding the lock throughout
    try:
        result = run(
            "users", "create", "--email", "late@example.test", "--name", "Late",
            "--role", "committee", "--function", "finance",
            "--password", "a long enough password 1",
        )  # fmt: skip
    finally:
        holder.rollback()
        holder.close()
    assert result.exit_code == 2, result.output
    assert "The database is busy with another change" in result.output
    engine = make_engine(cli_env)
    with engine.connect() as connection:
        users = connection.scalar(select(func.count()).select_from(User))
    engine.dispose()
    assert users == 0
