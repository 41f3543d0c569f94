"""Payout exceptions: filing (checks, engine impact, routing), votes, withdrawal, expiry,
what evaluations see, and the audit trail. Both databases."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from governance import audit
from governance.committee import approval_rules
from governance.engine_input import database_data
from governance.errors import Conflict, DocumentRejected, InvalidTransition, NotAllowed, StaleEdit
from governance.exceptions import workflow as exceptions
from governance.imports.service import import_data
from governance.plans import lifecycle
from governance.plans import lookup as plans
from models import AuditRecord
from rules.evaluate import evaluate
from tests.integration.exception_setup import (
    adjustment,
    make_person,
    people,
    setup_plan_and_data,
    waive_gate,
)


@pytest.fixture
def crew(db):
    crew = people(db)
    setup_plan_and_data(db, crew["author"])
    db.commit()
    return crew


def _vote(db, user, exc, decision="approve", comment=None):
    return exceptions.cast_exception_vote(
        db, user, exc.id, decision=decision, content_hash=exc.content_hash, comment=comment
    )


def _payable(db, who: str, period: str, as_of: date) -> Decimal:
    plan = plans.plan_of(plans.version_governing(db, "ae-plan", as_of))
    data = database_data(
        db, up_to=as_of, exceptions=exceptions.approved_exceptions(db, as_of=as_of)
    )
    out = evaluate([plan], data, period)
    return sum(
        (Decimal(s["payable"]) for s in out["statements"] if s["participant"] == who),
        Decimal(0),
    )


def test_filing_a_gate_waiver_estimates_its_impact_with_the_engine(db, crew):
    exc = exceptions.file_exception(db, crew["desk"], waive_gate())
    db.commit()
    assert (exc.state, exc.route, exc.period) == ("submitted", "below", "2026-Q3")
    assert exc.estimated_impact == Decimal("3000.00")
    assert exc.impact["participants"] == [
        {"participant": "ana", "before": "6000.00", "after": "9000.00", "delta": "3000.00"}
    ]
    assert exc.impact["version"] == "ae-plan/1"
    assert exc.content_hash.startswith("sha256:")
    entry = db.scalars(select(AuditRecord).order_by(AuditRecord.id.desc())).first()
    assert (entry.action, entry.object_id) == ("payout_exception.submitted", exc.label)


def test_a_split_override_routes_by_the_pay_it_moves_not_its_net_cost(db, crew):
    fields = {
        "kind": "override_split",
        "plan": "ae-plan",
        "deal": "D-1",
        "credits": [{"participant": "ana", "share": "0.5"}, {"participant": "bo", "share": "0.5"}],
        "justification": "bo co-sold the account",
    }
    exc = exceptions.file_exception(db, crew["desk"], fields)
    assert exc.estimated_impact == 0
    assert exc.impact["moved"] == "6000.00"
    assert {r["participant"]: r["delta"] for r in exc.impact["participants"]} == {
        "ana": "-3000.00",
        "bo": "3000.00",
    }


def test_a_clawback_waiver_is_estimated_in_the_period_of_the_cancellation(db, crew):
    fields = {
        "kind": "waive_clawback",
        "plan": "ae-plan",
        "deal": "D-3",
        "rule": "churn",
        "justification": "customer churned because of our outage",
    }
    exc = exceptions.file_exception(db, crew["desk"], fields)
    assert (exc.period, exc.estimated_impact) == ("2026-Q4", Decimal("4000.00"))


def test_above_the_threshold_the_committee_decides(db, crew):
    exc = exceptions.file_exception(db, crew["desk"], adjustment("25000.00"))
    db.commit()
    assert exc.route == "committee"
    assert exceptions.deciding_rule(exc) == approval_rules.plan_change_rule(exc.rule_set)
    with pytest.raises(NotAllowed):  # the deal desk does not decide this one
        _vote(db, crew["lead"], exc)
    db.rollback()
    for who in ("finance", "sales"):
        _vote(db, crew[who], exc)
    assert exc.state == "submitted"
    _vote(db, crew["hr"], exc)
    assert exc.state == "approved"


def test_every_bad_field_is_reported_at_once_and_nothing_is_written(db, crew):
    body = {
        "kind": "adjustment",
        "plan": "ae-plan",
        "participant": "nobody",
        "period": "2026-07",
        "amount": 12.5,
        "currency": "EUR",
        "expires_on": "2020-01-01",
        "colour": "red",
    }
    with pytest.raises(DocumentRejected) as refused:
        exceptions.file_exception(db, crew["desk"], body)
    paths = sorted(p.path for p in refused.value.problems)
    assert paths == [
        "$.amount",
        "$.colour",
        "$.currency",
        "$.expires_on",
        "$.justification",
        "$.participant",
        "$.period",
    ]
    db.rollback()
    assert exceptions.list_exceptions(db) == []


def test_references_are_checked_against_the_governing_version(db, crew):
    with pytest.raises(DocumentRejected) as refused:
        exceptions.file_exception(db, crew["desk"], waive_gate(rule="no-such-gate"))
    assert [(p.path, p.message) for p in refused.value.problems] == [
        ("$.rule", "ae-plan/1 has no gate 'no-such-gate'")
    ]
    with pytest.raises(DocumentRejected) as refused:
        exceptions.file_exception(db, crew["desk"], waive_gate(deal="D-404", plan="other"))
    assert sorted(p.path for p in refused.value.problems) == ["$.deal", "$.plan"]


def test_below_the_threshold_the_deal_desk_and_finance_approve(db, crew):
    exc = exceptions.file_exception(db, crew["desk"], waive_gate())
    db.commit()
    with pytest.raises(NotAllowed):
        _vote(db, crew["desk"], exc)  # nobody votes on their own exception
    db.rollback()
    _vote(db, crew["lead"], exc)
    db.commit()
    with pytest.raises(Conflict):
        _vote(db, crew["lead"], exc)  # one vote per person
    db.rollback()
    _, tally = _vote(db, crew["sales"], exc)  # a second approval, but not finance
    assert tally.missing == ["function:finance"] and exc.state == "submitted"
    _, tally = _vote(db, crew["finance"], exc)
    db.commit()
    assert exc.state == "approved" and exc.version == 2
    assert tally.filled == {
        "function:finance": crew["finance"].id,
        "role:deal_desk": crew["lead"].id,
    }
    with pytest.raises(InvalidTransition):
        _vote(db, crew["hr"], exc)  # decided: later votes are refused, not kept
    db.rollback()
    actions = [
        r.action
        for r in db.scalars(
            select(AuditRecord).where(AuditRecord.object_id == exc.label).order_by(AuditRecord.id)
        )
    ]
    assert actions == ["payout_exception.submitted"] + ["payout_exception.vote"] * 3 + [
        "payout_exception.approved"
    ]
    assert tuple(audit.verify(db)) == (True, None, None)


def test_a_vote_is_bound_to_the_content_hash(db, crew):
    exc = exceptions.file_exception(db, crew["desk"], waive_gate())
    with pytest.raises(Conflict) as refused:
        exceptions.cast_exception_vote(
            db, crew["lead"], exc.id, decision="approve", content_hash="sha256:" + "0" * 64
        )
    assert refused.value.problems[0].path == "content_hash"


def test_one_rejection_rejects_and_needs_a_reason(db, crew):
    exc = exceptions.file_exception(db, crew["desk"], waive_gate())
    db.commit()
    with pytest.raises(DocumentRejected):
        _vote(db, crew["finance"], exc, "reject")
    db.rollback()
    _vote(db, crew["finance"], exc, "reject", comment="margin too thin")
    assert exc.state == "rejected"
    assert exceptions.approved_exceptions(db, as_of=date(2026, 9, 30)) == []


def test_one_person_with_both_hats_counts_once(db, crew):
    both = make_person(db, "both", "deal_desk", "committee", functions=["finance"])
    exc = exceptions.file_exception(db, crew["desk"], waive_gate())
    _, tally = _vote(db, both, exc)
    assert (tally.outcome, len(tally.approvals)) == ("open", 1)
    # The others who may still vote (the lead, finance...; never the filer) can approve.
    assert tally.possible is True and tally.undecided >= 2


def test_withdrawal_only_by_the_filer_or_the_desk_and_stale_versions_conflict(db, crew):
    exc = exceptions.file_exception(db, crew["desk"], waive_gate())
    with pytest.raises(NotAllowed):
        exceptions.withdraw(db, crew["finance"], exc.id)
    with pytest.raises(StaleEdit):
        exceptions.withdraw(db, crew["desk"], exc.id, expected_version=7)
    exceptions.withdraw(db, crew["desk"], exc.id, note="filed twice", expected_version=1)
    assert (exc.state, exc.version) == ("withdrawn", 2)
    with pytest.raises(InvalidTransition):
        _vote(db, crew["lead"], exc)


def test_approved_exceptions_feed_evaluations_until_they_expire(db, crew):
    gate = exceptions.file_exception(db, crew["desk"], waive_gate(expires_on="2026-12-31"))
    bonus = exceptions.file_exception(db, crew["desk"], adjustment("500.00"))
    for exc in (gate, bonus):
        _vote(db, crew["lead"], exc)
        _vote(db, crew["finance"], exc)
    db.commit()
    in_force = exceptions.approved_exceptions(db, as_of=date(2026, 9, 30))
    assert in_force == [
        {"id": gate.label, "kind": "waive_gate", "deal": "D-2", "gate": "margin-floor"},
        {
            "id": bonus.label,
            "kind": "adjustment",
            "participant": "ana",
            "plan": "ae-plan",
            "period": "2026-Q3",
            "amount": "500.00",
            "reason": "SPIF promised in the kickoff, not in the plan",
        },
    ]
    # 6000 (D-1) + 3000 (D-2, gate waived) + 500 (adjustment).
    assert _payable(db, "ana", "2026-Q3", date(2026, 9, 30)) == Decimal("9500.00")
    # After the gate waiver's expiry, evaluations of later data no longer see it.
    later = exceptions.approved_exceptions(db, as_of=date(2027, 1, 5))
    assert [x["id"] for x in later] == [bonus.label]
    assert exceptions.shown_state(gate, on=date(2027, 1, 1)) == "expired"
    # Before the deal closed, its exception is not in the data (the deal is not either).
    assert [x["id"] for x in exceptions.approved_exceptions(db, as_of=date(2026, 7, 20))] == [
        bonus.label
    ]


def test_a_second_exception_is_estimated_over_the_approved_ones(db, crew):
    first = exceptions.file_exception(db, crew["desk"], waive_gate())
    _vote(db, crew["lead"], first)
    _vote(db, crew["finance"], first)
    again = exceptions.file_exception(db, crew["desk"], waive_gate())
    assert again.estimated_impact == 0  # the gate is waived already


def test_a_rep_cannot_file_an_exception(db, crew):
    with pytest.raises(NotAllowed):
        exceptions.file_exception(db, crew["rep"], adjustment())
    assert exceptions.list_exceptions(db) == []


TIERED = """\
policy: tier-plan
title: Tiered plan
currency: USD
period: quarter
credit:
  - id: owner
    to: owner
    share: 1
