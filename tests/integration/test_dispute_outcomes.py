"""Issue 11, scenario 4: a dispute shows the state of its adjustment (both backends).

Accepting a dispute files an adjustment exception; the rep then reads whether it is
pending approval, paid in run N (period), or rejected with the reason, in the dispute's
detail and in their list (API and pages), never a bare "resolved accepted".
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from governance.disputes import workflow as disputes
from governance.disputes.adjustment import outcome
from governance.exceptions.workflow import cast_exception_vote
from models.payouts import PayoutLine
from tests.integration.exception_setup import accepted_dispute
from tests.support.disputes import run_with_lines
from tests.support.payout_close import advance_run

MONDAY = date(2026, 11, 2)  # as in tests/integration/exception_setup.accepted_dispute
REASON = "The Q3 line was paid at the right rate: D-1 is an expansion."


@pytest.fixture
def accepted(db, make_user):
    return accepted_dispute(db, make_user)


def _vote(db, user, exc, decision="approve", comment=None):
    cast_exception_vote(
        db, user, exc.id, decision=decision, content_hash=exc.content_hash, comment=comment
    )


def _run_carrying(db, exc, period: str, state: str):
    """A run for `period` whose lines carry the adjustment as the engine names it."""
    run = run_with_lines(db, "ana", "bo", period=period, plan_key="ae-plan", state="draft").run
    db.add(
        PayoutLine(
            run_id=run.id,
            line_key=f"ana|ae-plan|adjustment||{exc.label}|0",
            participant_id="ana",
            plan_key="ae-plan",
            plan_version_hash="sha256:" + "1" * 64,
            kind="adjustment",
            rule=exc.label,
            status="payable",
            amount=Decimal("250.00"),
            currency="USD",
            position=9,
            trace=[],
            adjusts_period="2026-Q3",
        )
    )
    db.flush()
    advance_run(db, run, state)
    return run


def test_issue_11_scenario_4_a_rejected_adjustment_is_not_shown_as_accepted(
    db, accepted, client, token_for
):
    dispute, exc, people = accepted
    pending = outcome(db, dispute)
    assert (dispute.state, pending.state) == ("resolved_accepted", "pending_approval")
    assert pending.text == f"Accepted: adjustment {exc.label} of 250.00 USD is pending approval."
    _vote(db, people["finance"], exc, "reject", REASON)
    db.commit()
    rejected = outcome(db, dispute)
    assert rejected.state == "rejected"
    assert rejected.text == (
        f"Accepted: adjustment {exc.label} of 250.00 USD was rejected: rejected by vote: {REASON}"
    )
    assert rejected.adjustment["reason"] == f"rejected by vote: {REASON}"
    # The rep's list says so too, not "resolved accepted".
    listed = client.get("/api/v1/disputes?scope=mine", headers=token_for(people["ana"]))
    assert listed.status_code == 200, listed.get_json()
    [row] = listed.get_json()
    assert (row["state"], row["outcome"]["state"]) == ("resolved_accepted", "rejected")
    assert row["outcome"]["text"] == rejected.text
    assert row["outcome"]["adjustment"]["exception"] == exc.label


def test_an_approved_adjustment_is_scheduled_then_paid_in_the_run_that_locks_it(db, accepted):
    dispute, exc, people = accepted
    _vote(db, people["desk"], exc)
    _vote(db, people["finance"], exc)
    db.commit()
    assert exc.state == "approved"
    assert outcome(db, dispute).text == (
        f"Accepted: adjustment {exc.label} of 250.00 USD is approved; the next payout run pays it."
    )
    run = _run_carrying(db, exc, "2026-Q4", "draft")
    scheduled = outcome(db, dispute)
    assert scheduled.state == "scheduled"
    assert f"draft run {run.id} (2026-Q4) carries it" in scheduled.text
    advance_run(db, run, "locked")
    db.commit()
    paid = outcome(db, dispute)
    assert paid.state == "paid"
    assert paid.text == (
        f"Accepted: adjustment {exc.label} of 250.00 USD paid in run {run.id} (2026-Q4)."
    )
    assert (paid.adjustment["run_id"], paid.adjustment["run_period"]) == (run.id, "2026-Q4")


def test_a_dispute_without_an_adjustment_says_where_it_stands(db, accepted, make_user):
    dispute, _exc, people = accepted
    other = run_with_lines(db, "ana", "bo", period="2026-Q2", plan_key="ae-plan")
    db.commit()
    second = disputes.file(db, people["ana"], other.ana.id, reason="wrong deal", today=MONDAY)
    assert outcome(db, second).text == "Open."
    disputes.resolve_reject(db, people["reviewer"], second.id, resolution="The deal is right.")
    assert (outcome(db, second).state, outcome(db, second).text) == (
        "resolved_rejected",
        "Rejected: The deal is right.",
    )
