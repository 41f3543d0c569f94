"""`accord payouts tally|vote|lock` against a real, migrated database (both backends)."""

from __future__ import annotations

import json
import os

import pytest
from click.testing import CliRunner
from sqlalchemy.orm import Session

from app.cli import main
from governance.accounts import create_user
from models import schema
from models.engine import make_engine
from tests.support.payout_close import make_run


@pytest.fixture
def cli_env(backend, fresh_database_url, monkeypatch):
    url = fresh_database_url(backend)
    schema.upgrade(url)
    engine = make_engine(url)
    with Session(engine) as session:
        people = {}
        for name, roles, functions in (
            ("admin", ["comp_admin"], []),
            ("fin", ["committee"], ["finance"]),
            ("ops", ["committee"], ["revops"]),
        ):
            people[name] = create_user(
                session,
                email=f"{name}@example.test",
                name=name,
                password="correct horse battery",
                roles=roles,
                functions=functions,
            )
        make_run(session, people["admin"])
        session.commit()
    engine.dispose()
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("ACCORD_ENV", "development")
    yield url
    if backend == "postgresql" and os.environ.get("ACCORD_TEST_PG_URL"):
        schema.downgrade(url, "base")
        schema.upgrade(url)


def run(*args: str):
    return CliRunner().invoke(main, ["payouts", *args], catch_exceptions=False)


def test_vote_then_lock_at_the_shell(cli_env):
    shown = run("tally", "1")
    assert shown.exit_code == 0, shown.output
    box = json.loads(shown.output)
    assert (box["state"], box["tally"]["outcome"]) == ("draft", "open")
    content_hash = box["content_hash"]

    wrong = run("vote", "1", "--as", "fin@example.test", "--approve", "--hash", "sha256:x")
    assert wrong.exit_code == 2 and "content_hash" in wrong.output
    voted = run("vote", "1", "--as", "fin@example.test", "--approve", "--hash", content_hash)
    assert voted.exit_code == 0, voted.output
    assert "open (1 of 2 approvals" in voted.output
    early = run("lock", "1", "--as", "admin@example.test")
    assert early.exit_code == 2 and "cannot become locked" in early.output
    voted = run("vote", "1", "--as", "ops@example.test", "--approve", "--hash", content_hash)
    assert voted.exit_code == 0 and "state approved" in voted.output
    locked = run("lock", "1", "--as", "admin@example.test", "--note", "Q1 payroll")
    assert locked.exit_code == 0 and "locked at" in locked.output
    assert json.loads(run("tally", "1").output)["state"] == "locked"
