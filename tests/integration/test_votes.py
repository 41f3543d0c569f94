"""Committee votes on plan versions: hash binding, separation of duties, quorum, rejection."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from governance import audit
from governance.errors import Conflict, DocumentRejected, InvalidTransition, NotAllowed
from governance.plans import lifecycle
from governance.plans.tally import plan_votes
from governance.plans.votes import cast_plan_vote
from models import AuditRecord, Vote
from tests.integration.committee import (
    approve_by_committee,
    committee,
    plan_text,
    submitted,
    vote,
)


@pytest.fixture
def people(make_user):
    return committee(make_user)


def _actions(db) -> list[str]:
    return list(db.scalars(select(AuditRecord.action).order_by(AuditRecord.id)))


def test_quorum_approves_in_the_same_transaction_with_audit_records(db, people):
    version = submitted(db, people, plan_text())
    _vote, first = vote(db, people["finance"], version, comment="ok for finance")
    assert (first.outcome, version.state) == ("open", "submitted")
    assert first.summary() == "1 of 3 approvals; still needed: function:sales"
    vote(db, people["sales"], version)
    _vote, last = vote(db, people["hr"], version)
    db.commit()
    assert (last.outcome, version.state) == ("approved", "approved")
    assert [t.to_state for t in version.transitions] == ["draft", "submitted", "approved"]
    assert version.transitions[-1].actor_id == people["hr"].id
    assert _actions(db)[-4:] == [
        "plan_version.vote",
        "plan_version.vote",
        "plan_version.vote",
        "plan_version.approved",
    ]
    assert tuple(audit.verify(db)) == (True, None, None)
    stored = plan_votes(db, version)
    assert [(v.voter_id, v.functions) for v in stored][:2] == [
        (people["finance"].id, ["finance"]),
        (people["sales"].id, ["sales"]),
    ]


def test_any_rejection_rejects_and_needs_a_reason(db, people):
    version = submitted(db, people, plan_text())
    vote(db, people["finance"], version)
    with pytest.raises(DocumentRejected) as refused:
        vote(db, people["sales"], version, "reject")
    assert [p.path for p in refused.value.problems] == ["comment"]
    _vote, result = vote(db, people["sales"], version, "reject", "accelerators too rich")
    db.commit()
    assert (result.outcome, version.state) == ("rejected", "rejected")
    assert "accelerators too rich" in version.transitions[-1].note
    with pytest.raises(InvalidTransition):
        vote(db, people["hr"], version)  # decided: later votes are refused, not kept


def test_a_vote_is_bound_to_the_content_hash(db, people):
    version = submitted(db, people, plan_text())
    other = "sha256:" + "0" * 64
    with pytest.raises(Conflict) as refused:
        cast_plan_vote(db, people["finance"], "ae-plan", 1, decision="approve", content_hash=other)
    assert refused.value.problems[0].path == "content_hash"
    assert plan_votes(db, version) == []


def test_separation_of_duties_and_one_vote_per_person(db, people, make_user):
    version = submitted(db, people, plan_text())
    with pytest.raises(NotAllowed):
        vote(db, people["rep"], version)  # no changes.vote
    with pytest.raises(NotAllowed):
        vote(db, None, version)  # the system has no judgement to cast
    # A committee member who also drafts plans cannot vote on their own change.
    member = make_user("committee", "comp_admin", functions=["finance"])
    own = lifecycle.create_draft(db, member, plan_text("0.05"))
    own = lifecycle.submit(db, member, "ae-plan", own.number, effective_from=date(2026, 4, 1))
    with pytest.raises(NotAllowed, match="own change"):
        vote(db, member, own)
    vote(db, people["finance"], version)
    with pytest.raises(Conflict, match="already voted"):
        vote(db, people["finance"], version)
    assert len(plan_votes(db, version)) == 1


def test_a_direct_approval_by_a_user_is_refused_and_the_deciding_vote_approves(db, people):
    version = submitted(db, people, plan_text(), effective=date(2026, 1, 1))
    with pytest.raises(Conflict, match="0 of 3 approvals"):
        lifecycle.approve(db, people["finance"], "ae-plan", 1)
    with pytest.raises(NotAllowed, match="plans.approve"):
        lifecycle.approve(db, people["author"], "ae-plan", 1)
    approve_by_committee(db, people, version)
    # The date was voted on with the plan: the deciding vote approves, nothing waits.
    assert (version.state, version.effective_from) == ("approved", date(2026, 1, 1))
    with pytest.raises(InvalidTransition):
        lifecycle.approve(db, people["both"], "ae-plan", 1)


def test_the_system_approves_directly_and_is_audited_as_the_system(db, people):
    version = submitted(db, people, plan_text())
    lifecycle.approve(db, None, "ae-plan", 1, note="demo history")
    assert version.state == "approved"
    entry = db.scalars(select(AuditRecord).order_by(AuditRecord.id.desc())).first()
    assert (entry.action, entry.actor_id) == ("plan_version.approved", None)


def test_votes_are_append_only_in_the_database(db, people):
    version = submitted(db, people, plan_text())
    vote(db, people["finance"], version)
    db.commit()
    vote_id = db.scalar(select(Vote.id))
    for sql in (
        "UPDATE votes SET decision = 'reject' WHERE id = :id",
        "DELETE FROM votes WHERE id = :id",
    ):
        with pytest.raises(IntegrityError), db.begin_nested():
            db.execute(text(sql), {"id": vote_id})
    with pytest.raises(IntegrityError), db.begin_nested():
        db.execute(
            text(
                "INSERT INTO votes (plan_version_id, voter_id, decision, content_hash,"
                " functions, roles, at) VALUES (:v, :u, 'approve', 'x', '[]', '[]', :at)"
            ),
            {"v": version.id, "u": people["finance"].id, "at": version.created_at},
        )
