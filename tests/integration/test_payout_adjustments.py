"""Prior-period adjustments and the history of locked periods, on both databases.

Q1 is run, approved by vote and locked. Then a Q1 deal is corrected and cancelled in Q2,
and Q2 is run: the Q2 run pays the correction as an adjustment line naming the deal, the
old and new amounts and why; its release of a Q1 hold, its clawback of a Q1 payment and
its draw balance agree with the persisted Q1 history plus the adjustment, and with
`rules.evaluate` over the same data (what `accord evaluate` prints)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from governance.engine_input import database_data
from governance.imports.service import import_data
from governance.payouts import adjustments as payout_adjustments
from governance.payouts import batches as payout_batches
from governance.payouts import close as payout_close
from governance.payouts.recheck import recheck_locked
from governance.payouts.runs import start_run
from governance.plans.lookup import plan_of, version_governing
from models import PayoutLine, Statement
from rules.evaluate import evaluate
from tests.integration.payout_support import activate_plan
from tests.support.payout_close import approve_by_vote

PLAN = """\
policy: close-plan
title: Close plan
currency: USD
period: quarter
credit:
  - {id: owner, to: owner, share: 1}
rates:
  - {id: flat, rate: 0.1}
gates:
  - {id: pay-on-cash, effect: {hold_until: deal.cash_collected_date}}
clawbacks:
  - {id: churn, triggers: [cancellation], within_days: 180, recover: full}
draw:
  id: ramp-draw
  amount: 500
  recoverable: true
