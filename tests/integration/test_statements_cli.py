"""`accord statements export|payroll` on a fresh database of each backend."""

from __future__ import annotations

import csv
import io
import json

import pytest
from sqlalchemy.orm import Session

from governance.accounts import create_user
from models.engine import make_engine
from tests.support.cli import run
from tests.support.statements import demo_runs


@pytest.fixture
def runs(cli_env) -> dict[str, int]:
    """The CLI's database with the demo runs and rep ana: each period's run id."""
    engine = make_engine(cli_env)
    with Session(engine) as session:
        runs = {period: run.id for period, run in demo_runs(session).items()}
        create_user(
            session,
            email="ana@example.test",
            name="Ana",
            password="a long enough password",
            roles=["rep"],
            participant_id="ana",
        )
        session.commit()
    engine.dispose()
    return runs


def test_export_statements_as_the_system_and_as_a_rep(runs, tmp_path):
    everyone = run("statements", "export", "--period", "2026-Q3")
    assert everyone.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(everyone.output)))
    assert {r["participant"] for r in rows} == {"ana", "raj", "sam", "mo", "lea", "cat", "mia"}
    found = {}
    for period in ("2026-Q2", "2026-Q3"):  # Q2 locked and published, Q3 a draft
        target = tmp_path / f"ana-{period}.json"
        mine = run(
            "statements", "export", "--period", period, "--format", "json",
            "--as", "ana@example.test", "-o", str(target),
        )  # fmt: skip
        assert mine.exit_code == 0
        doc = json.loads(target.read_text(encoding="utf-8"))
        found[period] = [s["participant"] for s in doc["statements"]]
    assert found == {"2026-Q2": ["ana"], "2026-Q3": []}  # a rep sees published runs only


def test_payroll_of_the_locked_period_and_refusals(runs):
    locked = run("statements", "payroll", "--period", "2026-Q2")
    assert locked.exit_code == 0
    assert locked.output.splitlines()[0] == "participant,name,amount_payable,currency,period"
    by_run = run("statements", "payroll", "--run", str(runs["2026-Q2"]))
    assert by_run.output == locked.output
    draft = run("statements", "payroll", "--period", "2026-Q3")
    assert draft.exit_code == 2
    assert "locked runs only" in draft.output
    assert run("statements", "payroll", "--period", "2031-Q1").exit_code == 2
    assert run("statements", "payroll").exit_code == 2
    rep = run("statements", "payroll", "--period", "2026-Q2", "--as", "ana@example.test")
    assert rep.exit_code == 2 and "statements.read_all" in rep.output
    assert run("statements", "export", "--period", "Q3").exit_code == 2
