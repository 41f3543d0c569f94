"""`accord payouts run|list|show` on both databases: a run with a progress bar, a re-run,
and a refusal that exits 2 and writes nothing."""

from __future__ import annotations

import json

import pytest

from models.engine import make_engine
from tests.integration.payout_support import seed
from tests.support.cli import run


@pytest.fixture
def seeded(cli_env):
    """The CLI's database with payout_support's plans, participants and deals."""
    engine = make_engine(cli_env)
    seed(engine)
    engine.dispose()


def test_run_list_show(seeded):
    done = run("payouts", "run", "--period", "2026-Q3", "--progress")
    assert done.exit_code == 0, done.output
    assert (
        "payout run 1 of 2026-Q3: draft, build 1 (version 1); 4 participants, 12 deals"
        in done.output
    )
    assert "evaluating" in done.output and "4/4" in done.output  # the bar (stderr is mixed in)
    again = run("payouts", "run", "--period", "2026-Q3", "--no-progress")
    assert "build 2 (version 1)" in again.output and "(0 written)" in again.output
    assert "nothing changed since build 1: 0 vote(s) kept" in again.output
    listed = run("payouts", "list")
    assert "2026-Q3  draft    version 1" in listed.output
    summary = json.loads(run("payouts", "show", "1").output)
    assert (summary["statements"], summary["recomputed"]) == (4, 0)
    shown = json.loads(run("payouts", "show", "1", "--lines").output)
    assert len(shown["lines"]) == summary["lines"] > 0
    assert all(line["trace"] for line in shown["lines"])


def test_a_refused_run_exits_2(seeded):
    bad = run("payouts", "run", "--period", "2026-Q7")
    assert bad.exit_code == 2
    assert "error: Not a period." in bad.output
    assert "no payout runs" in run("payouts", "list").output
    missing = run("payouts", "show", "42")
    assert missing.exit_code == 2 and "No payout run 42" in missing.output