"""
D = Decimal


def _deal(deal_id, owner, amount, close, cash):
    return {
        "id": deal_id,
        "amount": amount,
        "currency": "USD",
        "close_date": close,
        "owner": owner,
        "cash_collected_date": cash,
    }


@pytest.fixture
def admin(make_user):
    return make_user("comp_admin")


@pytest.fixture
def q1_locked(db, admin):
    """ana: A1 held until cash on 2026-04-15, A2 paid; bo: no deal, a draw of 500."""
    activate_plan(db, text=PLAN)
    people = [
        {"id": p, "assignments": [{"plan": "close-plan", "start": "2026-01-01"}]}
        for p in ("ana", "bo")
    ]
    deals = [
        _deal("A1", "ana", "10000", "2026-02-10", "2026-04-15"),
        _deal("A2", "ana", "20000", "2026-02-20", "2026-02-20"),
    ]
    import_data(db, {"participants": people, "deals": deals}, source="q1")
    run = start_run(db, None, "2026-Q1")
    approve_by_vote(db, run)
    payout_close.lock_run(db, admin, run.id)
    db.commit()
    return run


def _lines(db, run, kind=None) -> list[PayoutLine]:
    stmt = select(PayoutLine).where(PayoutLine.run_id == run.id)
    if kind:
        stmt = stmt.where(PayoutLine.kind == kind)
    return list(db.scalars(stmt.order_by(PayoutLine.participant_id, PayoutLine.position)))


def _statement(db, run, who) -> Statement:
    return db.scalars(
        select(Statement).where(Statement.run_id == run.id, Statement.participant_id == who)
    ).one()


def _q2_changes(db):
    deals = [
        _deal("A2", "ana", "25000", "2026-02-20", "2026-02-20"),  # corrected after the lock
        _deal("B1", "bo", "8000", "2026-05-10", "2026-05-10"),
    ]
    events = [{"deal": "A2", "kind": "cancellation", "date": "2026-05-05"}]
    import_data(db, {"deals": deals, "events": events}, source="q2")


def test_q2_pays_the_q1_correction_and_agrees_with_the_engine_and_the_history(db, q1_locked):
    q1 = q1_locked
    [held] = [ln for ln in _lines(db, q1) if ln.deal_id == "A1"]
    [paid] = [ln for ln in _lines(db, q1) if ln.deal_id == "A2"]
    assert (held.status, held.amount, paid.status, paid.amount) == (
        "held",
        D("1000"),
        "payable",
        D("2000"),
    )
    assert _statement(db, q1, "bo").draw_balance == D("500")

    _q2_changes(db)
    q2 = start_run(db, None, "2026-Q2")
    db.commit()

    # The adjustment: ana, deal A2, 2000.00 -> 2500.00, and why.
    [adj] = _lines(db, q2, "adjustment")
    assert (adj.participant_id, adj.deal_id, adj.amount, adj.status) == (
        "ana",
        "A2",
        D("500"),
        "payable",
    )
    assert (adj.adjusts_period, adj.adjusts_line_id) == ("2026-Q1", paid.id)
    assert "credit 20000.00 -> 25000.00" in adj.reason
    step = adj.trace[0]
    assert (step["old"], step["new"], step["adjusts"]["kind"]) == (
        "2000.00",
        "2500.00",
        "commission",
    )

    # Every other line is what `accord evaluate` computes for Q2 over the same data.
    data = database_data(db, up_to=date(2026, 6, 30))
    plan = plan_of(version_governing(db, "close-plan", date(2026, 6, 30)))
    expected = evaluate([plan], data, "2026-Q2")
    for st in expected["statements"]:
        run_lines = [ln for ln in _lines(db, q2) if ln.participant_id == st["participant"]]
        engine = [
            (ln.kind, ln.deal_id, ln.amount, ln.status)
            for ln in run_lines
            if ln.adjusts_period is None
        ]
        assert engine == [(x["kind"], x["deal"], D(x["amount"]), x["status"]) for x in st["lines"]]
        extra = sum((ln.amount for ln in run_lines if ln.adjusts_period), D(0))
        row = _statement(db, q2, st["participant"])
        assert row.payable == D(st["payable"]) + extra
        assert row.draw_balance == D(st["draw_balance"])

    # ... and agrees with the persisted Q1 history plus the adjustment.
    [release] = _lines(db, q2, "release")
    assert (release.deal_id, release.amount) == ("A1", held.amount)
    [clawback] = _lines(db, q2, "clawback")
    assert (clawback.deal_id, clawback.amount) == ("A2", -(paid.amount + adj.amount))
    [recovery] = _lines(db, q2, "draw_recovery")
    assert recovery.amount == -min(_statement(db, q1, "bo").draw_balance, D("800") - D("500"))
    assert _statement(db, q2, "bo").draw_balance == D("500") - D("300")


def test_an_adjustment_is_paid_once_and_a_re_run_keeps_it(db, q1_locked, admin):
    _q2_changes(db)
    q2 = start_run(db, None, "2026-Q2")
    first = [(ln.line_key, ln.amount) for ln in _lines(db, q2, "adjustment")]
    q2 = start_run(db, None, "2026-Q2")  # a re-run of the draft, same inputs
    assert [(ln.line_key, ln.amount) for ln in _lines(db, q2, "adjustment")] == first
    assert q2.recomputed_count == 0
    approve_by_vote(db, q2)
    payout_close.lock_run(db, admin, q2.id)
    q3 = start_run(db, None, "2026-Q3")
    db.commit()
    # Q1's correction was paid in Q2 (locked): Q3 does not pay it again.
    assert _lines(db, q3, "adjustment") == []


def test_a_retroactive_plan_version_is_named(db, q1_locked):
    activate_plan(db, text=PLAN.replace("rate: 0.1", "rate: 0.12"), effective=date(2026, 1, 1))
    q2 = start_run(db, None, "2026-Q2")
    db.commit()
    [adj] = _lines(db, q2, "adjustment")
    assert (adj.deal_id, adj.amount) == ("A2", D("400"))  # 20000 x (0.12 - 0.10)
    assert "a new version with retroactive effect" in adj.reason


def test_an_unchanged_locked_period_is_not_re_evaluated(db, q1_locked):
    [locked] = payout_adjustments.locked_periods_before(db, date(2026, 4, 1))
    assert locked.period == "2026-Q1"
    assert recheck_locked(db, locked).evaluated == set()
    _q2_changes(db)
    check = recheck_locked(db, locked)
    # Only ana's Q1 inputs change (A2 corrected); bo's new deal closes in Q2: bo is not
    # evaluated again, and only ana is adjusted.
    assert check.evaluated == {"ana"}
    assert {ln["participant"] for ln in check.lines} == {"ana"}


def test_the_re_check_in_batches_gives_the_same_adjustments(db, q1_locked, monkeypatch):
    _q2_changes(db)
    [locked] = payout_adjustments.locked_periods_before(db, date(2026, 4, 1))
    whole = recheck_locked(db, locked)
    monkeypatch.setattr(payout_batches, "DEALS_PER_BATCH", 1)  # a participant per batch
    batched = recheck_locked(db, locked)
    assert batched.lines == whole.lines and whole.lines
    assert batched.evaluated == whole.evaluated == {"ana"}


def test_a_change_reverted_after_its_adjustment_was_paid_is_reversed(db, q1_locked, admin):
    _q2_changes(db)
    q2 = start_run(db, None, "2026-Q2")
    approve_by_vote(db, q2)
    payout_close.lock_run(db, admin, q2.id)
    # A2 back to 20000: Q1 paid 2000 + 500 carried, today 2000; Q2 clawed back 2500,
    # today 2000, and so topped ana up to the draw by 500 less. They net to -500.
    import_data(
        db, {"deals": [_deal("A2", "ana", "20000", "2026-02-20", "2026-02-20")]}, source="undo"
    )
    q3 = start_run(db, None, "2026-Q3")
    db.commit()
    found = sorted(
        (ln.adjusts_period, ln.trace[0]["adjusts"]["kind"], ln.amount)
        for ln in _lines(db, q3, "adjustment")
    )
    assert found == [
        ("2026-Q1", "commission", D("-500")),
        ("2026-Q2", "clawback", D("500")),
        ("2026-Q2", "draw", D("-500")),
    ]
    [draw] = [ln for ln in _lines(db, q3, "adjustment") if ln.deal_id is None]
    assert "payable -1500.00 below the draw 500.00 -> payable -1000.00" in draw.reason


def test_a_change_after_the_locked_period_is_not_asked_about(db, q1_locked):
    """Revision 0035: the journal dates deal rows by close date, so a locked period's
    re-check does not read, hash or evaluate anyone for a deal closed after its end;
    a deal moved out of the period is still its change (the old row keeps its date)."""
    from governance import changes
    from models import InputChange

    [locked] = payout_adjustments.locked_periods_before(db, date(2026, 4, 1))
    end = date(2026, 3, 31)
    b1 = _deal("B1", "bo", "8000", "2026-05-10", "2026-05-10")
    import_data(db, {"deals": [b1]}, source="q2")
    found = changes.changes_since(db, locked.input_revision, up_to=end)
    assert found is not None and found.empty  # B1 closes in Q2: nothing of Q1 changed
    assert changes.changes_since(db, locked.input_revision).deals == {"B1"}  # undated ask
    assert recheck_locked(db, locked) == recheck_locked(db, locked, full=True)
    assert recheck_locked(db, locked).evaluated == set()

    # A2 moves from Q1 to Q2: its old row (2026-02-20) is Q1's change.
    moved = _deal("A2", "ana", "20000", "2026-05-20", "2026-05-20")
    import_data(db, {"deals": [moved]}, source="q2b")
    days = set(db.scalars(select(InputChange.day).where(InputChange.deal_id == "A2")))
    assert {date(2026, 2, 20), date(2026, 5, 20)} <= days
    assert changes.changes_since(db, locked.input_revision, up_to=end).deals == {"A2"}
    check = recheck_locked(db, locked)
    assert check.evaluated == {"ana"} and check == recheck_locked(db, locked, full=True)
    assert ("ana", "A2") in {(ln["participant"], ln["deal"]) for ln in check.lines}
    # Compaction keeps a row per day: the Q1 day of A2 survives it.
    assert changes.compact(db) is not None
    assert changes.changes_since(db, locked.input_revision, up_to=end).deals == {"A2"}


def test_a_split_changed_after_the_locked_period_is_not_asked_about(db, q1_locked):
    """Revision 0036: a deal's splits (team, touchpoints) are dated by its close date, so
    a split changed on a later deal is not the locked period's change; one on its own
    deal is, and a deal deleted with its splits is every period's."""
    from sqlalchemy import delete, func

    from governance import changes
    from models import Deal, InputChange

    [locked] = payout_adjustments.locked_periods_before(db, date(2026, 4, 1))
    end = date(2026, 3, 31)
    b1 = _deal("B1", "bo", "8000", "2026-05-10", "2026-05-10")
    b1["splits"] = [{"participant": "bo", "share": "0.5"}, {"participant": "ana", "share": "0.5"}]
    import_data(db, {"deals": [b1]}, source="q2")
    b1["splits"] = [{"participant": "bo", "share": "0.7"}, {"participant": "ana", "share": "0.3"}]
    import_data(db, {"deals": [b1]}, source="q2-splits")
    split_days = set(
        db.scalars(
            select(InputChange.day).where(
                InputChange.deal_id == "B1", InputChange.participant_id == "ana"
            )
        )
    )
    assert split_days == {date(2026, 5, 10)}
    found = changes.changes_since(db, locked.input_revision, up_to=end)
    assert found is not None and found.empty  # a Q2 deal's splits: nothing of Q1 changed
    assert recheck_locked(db, locked).evaluated == set()
    assert recheck_locked(db, locked) == recheck_locked(db, locked, full=True)
    # Deleted with its deal, a split finds no close date: any period reads its row.
    last = db.scalar(select(func.max(InputChange.id)))
    db.execute(delete(Deal).where(Deal.id == "B1"))
    rows = db.execute(
        select(InputChange.participant_id, InputChange.day).where(InputChange.id > last)
    ).all()
    assert ("ana", None) in rows and ("bo", date(2026, 5, 10)) in rows  # split; the deal
    assert changes.changes_since(db, locked.input_revision, up_to=end).deals == {"B1"}

    a2 = _deal("A2", "ana", "20000", "2026-02-20", "2026-02-20")
    a2["splits"] = [{"participant": "ana", "share": "0.6"}, {"participant": "bo", "share": "0.4"}]
    import_data(db, {"deals": [a2]}, source="q1-splits")
    assert changes.changes_since(db, locked.input_revision, up_to=end).deals == {"A2", "B1"}
    check = recheck_locked(db, locked)
    assert check.evaluated == {"ana", "bo"} and check == recheck_locked(db, locked, full=True)
