"""The close of a payout run: votes bound to its content, approval, rejection, lock; the
database keeping a locked run, its lines and statements unchanged; audit records."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from governance import audit
from governance.errors import Conflict, DocumentRejected, InvalidTransition, NotAllowed, NotFound
from governance.payouts import close as payout_close
from models import AuditRecord
from models.payouts import PayoutLine, PayoutRun, Statement
from tests.support.payout_close import make_run


@pytest.fixture
def people(make_user):
    return {
        "admin": make_user("comp_admin"),
        "finance": make_user("committee", functions=["finance"]),
        "revops": make_user("committee", functions=["revops"]),
        "sales": make_user("committee", functions=["sales"]),
        "both": make_user("committee", functions=["finance", "revops"]),
        "rep": make_user("rep"),
    }


def _vote(db, user, run, decision="approve", comment=None, content_hash=None):
    return payout_close.cast_run_vote(
        db,
        user,
        run.id,
        decision=decision,
        content_hash=content_hash or payout_close.run_content_hash(run),
        comment=comment,
    )


def _actions(db, run) -> list[str]:
    return list(
        db.scalars(
            select(AuditRecord.action)
            .where(AuditRecord.object_id == run.label)
            .order_by(AuditRecord.id)
        )
    )


def test_finance_and_revops_approve_then_a_comp_admin_locks(db, people):
    run = make_run(db, people["admin"])
    _vote_, tally = _vote(db, people["finance"], run)
    assert (tally.outcome, run.state) == ("open", "draft")
    assert tally.missing == ["function:revops"]
    _vote_, tally = _vote(db, people["revops"], run)
    assert (tally.outcome, run.state) == ("approved", "approved")
    assert run.approved_at is not None
    with pytest.raises(InvalidTransition, match="drafts only"):
        _vote(db, people["sales"], run)
    with pytest.raises(NotAllowed, match="payouts.run"):
        payout_close.lock_run(db, people["finance"], run.id)
    # The starter may lock: the independent check was the committee's.
    payout_close.lock_run(db, people["admin"], run.id)
    assert (run.state, run.locked_by_id) == ("locked", people["admin"].id)
    assert _actions(db, run) == [
        "payout_run.vote",
        "payout_run.vote",
        "payout_run.approved",
        "payout_run.locked",
    ]
    assert tuple(audit.verify(db)) == (True, None, None)


def test_one_person_fills_one_function_and_nobody_votes_on_their_own_run(db, people):
    run = make_run(db, people["both"])
    with pytest.raises(NotAllowed, match="started"):
        _vote(db, people["both"], run)
    other = make_run(db, people["admin"], "2026-Q2")
    _v, tally = _vote(db, people["both"], other)
    _v, tally = _vote(db, people["sales"], other)
    # Two approvals, but one person cannot be both finance and revops.
    assert (tally.outcome, other.state) == ("open", "draft")
    assert len(tally.missing) == 1


def test_a_vote_names_the_runs_content_and_counts_for_that_content_only(db, people):
    run = make_run(db, people["admin"])
    with pytest.raises(Conflict, match="is not a vote on it"):
        _vote(db, people["finance"], run, content_hash="sha256:" + "1" * 64)
    before = payout_close.run_content_hash(run)
    _vote(db, people["finance"], run)
    with pytest.raises(Conflict, match="already voted"):
        _vote(db, people["finance"], run)
    # A re-run of the draft with other results is other content: a fresh ballot.
    run.version, run.result_hash = 2, "sha256:" + "2" * 64
    db.flush()
    assert payout_close.run_content_hash(run) != before
    assert payout_close.run_tally(db, run).approvals == []
    _v, tally = _vote(db, people["finance"], run)
    assert tally.approvals == [people["finance"].id]


def test_a_rejection_closes_the_ballot_until_the_period_is_re_run(db, people):
    run = make_run(db, people["admin"])
    with pytest.raises(DocumentRejected):
        _vote(db, people["finance"], run, "reject")  # a rejection needs a reason
    _v, tally = _vote(db, people["finance"], run, "reject", "Q1 FX rates are stale")
    assert (tally.outcome, run.state) == ("rejected", "draft")
    assert _actions(db, run)[-1] == "payout_run.rejected"
    with pytest.raises(Conflict, match="re-run"):
        _vote(db, people["revops"], run)
    with pytest.raises(InvalidTransition):
        payout_close.lock_run(db, people["admin"], run.id)
    run.version += 1  # what a re-run does
    db.flush()
    _vote(db, people["finance"], run)
    _v, tally = _vote(db, people["revops"], run)
    assert run.state == "approved"


def test_only_approved_runs_lock_and_only_committee_members_vote(db, people):
    run = make_run(db, people["admin"])
    with pytest.raises(InvalidTransition, match="cannot become locked"):
        payout_close.lock_run(db, people["admin"], run.id)
    with pytest.raises(NotAllowed, match="changes.vote"):
        _vote(db, people["rep"], run)
    with pytest.raises(NotAllowed):
        payout_close.lock_run(db, None, run.id)
    with pytest.raises(NotFound):
        payout_close.lock_run(db, people["admin"], 999999)


def test_the_database_keeps_a_locked_run_its_lines_and_statements(db, people):
    run = make_run(db, people["admin"], state="locked")
    db.commit()
    attempts = [
        update(PayoutRun).where(PayoutRun.id == run.id).values(note="changed"),
        update(PayoutRun).where(PayoutRun.id == run.id).values(state="draft"),
        update(PayoutLine).where(PayoutLine.run_id == run.id).values(amount=1),
        update(Statement).where(Statement.run_id == run.id).values(payable=1),
    ]
    for statement in attempts:
        with pytest.raises(IntegrityError), db.begin_nested():
            db.execute(statement)
    for model in (PayoutLine, Statement):
        with pytest.raises(IntegrityError), db.begin_nested():
            db.execute(model.__table__.delete().where(model.__table__.c.run_id == run.id))
    with pytest.raises(IntegrityError), db.begin_nested():
        db.execute(PayoutRun.__table__.delete().where(PayoutRun.id == run.id))
    db.expire_all()
    assert db.get(PayoutRun, run.id).state == "locked"
    assert [ln.amount for ln in db.scalars(select(PayoutLine).where(PayoutLine.run_id == run.id))]
