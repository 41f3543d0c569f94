"""Issue 11, scenario 5: an exception's impact counts what it moves in later periods too
(released holds included), and routing uses that figure (both backends)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from governance.committee import approval_rules
from governance.exceptions import workflow as exceptions
from tests.integration.exception_setup import people, setup_held_discount

WAIVER = {
    "kind": "waive_gate",
    "plan": "held-plan",
    "deal": "D-9",
    "rule": "deep-discount",
    "justification": "competitive displacement; the discount matched the incumbent",
}


@pytest.fixture
def crew(db):
    crew = people(db)
    setup_held_discount(db, crew["author"])
    db.commit()
    return crew


def _threshold(db, amount: str) -> None:
    rules = approval_rules.document_of_default()
    rules["exception"]["committee_above"] = amount
    proposal = approval_rules.propose(db, None, rules)
    approval_rules.decide(db, None, proposal, "active", "test setup")


def test_issue_11_scenario_5_a_waiver_releasing_held_pay_later_counts_it(db, crew):
    exc = exceptions.file_exception(db, crew["desk"], WAIVER)
    db.commit()
    impact = exc.impact
    assert exc.period == "2026-Q3"
    # Nothing changes in the deal's quarter: the line is held either way...
    assert impact["now"] == {"delta": "0.00", "moved": "0.00"}
    assert impact["participants"] == [
        {"participant": "ana", "before": "0.00", "after": "0.00", "delta": "0.00"}
    ]
    # ...and the release in 2026-Q4 pays 6,237.30 more: counted, not 0.00.
    assert impact["later"]["periods"] == ["2026-Q4"]
    assert impact["later"]["participants"] == [
        {
            "participant": "ana",
            "period": "2026-Q4",
            "before": "6237.30",
            "after": "12474.60",
            "delta": "6237.30",
        }
    ]
    assert (impact["later"]["delta"], impact["later"]["moved"]) == ("6237.30", "6237.30")
    assert (impact["delta"], impact["moved"]) == ("6237.30", "6237.30")
    assert exc.estimated_impact == Decimal("6237.30")


def test_routing_uses_the_pay_moved_now_and_later(db, crew):
    _threshold(db, "5000")
    exc = exceptions.file_exception(db, crew["desk"], WAIVER)
    assert exc.route == "committee"  # 6,237.30 later > 5,000 (it was 0.00: "below")
    _threshold(db, "7000")
    exc = exceptions.file_exception(db, crew["desk"], {**WAIVER, "justification": "again"})
    assert exc.route == "below"
