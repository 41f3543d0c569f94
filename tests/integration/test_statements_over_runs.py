"""Statements read back from a real payout run (governance.payout_runs.start_run) over the
demo data and the AE example plan: the lines, totals and explanations a rep reads are the
engine's, and the payroll file pays what the statements say."""

from __future__ import annotations

import copy
import csv
import io
from pathlib import Path

import pytest

from governance.errors import Conflict
from governance.payouts import runs as payout_runs
from governance.statements import exports as statement_exports
from governance.statements import read as statements
from models.base import utcnow
from rules.data import load_data
from rules.document import load_plan
from rules.evaluate import evaluate
from tests.integration.payout_support import activate_plan
from tests.support.statements import DEMO, EXAMPLES, import_demo


def test_a_built_run_reads_back_as_the_engine_evaluates_it(db, make_user):
    text = (EXAMPLES / "ae-plan.yaml").read_text(encoding="utf-8")
    activate_plan(db, text=text.split("\ntests:")[0] + "\n")
    import_demo(db)
    run = payout_runs.start_run(db, None, "2026-Q3")
    db.flush()

    path = Path(EXAMPLES / "ae-plan.yaml")
    plan = load_plan(path.read_bytes(), source=path.name, base_dir=path.parent)
    data = {k: copy.deepcopy(v) for k, v in DEMO.items() if k != "exceptions"}
    expected = evaluate([plan], load_data(data), "2026-Q3")
    want = {st["participant"]: st for st in expected["statements"]}

    ana = make_user("rep", participant_id="ana")
    assert statements.list_statements(db, ana, period="2026-Q3") == []  # a draft: not hers yet
    admin = make_user("comp_admin")
    (listed,) = statements.list_statements(db, admin, period="2026-Q3", participant="ana")
    assert (listed["run_id"], listed["run_state"]) == (run.id, "draft")
    got = statements.get_statement(db, admin, listed["id"], traces=True)
    assert (got["payable"], got["held"], got["attainment"]) == (
        want["ana"]["payable"],
        want["ana"]["held"],
        want["ana"]["attainment"],
    )
    assert [(ln["kind"], ln["deal"], ln["amount"], ln["status"]) for ln in got["lines"]] == [
        (ln["kind"], ln["deal"], ln["amount"], ln["status"]) for ln in want["ana"]["lines"]
    ]
    assert [ln["trace"] for ln in got["lines"]] == [ln["trace"] for ln in want["ana"]["lines"]]
    blocked = next(ln for ln in got["lines"] if ln["status"] == "blocked")
    assert (
        "Gate margin-floor blocked this line: gross margin 20% < 25%."
        in (blocked["explanation"]["steps"])
    )

    # Payroll: refused while the run is a draft, then one row per participant once locked.
    finance = make_user("committee", functions=["finance"])
    with pytest.raises(Conflict):
        statement_exports.export_payroll(db, finance, run.id)
    # Approved and locked directly: the committee's votes are payout_close's tests.
    run.state, run.approved_at = "approved", utcnow()
    db.flush()
    run.state, run.locked_at = "locked", utcnow()
    db.flush()
    rows = list(csv.DictReader(io.StringIO(statement_exports.export_payroll(db, finance, run.id))))
    assert [(r["participant"], r["amount_payable"]) for r in rows] == sorted(
        (p, st["payable"]) for p, st in want.items()
    )
