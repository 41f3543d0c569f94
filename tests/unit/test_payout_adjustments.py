"""Prior-period adjustments over engine outputs: what changed, by how much, and why."""

from __future__ import annotations

from decimal import Decimal

from governance.payouts.adjustments import (
    adjusted_period,
    compare_period,
    persisted_position,
    today_lines,
)
from tests.unit.test_eval_helpers import data, deal, plan, run

MARGIN = {"id": "margin-floor", "when": "deal.gross_margin < 0.25", "effect": "block"}


def _q1(deals, the_plan=None, exceptions=()):
    return today_lines(run(the_plan or plan(), data(deals, exceptions=exceptions), "2026-Q1"))


def test_nothing_changed_nothing_to_adjust():
    locked = _q1([deal("D1", 10000, "2026-02-01")])
    assert compare_period("2026-Q1", locked, _q1([deal("D1", 10000, "2026-02-01")])) == []


def test_a_corrected_deal_amount_pays_the_difference_and_says_why():
    locked = _q1([deal("D1", 10000, "2026-02-01")])
    today = _q1([deal("D1", 12000, "2026-02-01")])
    [line] = compare_period("2026-Q1", locked, today)
    assert (line["participant"], line["deal"], line["kind"], line["amount"]) == (
        "ana",
        "D1",
        "adjustment",
        "200.00",
    )
    [step] = line["trace"]
    assert (step["period"], step["old"], step["new"]) == ("2026-Q1", "1000.00", "1200.00")
    assert step["adjusts"] == {"kind": "commission", "rule": "owner"}
    assert "credit 10000.00 -> 12000.00" in step["reasons"]
    assert line["currency"] == "USD" and line["status"] == "payable"


def test_a_gate_now_blocking_recovers_the_payment_and_quotes_the_gate():
    the_plan = plan(gates=[MARGIN])
    locked = _q1([deal("D1", 10000, "2026-02-01", gross_margin="0.40")], the_plan)
    today = _q1([deal("D1", 10000, "2026-02-01", gross_margin="0.20")], the_plan)
    [line] = compare_period("2026-Q1", locked, today)
    assert line["amount"] == "-1000.00"
    reasons = line["trace"][0]["reasons"]
    assert "status payable -> blocked" in reasons
    assert any(r.startswith("gate margin-floor") for r in reasons)


def test_a_new_plan_version_and_an_exception_are_named():
    the_plan = plan(gates=[MARGIN])
    low = [deal("D1", 10000, "2026-02-01", gross_margin="0.20")]
    locked = _q1(low, the_plan)
    waiver = [{"id": "EX-9", "kind": "waive_gate", "deal": "D1", "gate": "margin-floor"}]
    [line] = compare_period("2026-Q1", locked, _q1(low, the_plan, waiver))
    assert line["amount"] == "1000.00"
    assert "exception EX-9 approved since the lock" in line["trace"][0]["reasons"]

    richer = plan(rates=[{"id": "flat", "rate": Decimal("0.12")}])
    [line] = compare_period("2026-Q1", _q1(low), _q1(low, richer))
    assert line["amount"] == "200.00"
    assert any("a new version with retroactive effect" in r for r in line["trace"][0]["reasons"])


def test_an_adjustment_already_carried_is_not_made_again():
    locked = _q1([deal("D1", 10000, "2026-02-01")])
    today = _q1([deal("D1", 12000, "2026-02-01")])
    [first] = compare_period("2026-Q1", locked, today)
    # The adjustment as a later run persisted it, read back as history of Q1.
    carried = today_lines({"plans": [], "statements": [dict(first, lines=[first])]})
    moved = persisted_position(carried[0])
    assert moved is not None and moved[0] == "2026-Q1"
    assert adjusted_period(first["trace"]) == ("2026-Q1", "commission", "owner")
    assert compare_period("2026-Q1", [*locked, moved[1]], today) == []
    # A second correction adjusts only the new difference.
    [second] = compare_period(
        "2026-Q1", [*locked, moved[1]], _q1([deal("D1", 15000, "2026-02-01")])
    )
    assert (second["amount"], second["trace"][0]["old"]) == ("300.00", "1200.00")


def test_a_removed_deal_recovers_and_a_new_one_pays():
    locked = _q1([deal("D1", 10000, "2026-02-01")])
    today = _q1([deal("D2", 5000, "2026-03-01")])
    lines = compare_period("2026-Q1", locked, today)
    assert [(ln["deal"], ln["amount"]) for ln in lines] == [("D1", "-1000.00"), ("D2", "500.00")]
    assert "the line no longer exists" in lines[0]["trace"][0]["reasons"][0]
    assert "did not exist when the period was locked" in lines[1]["trace"][0]["reasons"][0]
