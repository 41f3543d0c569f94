"""`accord payouts tally|vote|lock|publish` against a real, migrated database (both backends)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy.orm import Session

from governance.accounts import create_user
from models.engine import make_engine
from tests.support.cli import run
from tests.support.payout_close import make_run


@pytest.fixture
def draft_run(cli_env):
    """The CLI's database with payout run 1 (a draft), its admin and two committee members."""
    engine = make_engine(cli_env)
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


def test_vote_then_lock_at_the_shell(draft_run):
    shown = run("payouts", "tally", "1")
    assert shown.exit_code == 0, shown.output
    box = json.loads(shown.output)
    assert (box["state"], box["tally"]["outcome"]) == ("draft", "open")
    content_hash = box["content_hash"]

    wrong = run(
        "payouts", "vote", "1", "--as", "fin@example.test", "--approve", "--hash", "sha256:x"
    )
    assert wrong.exit_code == 2 and "content_hash" in wrong.output
    voted = run(
        "payouts", "vote", "1", "--as", "fin@example.test", "--approve", "--hash", content_hash
    )
    assert voted.exit_code == 0, voted.output
    assert "open (1 of 2 approvals" in voted.output
    early = run("payouts", "lock", "1", "--as", "admin@example.test")
    assert early.exit_code == 2 and "cannot become locked" in early.output
    unlocked = run("payouts", "publish", "1", "--as", "admin@example.test")
    assert unlocked.exit_code == 2 and "only a locked run" in unlocked.output
    voted = run(
        "payouts", "vote", "1", "--as", "ops@example.test", "--approve", "--hash", content_hash
    )
    assert voted.exit_code == 0 and "state approved" in voted.output
    locked = run("payouts", "lock", "1", "--as", "admin@example.test", "--note", "Q1 payroll")
    assert locked.exit_code == 0 and "locked at" in locked.output
    assert json.loads(run("payouts", "tally", "1").output)["state"] == "locked"
    published = run("payouts", "publish", "1", "--as", "admin@example.test")
    assert published.exit_code == 0 and "published at" in published.output
    twice = run("payouts", "publish", "1", "--as", "admin@example.test")
    assert twice.exit_code == 2 and "published already" in twice.output
