"""Real concurrent transactions on PostgreSQL: one dispute per line, one resolution, no
deadlock between a resolution and the daily escalation."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from governance import audit
from governance.accounts import create_user
from governance.disputes import workflow as disputes
from models import Dispute, DisputeEvent, User
from tests.support.database import race
from tests.support.disputes import participants, run_with_lines


@pytest.fixture
def pg(pg_engine):
    with Session(pg_engine) as session:
        _mia, ana, bob = participants(session)
        lines = run_with_lines(session, ana, bob)
        for name, roles, participant in (
            ("ana", ["rep"], ana),
            ("rev1", ["comp_admin"], None),
            ("rev2", ["comp_admin"], None),
        ):
            create_user(
                session,
                email=f"{name}@example.test",
                name=name,
                password="correct horse battery",
                roles=roles,
                participant_id=participant,
            )
        session.commit()
        line_id = lines.ana.id
    return pg_engine, line_id


def _user(session: Session, name: str) -> User:
    return session.scalars(select(User).where(User.email == f"{name}@example.test")).one()


def _read_disputes(session: Session) -> None:
    session.scalars(select(Dispute)).all()  # everyone reads the current state first


def _file(engine, line_id: int, today: date | None = None) -> int:
    with Session(engine) as session:
        dispute = disputes.file(session, _user(session, "ana"), line_id, reason="r", today=today)
        session.commit()
        return dispute.id


def test_two_filings_on_one_line_make_one_dispute(pg):
    engine, line_id = pg

    def file(session):
        disputes.file(session, _user(session, "ana"), line_id, reason="twice")

    outcomes = race(engine, {"first": file, "second": file}, read=_read_disputes)
    assert sorted(outcomes.values()) == ["Conflict", "done"]
    with Session(engine) as check:
        assert check.scalar(select(func.count()).select_from(Dispute)) == 1
        assert tuple(audit.verify(check)) == (True, None, None)


def test_two_reviewers_resolving_at_once_resolve_once(pg):
    engine, line_id = pg
    dispute_id = _file(engine, line_id)

    def reject(name):
        return lambda s: disputes.resolve_reject(s, _user(s, name), dispute_id, resolution=name)

    outcomes = race(engine, {"rev1": reject("rev1"), "rev2": reject("rev2")}, read=_read_disputes)
    assert sorted(outcomes.values()) == ["InvalidTransition", "done"]
    winner = next(n for n, o in outcomes.items() if o == "done")
    with Session(engine) as check:
        dispute = check.get(Dispute, dispute_id)
        assert (dispute.state, dispute.resolution) == ("resolved_rejected", winner)
        kinds = check.scalars(
            select(DisputeEvent.kind).where(DisputeEvent.dispute_id == dispute_id)
        ).all()
        assert kinds == ["filed", "rejected"]
        assert tuple(audit.verify(check)) == (True, None, None)


def test_escalation_racing_a_resolution_neither_deadlocks_nor_overwrites(pg):
    engine, line_id = pg
    dispute_id = _file(engine, line_id, today=date(2020, 1, 6))

    def reject(s):
        disputes.resolve_reject(s, _user(s, "rev1"), dispute_id, resolution="no")

    def escalate(s):
        disputes.escalate_overdue(s, date(2026, 11, 24))

    outcomes = race(engine, {"reject": reject, "escalate": escalate}, read=_read_disputes)
    assert outcomes == {"reject": "done", "escalate": "done"}
    with Session(engine) as check:
        dispute = check.get(Dispute, dispute_id)
        assert dispute.state == "resolved_rejected"
        kinds = check.scalars(
            select(DisputeEvent.kind).where(DisputeEvent.dispute_id == dispute_id)
        ).all()
        # Either order is right: escalated while still open, then rejected; or rejected
        # first, and then there was nothing left to escalate.
        assert kinds in (["filed", "escalated", "rejected"], ["filed", "rejected"])
        assert tuple(audit.verify(check)) == (True, None, None)
