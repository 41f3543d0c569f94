"""Why did my pay change? through the database, on both backends: each kind of cause is
found in stored runs (`statements.compare`, previous period).

The demo quarter is evaluated twice, once as it is and once with one thing changed (the
plan's new-business rate, a deal's amount, the EUR/USD rate, the exceptions), and the two
outputs are stored as the runs of two consecutive periods: the previous-period comparison
then matches the same deals on both sides, through the stored lines (Numeric amounts,
JSON traces) and, for the plan, the stored versions' diff.
"""

from __future__ import annotations

import copy
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from governance.plans import lifecycle
from governance.plans.lookup import plan_of
from governance.statements.compare import statement_changes
from models.payouts import Statement
from rules.data import load_data
from rules.document import load_plan
from rules.evaluate import evaluate
from tests.support.statements import DEMO, EXAMPLES, import_demo, persist_run

TEXT = (EXAMPLES / "ae-plan.yaml").read_text()


def _output(plan, raw):
    return evaluate([plan], load_data(raw), "2026-Q3")


def _stored(db, before, after, participant):
    """The two outputs as runs of 2015-Q2 and 2015-Q3; the participant's 2015-Q3 id."""
    for output, period in ((before, "2015-Q2"), (after, "2015-Q3")):
        output["period"] = period
        run = persist_run(db, output, state="locked")
    return db.scalars(
        select(Statement.id).where(
            Statement.run_id == run.id, Statement.participant_id == participant
        )
    ).one()


def _change(found, kind, deal=None, rule=None):
    (c,) = [
        c
        for c in found["changes"]
        if c["kind"] == kind and c["deal"] == deal and (rule is None or c["rule"] == rule)
    ]
    return c


@pytest.fixture
def demo_plan(db):
    import_demo(db)
    return load_plan(TEXT, source="ae-plan.yaml", base_dir=EXAMPLES)


def test_a_plan_rate_change_names_rule_and_field(db, demo_plan):
    v1 = lifecycle.create_draft(db, None, TEXT, base_dir=EXAMPLES)
    lifecycle.submit(db, None, "ae-plan", v1.number, effective_from=date(2026, 1, 1))
    v2 = lifecycle.create_draft(
        db, None, TEXT.replace("rate: 0.06", "rate: 0.08", 1), base_dir=EXAMPLES
    )
    st = _stored(db, _output(plan_of(v1), DEMO), _output(plan_of(v2), DEMO), "ana")
    found = statement_changes(db, None, st, against="previous-period")
    assert found["compared_with"]["plan_versions"] == ["ae-plan/1", "ae-plan/2"]
    c = _change(found, "commission", "D-101")
    assert (c["before"], c["after"], c["delta"]) == (
        Decimal("3600.00"),
        Decimal("4800.00"),
        Decimal("1200.00"),
    )
    cause = c["causes"][0]
    assert (cause["kind"], cause["field"], cause["before"], cause["after"]) == (
        "plan",
        "rates.new-business.rate",
        "0.06",
        "0.08",
    )
    assert cause["text"] == (
        "Plan ae-plan/1 -> ae-plan/2: rate rule new-business rate was 0.06, now 0.08."
    )


def test_a_deal_amount_change(db, demo_plan):
    raw = copy.deepcopy(DEMO)
    raw["deals"][1]["amount"] = "140000"  # D-101
    st = _stored(db, _output(demo_plan, DEMO), _output(demo_plan, raw), "ana")
    found = statement_changes(db, None, st, against="previous-period")
    c = _change(found, "commission", "D-101")
    assert c["delta"] == Decimal("600.00")
    assert c["causes"][0] == {
        "kind": "deal",
        "text": "Deal D-101's amount was 120,000, now 140,000.",
        "field": "amount",
        "before": "120000",
        "after": "140000",
    }
    (total,) = found["totals"]
    assert total["delta"] == sum((c["delta"] for c in found["changes"]), Decimal(0))


def test_an_fx_rate_change(db, demo_plan):
    raw = copy.deepcopy(DEMO)
    raw["deals"][1].update(currency="EUR", amount="100000")
    moved = copy.deepcopy(raw)
    moved["fx"]["EUR/USD"] = "1.20"
    st = _stored(db, _output(demo_plan, raw), _output(demo_plan, moved), "ana")
    found = statement_changes(db, None, st, against="previous-period")
    c = _change(found, "commission", "D-101")
    assert (c["before"], c["after"]) == (Decimal("3240.00"), Decimal("3600.00"))
    assert c["causes"][0]["kind"] == "fx"
    assert (c["causes"][0]["before"], c["causes"][0]["after"]) == ("1.08", "1.20")


def test_an_exception_withdrawn(db, demo_plan):
    raw = copy.deepcopy(DEMO)
    raw["exceptions"] = []
    st = _stored(db, _output(demo_plan, DEMO), _output(demo_plan, raw), "raj")
    found = statement_changes(db, None, st, against="previous-period")
    c = _change(found, "adjustment", rule="EX-2")
    assert (c["change"], c["delta"]) == ("removed", Decimal("-250.00"))
    assert c["causes"][0]["kind"] == "exception"
    assert c["causes"][0]["text"] == (
        "Exception EX-2 withdrawn (no longer adjusts this statement): 250.00 "
        "(onboarding bonus agreed at hire)."
    )
    waived = _change(found, "commission", "D-103")
    assert (
        waived["causes"][0]["text"]
        == "Exception EX-1 no longer waives gate deep-discount for deal D-103."
    )
