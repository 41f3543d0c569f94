"""Approval-rule proposals and what the database refuses on rule sets and change requests."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from governance import audit
from governance.committee import approval_rules
from governance.errors import Conflict, DocumentRejected, NotAllowed
from models import ChangeRequest
from tests.integration.committee import committee, plan_text, submitted


@pytest.fixture
def people(make_user):
    return committee(make_user)


def _lenient() -> dict:
    rules = approval_rules.document_of_default()
    rules["plan_change"]["min_approvals"] = 4
    return rules


def test_the_seeded_default_is_active_and_valid(db):
    active = approval_rules.active_rule_set(db)
    assert (active.number, active.state, active.decided_under) == (1, "active", None)
    assert approval_rules.document_of(active) == approval_rules.DEFAULT_RULES
    assert active.content_hash == approval_rules.canonical(approval_rules.DEFAULT_RULES)[1]


def test_a_proposal_is_refused_its_own_vote_and_can_be_withdrawn(db, people, make_user):
    proposer = make_user("comp_admin", "committee", functions=["revops"])
    rules = _lenient()
    proposal = approval_rules.propose(db, proposer, rules, note="stricter")
    with pytest.raises(Conflict, match="already up for a vote"):
        approval_rules.propose(db, people["author"], dict(rules, impact={"periods": 2, "top": 3}))
    with pytest.raises(NotAllowed, match="own proposal"):
        approval_rules.cast_rules_vote(
            db, proposer, proposal.number, decision="approve", content_hash=proposal.content_hash
        )
    with pytest.raises(Conflict):
        approval_rules.cast_rules_vote(
            db,
            people["finance"],
            proposal.number,
            decision="approve",
            content_hash=approval_rules.active_rule_set(db).content_hash,
        )
    with pytest.raises(NotAllowed):
        approval_rules.propose(db, people["finance"], rules)  # committee members vote
    approval_rules.withdraw(db, people["author"], proposal.number, note="rethink")
    assert proposal.state == "withdrawn"
    with pytest.raises(DocumentRejected, match="in force already"):
        approval_rules.propose(db, people["author"], approval_rules.DEFAULT_RULES)
    assert tuple(audit.verify(db)) == (True, None, None)


def test_one_rejection_rejects_a_proposal(db, people):
    proposal = approval_rules.propose(db, people["author"], _lenient())
    approval_rules.cast_rules_vote(
        db,
        people["sales"],
        proposal.number,
        decision="reject",
        content_hash=proposal.content_hash,
        comment="four is too many",
    )
    assert proposal.state == "rejected"
    assert approval_rules.active_rule_set(db).number == 1


def test_the_database_freezes_rule_sets_and_change_requests(db, people):
    submitted(db, people, plan_text())
    db.commit()
    request_id = db.scalar(select(ChangeRequest.id))
    for sql, params in (
        ("UPDATE approval_rule_sets SET document = '{}' WHERE number = 1", {}),
        ("UPDATE approval_rule_sets SET state = 'submitted' WHERE number = 1", {}),
        ("DELETE FROM approval_rule_sets WHERE number = 1", {}),
        ("UPDATE change_requests SET impact = '{}' WHERE id = :id", {"id": request_id}),
        ("DELETE FROM change_requests WHERE id = :id", {"id": request_id}),
    ):
        with pytest.raises(IntegrityError), db.begin_nested():
            db.execute(text(sql), params)
    # The lifecycle's own moves are accepted.
    proposal = approval_rules.propose(db, people["author"], _lenient())
    approval_rules.withdraw(db, people["author"], proposal.number)
    db.commit()
    assert proposal.state == "withdrawn"


def test_exceptions_route_by_their_estimated_impact(db):
    active = approval_rules.active_rule_set(db)
    small = approval_rules.exception_rule(active, Decimal("-10000"))
    assert (small.min_approvals, small.required_functions, small.required_roles) == (
        2,
        ("finance",),
        ("deal_desk",),
    )
    large = approval_rules.exception_rule(active, Decimal("10000.01"))
    assert large == approval_rules.plan_change_rule(active)
