"""Issue 11, scenario 1: a prior-period adjustment is paid exactly once, on both databases.

2026-Q3 is locked; then the deal desk's 450.00 adjustment of Q3 for ana is approved. The
2026-Q4 draft carries it; a draft of the next quarter (started early: it has not begun)
does not: the adjustment belongs to the earliest draft after Q3. Locking Q4 and then
2027-Q1 pays 450.00 once. A draft built before Q4's carried a copy: it cannot be voted
on once Q4 is approved, and its re-run drops the copy.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from governance import periods
from governance.errors import Conflict, RunRejected
from governance.exceptions import workflow as exceptions
from governance.payouts import close as payout_close
from governance.payouts.runs import start_run
from models import PayoutLine, PayoutRun
from tests.integration.exception_setup import adjustment, people, setup_plan_and_data
from tests.support.payout_close import approve_by_vote

TODAY = date(2026, 12, 3)  # 2026-Q4 has begun, 2027-Q1 has not


@pytest.fixture
def q3_locked(db, monkeypatch):
    monkeypatch.setattr(periods, "today", lambda: TODAY)
    crew = people(db)
    setup_plan_and_data(db, crew["author"])
    q3 = start_run(db, crew["author"], "2026-Q3")
    approve_by_vote(db, q3)
    payout_close.lock_run(db, crew["author"], q3.id)
    # After the lock: the deal desk's 450.00 for ana's Q3, approved below the threshold.
    ex = exceptions.file_exception(db, crew["desk"], adjustment("450.00"), today=TODAY)
    for who in ("lead", "finance"):
        exceptions.cast_exception_vote(
            db, crew[who], ex.id, decision="approve", content_hash=ex.content_hash
        )
    assert ex.state == "approved"
    db.commit()
    return crew


def _q3_adjustments(db, run: PayoutRun) -> list[Decimal]:
    return list(
        db.scalars(
            select(PayoutLine.amount).where(
                PayoutLine.run_id == run.id, PayoutLine.adjusts_period == "2026-Q3"
            )
        )
    )


def _paid_for_q3(db) -> Decimal:
    locked = select(PayoutRun.id).where(PayoutRun.state == "locked")
    return sum(
        db.scalars(
            select(PayoutLine.amount).where(
                PayoutLine.run_id.in_(locked),
                PayoutLine.adjusts_period == "2026-Q3",
                PayoutLine.participant_id == "ana",
            )
        ),
        Decimal(0),
    )


def test_scenario_1_q3_adjustment_is_paid_once_by_q4_and_not_by_the_next_quarter(db, q3_locked):
    author = q3_locked["author"]
    with pytest.raises(RunRejected, match="2027-Q1 has not begun"):
        start_run(db, author, "2027-Q1")
    q4 = start_run(db, author, "2026-Q4")
    q1 = start_run(db, author, "2027-Q1", early=True)
    assert _q3_adjustments(db, q4) == [Decimal("450.00")]
    assert _q3_adjustments(db, q1) == []  # Q3's adjustments belong to the Q4 draft
    approve_by_vote(db, q4)
    payout_close.lock_run(db, author, q4.id)
    db.commit()
    with pytest.raises(Conflict, match="2026-Q4 was locked since"):
        approve_by_vote(db, q1)  # stale: built before Q4's lock (payouts.staleness)
    db.rollback()
    q1 = start_run(db, author, "2027-Q1", early=True)
    assert _q3_adjustments(db, q1) == []
    approve_by_vote(db, q1)
    payout_close.lock_run(db, author, q1.id)
    db.commit()
    assert _paid_for_q3(db) == Decimal("450.00")
    # Nothing is left to pay for Q3: a later run carries nothing for it.
    q2 = start_run(db, author, "2027-Q2", early=True)
    assert _q3_adjustments(db, q2) == []


def test_scenario_1_a_copy_built_before_the_q4_draft_is_never_paid(db, q3_locked):
    author = q3_locked["author"]
    q1 = start_run(db, author, "2027-Q1", early=True)  # no Q4 draft yet: it carries 450
    assert _q3_adjustments(db, q1) == [Decimal("450.00")]
    q4 = start_run(db, author, "2026-Q4")  # the earliest draft after Q3: it carries 450
    assert _q3_adjustments(db, q4) == [Decimal("450.00")]
    db.commit()
    # 2027-Q1's copy belongs to Q4 now: no vote on it while Q4 is a draft ...
    with pytest.raises(Conflict, match="belong to payout-run/2026-Q4"):
        approve_by_vote(db, q1)
    db.rollback()
    approve_by_vote(db, q4)
    payout_close.lock_run(db, author, q4.id)
    db.commit()
    # ... nor once Q4 has paid it.
    with pytest.raises(Conflict, match="re-run 2027-Q1") as refused:
        approve_by_vote(db, q1)
    assert "built on 0.00 paid" in str(refused.value.problems)
    db.rollback()
    q1 = start_run(db, author, "2027-Q1", early=True)  # the re-run drops the copy
    assert _q3_adjustments(db, q1) == []
    approve_by_vote(db, q1)
    payout_close.lock_run(db, author, q1.id)
    db.commit()
    assert _paid_for_q3(db) == Decimal("450.00")
