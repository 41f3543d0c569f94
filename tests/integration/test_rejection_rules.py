"""Rejection under both settings of `any_rejection_rejects`: by vote, by impossibility of
approval, and by an explicit decision (the reject route), on both databases."""

from __future__ import annotations

from datetime import date

import pytest

from governance import audit
from governance.committee import approval_rules
from governance.errors import Conflict, InvalidTransition, NotAllowed
from governance.plans import lifecycle
from tests.integration.committee import committee, plan_text, submitted, vote


@pytest.fixture
def people(make_user):
    return committee(make_user)  # four committee members: finance, sales, hr, both


def _lenient_rules_in_force(db) -> None:
    """Rules where a rejection is dissent: 3 approvals incl. finance and sales."""
    rules = approval_rules.document_of_default()
    rules["plan_change"]["any_rejection_rejects"] = False
    proposal = approval_rules.propose(db, None, rules)
    approval_rules.decide(db, None, proposal, "active", "test setup")


def test_lenient_rules_a_rejection_is_dissent_and_the_version_is_approved(db, people):
    _lenient_rules_in_force(db)
    version = submitted(db, people, plan_text())
    _v, result = vote(db, people["hr"], version, "reject", "too generous")
    assert (result.outcome, result.possible, version.state) == ("open", True, "submitted")
    for who in ("finance", "sales"):
        vote(db, people[who], version)
    assert version.state == "submitted"  # two approvals of three
    _v, result = vote(db, people["both"], version)
    db.commit()
    assert (result.outcome, len(result.rejections), version.state) == ("approved", 1, "approved")
    assert tuple(audit.verify(db)) == (True, None, None)


def test_lenient_rules_reject_once_approval_becomes_impossible(db, people):
    _lenient_rules_in_force(db)
    version = submitted(db, people, plan_text())
    vote(db, people["finance"], version)
    vote(db, people["hr"], version, "reject", "too generous")
    assert version.state == "submitted"
    # Now only finance (voted) and both remain able to approve: 2 < 3.
    _v, result = vote(db, people["sales"], version, "reject", "accelerators too rich")
    db.commit()
    assert (result.outcome, result.possible, version.state) == ("rejected", False, "rejected")
    note = version.transitions[-1].note
    assert "approval no longer possible" in note and "accelerators too rich" in note
    with pytest.raises(InvalidTransition):
        vote(db, people["both"], version)


def test_lenient_rules_refuse_a_members_direct_rejection_until_impossible(db, people):
    _lenient_rules_in_force(db)
    version = submitted(db, people, plan_text())
    with pytest.raises(Conflict, match="a rejection is a vote"):
        lifecycle.reject(db, people["finance"], "ae-plan", version.number, note="no")
    assert version.state == "submitted"
    vote(db, people["hr"], version, "reject", "too generous")
    # Two members leave the committee: with hr against, approval is out of reach, which
    # only a later decision can record (no vote is pending to notice it).
    for who in ("finance", "sales"):
        people[who].is_active = False
    db.flush()
    rejected = lifecycle.reject(
        db, people["both"], "ae-plan", version.number, note="no quorum left"
    )
    assert rejected.state == "rejected"
    assert rejected.transitions[-1].actor_id == people["both"].id


def test_the_system_rejects_explicitly_under_lenient_rules(db, people):
    _lenient_rules_in_force(db)
    version = submitted(db, people, plan_text())
    lifecycle.reject(db, None, "ae-plan", version.number, note="withdrawn by the committee chair")
    db.commit()
    assert version.state == "rejected"
    assert tuple(audit.verify(db)) == (True, None, None)


def test_strict_rules_one_members_direct_rejection_decides(db, people, make_user):
    version = submitted(db, people, plan_text())
    lifecycle.reject(db, people["hr"], "ae-plan", version.number, note="too generous")
    assert version.state == "rejected"
    # Nobody rejects their own change, even holding plans.approve.
    author = make_user("comp_admin", "committee", functions=["revops"])
    own = lifecycle.create_draft(db, author, plan_text(rate="0.07"))
    lifecycle.submit(db, author, "ae-plan", own.number, effective_from=date(2026, 1, 1))
    with pytest.raises(NotAllowed, match="own change"):
        lifecycle.reject(db, author, "ae-plan", own.number, note="second thoughts")


def test_lenient_rules_for_approval_rules_proposals(db, people, make_user):
    rules = approval_rules.document_of_default()
    rules["approval_rules"]["any_rejection_rejects"] = False
    lenient = approval_rules.propose(db, None, rules)
    approval_rules.decide(db, None, lenient, "active", "test setup")
    rules = approval_rules.document_of_default()
    rules["impact"]["top"] = 5
    proposal = approval_rules.propose(db, people["author"], rules)
    for who, comment in (("hr", "no"), ("sales", "no either")):
        _v, result = approval_rules.cast_rules_vote(
            db,
            people[who],
            proposal.number,
            decision="reject",
            content_hash=proposal.content_hash,
            comment=comment,
        )
    # 4 members, 2 against: the remaining finance and both are two of the three needed.
    assert (result.outcome, proposal.state) == ("rejected", "rejected")
