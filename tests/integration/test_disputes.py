"""Disputes: filing, review, resolution, escalation, visibility, stale edits, database guards."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from config import DUE_DAYS_ENV, dispute_due_business_days
from governance import audit
from governance.disputes import rules as dispute_rules
from governance.disputes import workflow as disputes
from governance.disputes.rules import DUE_BUSINESS_DAYS
from governance.errors import Conflict, Invalid, InvalidTransition, NotAllowed, NotFound, StaleEdit
from models import Participant
from models.disputes import Dispute, DisputeEvent
from tests.support.database import refused
from tests.support.disputes import participants, run_with_lines

MONDAY = date(2026, 11, 2)


@pytest.fixture
def world(db, make_user):
    mia, ana, bob = participants(db)
    lines = run_with_lines(db, ana, bob)
    db.commit()
    return {
        "lines": lines,
        "ana": make_user("rep", participant_id=ana),
        "bob": make_user("rep", participant_id=bob),
        "mia": make_user("manager", participant_id=mia),
        "reviewer": make_user("comp_admin"),
        "auditor": make_user("auditor"),
    }


def _file(db, world, who="ana", line=None, **kwargs):
    line = line or world["lines"].ana
    kwargs.setdefault("reason", "The deal closed in Q3, not Q4.")
    return disputes.file(db, world[who], line.id, today=MONDAY, **kwargs)


def _actions(db, dispute):
    stmt = audit.list_records(db, object_type="dispute", object_id=str(dispute.id))
    return [r.action for r in reversed(db.scalars(stmt).all())]


def test_a_rep_files_a_dispute_on_their_own_locked_line(db, world):
    attachments = [{"name": "crm-note.txt", "text": "Closed-won 2026-09-29"}]
    dispute = _file(db, world, attachments=attachments, claimed_amount="150.255")
    assert dispute.state == "open"
    assert dispute.participant_id == world["lines"].ana.participant_id
    assert dispute.filed_by_id == world["ana"].id
    assert dispute.attachments == attachments
    assert str(dispute.claimed_amount) == "150.26"  # half-up to cents
    assert dispute.due_on == date(2026, 11, 16)  # ten working days after a Monday
    assert [(e.kind, e.to_state) for e in dispute.events] == [("filed", "open")]
    assert _actions(db, dispute) == ["dispute.filed"]
    assert dispute_due_business_days({}) is None and DUE_BUSINESS_DAYS == 10  # the default
    assert dispute_due_business_days({DUE_DAYS_ENV: "5"}) == 5
    assert dispute_rules.add_business_days(date(2026, 11, 7), 1) == date(2026, 11, 9)  # Saturday


def test_filing_refusals(db, world, make_user):
    lines = world["lines"]
    with pytest.raises(NotFound):  # someone else's line is not one a rep can name
        _file(db, world, line=lines.bob)
    with pytest.raises(NotAllowed):  # a manager reads, does not file
        _file(db, world, who="mia")
    draft = run_with_lines(db, lines.ana.participant_id, lines.bob.participant_id, state="draft")
    with pytest.raises(NotFound):  # a rep does not see a draft's line (not published)
        _file(db, world, line=draft.ana)
    with pytest.raises(Conflict, match="not locked"):  # whoever sees it: not locked yet
        disputes.file(db, None, draft.ana.id, reason="draft", today=MONDAY)
    _file(db, world)
    with pytest.raises(Conflict, match="already has an unresolved dispute"):
        _file(db, world)
    with pytest.raises(Invalid) as caught:
        _file(
            db,
            world,
            line=lines.ana2,
            reason="  ",
            attachments=[{"name": "x"}, "nope"],
            claimed_amount=1.5,
        )
    paths = [p.path for p in caught.value.problems]
    assert paths == ["reason", "attachments[0].text", "attachments[1]", "claimed_amount"]
    db.rollback()
    assert db.scalar(select(Dispute).where(Dispute.payout_line_id == lines.ana2.id)) is None


def test_review_then_rejection_with_a_reason(db, world):
    dispute = _file(db, world)
    with pytest.raises(NotAllowed):
        disputes.start_review(db, world["ana"], dispute.id)
    disputes.start_review(db, world["reviewer"], dispute.id, comment="Looking at the CRM.")
    disputes.comment(db, world["ana"], dispute.id, "Attached the close date.")
    with pytest.raises(Invalid) as caught:
        disputes.resolve_reject(db, world["reviewer"], dispute.id, resolution=" ")
    assert [p.path for p in caught.value.problems] == ["resolution"]
    disputes.resolve_reject(
        db, world["reviewer"], dispute.id, resolution="Closed on 2026-10-02 in the CRM."
    )
    assert dispute.state == "resolved_rejected"
    assert dispute.resolved_by_id == world["reviewer"].id
    history = [(e.kind, e.from_state, e.to_state, e.actor_id) for e in dispute.events]
    assert history == [
        ("filed", None, "open", world["ana"].id),
        ("review_started", "open", "under_review", world["reviewer"].id),
        ("comment", None, None, world["ana"].id),
        ("rejected", "under_review", "resolved_rejected", world["reviewer"].id),
    ]
    assert _actions(db, dispute) == [
        "dispute.filed",
        "dispute.under_review",
        "dispute.comment",
        "dispute.resolved_rejected",
    ]
    with pytest.raises(InvalidTransition):
        disputes.comment(db, world["ana"], dispute.id, "But...")
    with pytest.raises(InvalidTransition):
        disputes.start_review(db, world["reviewer"], dispute.id)
    again = _file(db, world)  # once resolved, the line can be disputed again
    assert again.state == "open"


def test_nobody_reviews_a_dispute_of_their_own_pay(db, world, make_user):
    dispute = _file(db, world)
    both = make_user("comp_admin", "rep", participant_id=None)
    both.participant_id = world["ana"].participant_id  # (the unique link moves to them)
    world["ana"].participant_id = None
    db.flush()
    with pytest.raises(NotAllowed, match="own pay"):
        disputes.resolve_reject(db, both, dispute.id, resolution="no")


def test_stale_version_is_refused(db, world):
    dispute = _file(db, world)
    read = dispute.version
    disputes.comment(db, world["ana"], dispute.id, "one more thing", expected_version=read)
    assert dispute.version == read + 1
    with pytest.raises(StaleEdit):
        disputes.resolve_reject(
            db, world["reviewer"], dispute.id, resolution="no", expected_version=read
        )
    assert dispute.state == "open"


def test_who_sees_what(db, world, make_user):
    ana_dispute = _file(db, world)
    bob_dispute = _file(db, world, who="bob", line=world["lines"].bob)

    def ids(who, **kwargs):
        return [d.id for d in db.scalars(dispute_rules.visible(db, world[who], **kwargs))]

    assert ids("ana") == [ana_dispute.id]
    assert ids("bob") == [bob_dispute.id]
    assert ids("mia") == [ana_dispute.id]  # her team: ana
    assert ids("mia", scope="mine") == []
    assert ids("mia", scope="team") == [ana_dispute.id]
    assert set(ids("reviewer")) >= {ana_dispute.id, bob_dispute.id}
    assert set(ids("auditor", scope="all")) >= {ana_dispute.id, bob_dispute.id}
    with pytest.raises(NotAllowed):
        ids("ana", scope="all")
    with pytest.raises(NotFound):
        dispute_rules.get(db, world["bob"], ana_dispute.id)
    assert dispute_rules.get(db, world["mia"], ana_dispute.id) is ana_dispute
    # The team is transitive, as for statements: mia's own manager sees ana's dispute too.
    boss = make_user("manager", participant_id=None)
    db.add(Participant(id="boss", name="Second-line"))
    db.flush()
    db.get(Participant, world["mia"].participant_id).manager_id = "boss"
    boss.participant_id = "boss"
    db.flush()
    assert [d.id for d in db.scalars(dispute_rules.visible(db, boss))] == [ana_dispute.id]
    assert dispute_rules.get(db, boss, ana_dispute.id) is ana_dispute
    with pytest.raises(NotFound):
        disputes.comment(db, world["bob"], ana_dispute.id, "hi")
    with pytest.raises(NotAllowed):  # the manager reads, does not write
        disputes.comment(db, world["mia"], ana_dispute.id, "hi")


def test_escalation_marks_overdue_disputes_once(db, world):
    filed_on = date(2026, 10, 26)  # a Monday: due two weeks later, 2026-11-09
    overdue = disputes.file(db, world["ana"], world["lines"].ana.id, reason="late", today=filed_on)
    in_time = _file(db, world, line=world["lines"].ana2)
    resolved = _file(db, world, who="bob", line=world["lines"].bob)
    disputes.resolve_reject(db, world["reviewer"], resolved.id, resolution="no")
    assert disputes.escalate_overdue(db, date(2026, 11, 9)) == []  # due today: still in time
    first = disputes.escalate_overdue(db, date(2026, 11, 11))
    assert [d.id for d in first] == [overdue.id]
    assert dispute_rules.is_overdue(overdue, date(2026, 11, 11))
    assert not dispute_rules.is_overdue(in_time, date(2026, 11, 11))
    assert overdue.escalated_at is not None
    assert overdue.events[-1].kind == "escalated"
    assert "overdue by 2 days" in overdue.events[-1].comment
    assert disputes.escalate_overdue(db, date(2026, 11, 12)) == []  # idempotent
    assert _actions(db, overdue)[-1] == "dispute.escalated"
    assert _actions(db, overdue).count("dispute.escalated") == 1


def test_the_database_guards_the_history_and_the_lifecycle(db, world):
    dispute = _file(db, world)
    disputes.resolve_reject(db, world["reviewer"], dispute.id, resolution="no")
    db.commit()
    event_id = dispute.events[0].id
    statements = [
        ("UPDATE dispute_events SET comment = 'rewritten' WHERE id = :i", event_id),
        ("DELETE FROM dispute_events WHERE id = :i", event_id),
        ("UPDATE disputes SET state = 'open', resolved_at = NULL WHERE id = :i", dispute.id),
        ("UPDATE disputes SET resolution = 'changed' WHERE id = :i", dispute.id),
        ("DELETE FROM disputes WHERE id = :i", dispute.id),
    ]
    for sql, ident in statements:
        refused(db, sql, {"i": ident}, error=DBAPIError)
    fresh = _file(db, world)
    db.commit()
    refused(  # a rejection without a reason
        db,
        "UPDATE disputes SET state = 'resolved_rejected', resolved_at = updated_at WHERE id = :i",
        {"i": fresh.id},
        error=DBAPIError,
    )
    refused(
        db, "UPDATE disputes SET reason = 'other' WHERE id = :i", {"i": fresh.id}, error=DBAPIError
    )
    assert db.scalar(select(DisputeEvent.comment).where(DisputeEvent.id == event_id)) != "rewritten"


def test_accepting_files_an_adjustment_exception_routed_like_any(db, make_user):
    from models.exceptions import PayoutException
    from tests.integration.exception_setup import setup_plan_and_data

    setup_plan_and_data(db, make_user("comp_admin"))
    lines = run_with_lines(db, "ana", "bo", period="2026-Q3", plan_key="ae-plan")
    db.commit()
    ana, reviewer = make_user("rep", participant_id="ana"), make_user("comp_admin")
    dispute = disputes.file(db, ana, lines.ana.id, reason="D-1 was new business", today=MONDAY)
    with pytest.raises(Invalid) as caught:  # no claim, no amount: how much?
        disputes.resolve_accept(db, reviewer, dispute.id)
    assert [p.path for p in caught.value.problems] == ["amount"]
    disputes.resolve_accept(db, reviewer, dispute.id, amount="250.005", resolution="Agreed.")
    assert dispute.state == "resolved_accepted"
    exc = db.get(PayoutException, dispute.exception_id)
    assert (exc.kind, exc.state, exc.participant_id, exc.plan_key) == (
        "adjustment",
        "submitted",
        "ana",
        "ae-plan",
    )
    assert (exc.period, str(exc.amount), exc.dispute_id) == ("2026-Q3", "250.010000", dispute.id)
    assert exc.route == "below"  # a small adjustment: deal desk and finance decide
    assert exc.justification.startswith(f"Dispute {dispute.id} accepted")
    assert dispute.events[-1].kind == "accepted"
    assert _actions(db, dispute)[-1] == "dispute.resolved_accepted"
    with pytest.raises(InvalidTransition):
        disputes.resolve_reject(db, reviewer, dispute.id, resolution="changed my mind")
