"""Real concurrent transactions on PostgreSQL: exception votes are never lost and an
exception is approved at most once; a vote racing a withdrawal lets exactly one win."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from governance import audit
from governance.exceptions import workflow as exceptions
from models import AuditRecord, User
from models.engine import make_engine
from tests.integration.exception_setup import make_person, setup_plan_and_data, waive_gate
from tests.support.database import race

NAMES = ("author", "desk", "lead", "lead2", "finance", "finance2")


@pytest.fixture(scope="module")
def pg(migrated_database):
    with migrated_database("postgresql") as url:
        engine = make_engine(url)
        with Session(engine) as session:
            roles = {
                "author": ("comp_admin",),
                "desk": ("deal_desk",),
                "lead": ("deal_desk",),
                "lead2": ("deal_desk",),
                "finance": ("committee",),
                "finance2": ("committee",),
            }
            for name in NAMES:
                functions = ["finance"] if name.startswith("finance") else []
                make_person(session, name, *roles[name], functions=functions)
            setup_plan_and_data(session, _user(session, "author"))
            session.commit()
        yield engine
        engine.dispose()


def _user(session: Session, name: str) -> User:
    return session.scalars(select(User).where(User.email.like(f"{name}-%"))).one()


def _file(pg) -> int:
    with Session(pg) as session:
        exc = exceptions.file_exception(session, _user(session, "desk"), waive_gate())
        session.commit()
        return exc.id


def _vote(session: Session, name: str, exception_id: int) -> None:
    exc = exceptions.get_exception(session, exception_id)
    exceptions.cast_exception_vote(
        session,
        _user(session, name),
        exception_id,
        decision="approve",
        content_hash=exc.content_hash,
    )


def _reads(exception_id: int):
    """Everyone reads the exception ("submitted") before anyone acts."""
    return lambda session: exceptions.get_exception(session, exception_id)


def _count(session: Session, action: str, exception_id: int) -> int:
    return session.scalar(
        select(func.count())
        .select_from(AuditRecord)
        .where(AuditRecord.action == action, AuditRecord.object_id == f"EX-{exception_id}")
    )


def test_two_approvals_at_once_are_both_counted_and_approve_once(pg):
    exception_id = _file(pg)
    outcomes = race(
        pg,
        {n: (lambda s, n=n: _vote(s, n, exception_id)) for n in ("lead", "finance")},
        read=_reads(exception_id),
    )
    assert outcomes == {"lead": "done", "finance": "done"}
    with Session(pg) as check:
        exc = exceptions.get_exception(check, exception_id)
        assert exc.state == "approved"
        assert len(exceptions.exception_votes(check, exc)) == 2
        assert _count(check, "payout_exception.approved", exception_id) == 1
        assert tuple(audit.verify(check)) == (True, None, None)


def test_two_deciding_votes_at_once_approve_exactly_once(pg):
    exception_id = _file(pg)
    with Session(pg) as setup:
        _vote(setup, "lead", exception_id)
        setup.commit()
    outcomes = race(
        pg,
        {n: (lambda s, n=n: _vote(s, n, exception_id)) for n in ("finance", "finance2")},
        read=_reads(exception_id),
    )
    # The first approves; the second finds it decided and is refused, never kept.
    assert sorted(outcomes.values()) == ["InvalidTransition", "done"]
    with Session(pg) as check:
        exc = exceptions.get_exception(check, exception_id)
        assert (exc.state, exc.version) == ("approved", 2)
        assert len(exceptions.exception_votes(check, exc)) == 2
        assert _count(check, "payout_exception.approved", exception_id) == 1


def test_a_deciding_vote_racing_a_withdrawal_lets_exactly_one_win(pg):
    exception_id = _file(pg)
    with Session(pg) as setup:
        _vote(setup, "lead", exception_id)
        setup.commit()
    outcomes = race(
        pg,
        {
            "vote": lambda s: _vote(s, "finance", exception_id),
            "withdraw": lambda s: exceptions.withdraw(s, _user(s, "desk"), exception_id),
        },
        read=_reads(exception_id),
    )
    assert sorted(outcomes.values()) == ["InvalidTransition", "done"]
    with Session(pg) as check:
        exc = exceptions.get_exception(check, exception_id)
        winner = next(n for n, o in outcomes.items() if o == "done")
        assert exc.state == {"vote": "approved", "withdraw": "withdrawn"}[winner]
        assert len(exceptions.exception_votes(check, exc)) == (2 if winner == "vote" else 1)
        assert tuple(audit.verify(check)) == (True, None, None)