rates:
  - id: default
    rate: 0.05
tiers:
  basis: attainment
  bands:
    - {id: base, from: 0, multiplier: 1}
"""


def test_an_impact_the_engine_cannot_estimate_goes_to_the_committee(db, crew):
    lifecycle.create_draft(db, crew["author"], TIERED)
    lifecycle.submit(db, crew["author"], "tier-plan", 1, effective_from=date(2026, 1, 1))
    lifecycle.approve(db, None, "tier-plan", 1)
    lifecycle.activate(db, crew["author"], "tier-plan", 1)
    import_data(
        db,
        {
            "participants": [
                {"id": "cy", "assignments": [{"plan": "tier-plan", "start": "2026-01-01"}]}
            ],
            "deals": [
                {
                    "id": "T-1",
                    "amount": "1000",
                    "currency": "USD",
                    "close_date": "2026-08-01",
                    "owner": "cy",
                }
            ],
        },
        source="no quota",
    )
    exc = exceptions.file_exception(
        db, crew["desk"], adjustment("10.00", participant="cy", plan="tier-plan")
    )
    assert (exc.route, exc.impact["complete"], exc.estimated_impact) == ("committee", False, 0)
    assert "quota" in exc.impact["problems"][0]["message"]


def test_a_submitted_exception_past_its_expiry_takes_no_votes(db, crew, monkeypatch):
    exc = exceptions.file_exception(db, crew["desk"], waive_gate(expires_on="2026-12-31"))
    db.commit()
    monkeypatch.setattr(exceptions, "_today", lambda: date(2027, 1, 1))
    with pytest.raises(InvalidTransition):
        _vote(db, crew["lead"], exc)
    db.rollback()
    assert "expired" in exceptions.vote_refusal(db, crew["lead"], exc)
    exceptions.withdraw(db, crew["desk"], exc.id)
    assert exc.state == "withdrawn"
