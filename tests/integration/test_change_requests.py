"""Submission checks and the impact simulation stored with a change request (both databases)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from governance.committee import approval_rules
from governance.errors import DocumentRejected
from governance.plans import lifecycle
from governance.plans import lookup as plans
from governance.plans.change_requests import review
from governance.plans.tally import change_request_of
from models.approvals import ChangeRequest
from tests.integration.committee import (
    EMBEDDED_TEST,
    approve_by_committee,
    committee,
    import_history,
    plan_text,
    submitted,
    vote,
)


@pytest.fixture
def people(make_user):
    return committee(make_user)


def _active_v1(db, people):
    """ae-plan version 1 (new business at 6%) active, approved by the committee."""
    version = submitted(db, people, plan_text("0.06"))
    approve_by_committee(db, people, version)
    lifecycle.activate(db, people["author"], "ae-plan", 1)
    return version


def test_failing_embedded_tests_block_submission_listing_each_difference(db, people):
    text = plan_text("0.06", tests=EMBEDDED_TEST.format(payable="700.00"))
    lifecycle.create_draft(db, people["author"], text)
    db.commit()
    with pytest.raises(DocumentRejected) as refused:
        lifecycle.submit(db, people["author"], "ae-plan", 1, effective_from=date(2026, 1, 1))
    db.rollback()
    assert [(p.path, p.message) for p in refused.value.problems] == [
        (
            "tests[0]",
            "a new deal pays the new-business rate: ana payable: expected 700, got 600.00",
        )
    ]
    assert plans.get_version(db, "ae-plan", 1).state == "draft"
    assert db.scalar(select(func.count()).select_from(ChangeRequest)) == 0


def test_passing_tests_and_the_impact_are_stored_with_the_change_request(db, people):
    text = plan_text("0.06", tests=EMBEDDED_TEST.format(payable="600.00"))
    version = submitted(db, people, text)
    request = change_request_of(db, version)
    assert request.tests == [
        {"name": "a new deal pays the new-business rate", "period": "2026-Q3", "passed": True}
    ]
    assert request.rule_set.number == 1
    assert request.impact["proposed"] == {"label": "ae-plan/1", "version": version.content_hash}
    assert request.impact["replaced"] is None  # a new plan replaces nothing


def test_the_impact_compares_with_the_active_version_over_the_last_four_periods(db, people):
    history = import_history(db)
    _active_v1(db, people)
    v2 = submitted(db, people, plan_text("0.07"))
    db.commit()
    impact = change_request_of(db, v2).impact
    names = [q.name for q in history["quarters"]]
    assert (impact["periods"], impact["complete"], impact["deals"]) == (names, True, 8)
    assert impact["replaced"]["label"] == "ae-plan/1"
    for entry in impact["by_period"]:
        # ana: 100000 new business, 6% -> 7%; bo: expansion at the default rate, unchanged.
        assert entry["participants"] == [
            {"participant": "ana", "before": "6000.00", "after": "7000.00", "delta": "1000.00"},
            {"participant": "bo", "before": "1000.00", "after": "1000.00", "delta": "0.00"},
        ]
        assert entry["total"] == {"before": "7000.00", "after": "8000.00", "delta": "1000.00"}
    assert impact["total"] == {"before": "28000.00", "after": "32000.00", "delta": "4000.00"}
    assert impact["top"] == [
        {"participant": "ana", "before": "24000.00", "after": "28000.00", "delta": "4000.00"}
    ]


def test_an_evaluation_error_in_a_period_is_reported_not_raised(db, people):
    import_history(db, quota_gap=True)  # no quotas in the last of the four quarters
    _active_v1(db, people)
    v2 = submitted(db, people, plan_text("0.06", tiers=True))
    impact = change_request_of(db, v2).impact
    assert impact["complete"] is False
    *fine, failed = impact["by_period"]
    assert all(entry["errors"] == {} for entry in fine)
    assert list(failed["errors"]) == ["proposed"]  # v1 has no tiers: it needs no quota
    assert "quota" in failed["errors"]["proposed"][0]["message"]
    assert (failed["participants"], failed["total"]) == ([], None)
    # Overall sums leave the failed period out: three quarters of 7000 before.
    assert impact["total"]["before"] == "21000.00"


def test_review_can_be_computed_for_any_date_and_window(db, people):
    import_history(db)
    v1 = _active_v1(db, people)
    result = review(db, v1, plans.plan_of(v1), as_of=date(2000, 1, 1), periods=2, top=3)
    assert result["periods"] == ["1999-Q3", "1999-Q4"]
    assert result["total"] == {"before": "0.00", "after": "0.00", "delta": "0.00"}
    assert result["deals"] == 0


def test_a_request_is_decided_under_the_rules_in_force_when_it_was_submitted(db, people):
    early = submitted(db, people, plan_text("0.06"))
    rules = approval_rules.document_of(approval_rules.active_rule_set(db))
    rules["plan_change"] = {
        "min_approvals": 1,
        "required_functions": [],
        "required_roles": [],
        "any_rejection_rejects": True,
    }
    rules["impact"] = {"periods": 2, "top": 1}
    proposal = approval_rules.propose(db, people["author"], rules, note="one will do")
    assert approval_rules.validate_rules(rules) == []
    for who in ("finance", "sales", "hr"):
        approval_rules.cast_rules_vote(
            db,
            people[who],
            proposal.number,
            decision="approve",
            content_hash=proposal.content_hash,
        )
    assert approval_rules.active_rule_set(db).number == 2
    # The early request still needs three approvals; one submitted now needs one.
    _vote, result = vote(db, people["finance"], early)
    assert (result.outcome, early.state) == ("open", "submitted")
    lifecycle.withdraw(db, people["author"], "ae-plan", early.number)
    late = submitted(db, people, plan_text("0.08"))
    assert len(change_request_of(db, late).impact["periods"]) == 2
    _vote, result = vote(db, people["hr"], late)
    assert (result.outcome, late.state) == ("approved", "approved")
    assert Decimal(result.rule.min_approvals) == 1
