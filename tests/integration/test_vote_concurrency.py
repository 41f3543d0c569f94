"""Real concurrent transactions on PostgreSQL: no double approval, no lost vote."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from governance import audit
from governance.accounts import create_user
from governance.plans import lifecycle
from governance.plans import lookup as plans
from governance.plans.tally import plan_tally, plan_votes, voted_hash
from governance.plans.votes import cast_plan_vote
from models import PlanTransition, User, Vote
from tests.integration.committee import plan_text
from tests.support.database import race

MEMBERS = {"finance": ["finance"], "sales": ["sales"], "hr": ["hr"], "revops": ["revops"]}


@pytest.fixture
def pg(pg_engine):
    with Session(pg_engine) as session:
        create_user(
            session,
            email="author@example.test",
            name="a",
            password="correct horse battery",
            roles=["comp_admin"],
        )
        for name, functions in MEMBERS.items():
            create_user(
                session,
                email=f"{name}@example.test",
                name=name,
                password="correct horse battery",
                roles=["committee"],
                functions=functions,
            )
        author = _user(session, "author")
        lifecycle.create_draft(session, author, plan_text())
        lifecycle.submit(session, author, "ae-plan", 1, effective_from=date(2026, 1, 1))
        session.commit()
    return pg_engine


def _user(session: Session, name: str) -> User:
    return session.scalars(select(User).where(User.email == f"{name}@example.test")).one()


def _vote(session: Session, name: str):
    version = plans.get_version(session, "ae-plan", 1)
    return cast_plan_vote(
        session,
        _user(session, name),
        "ae-plan",
        1,
        decision="approve",
        content_hash=voted_hash(session, version),
    )


def _read_version(session: Session) -> None:
    plans.get_version(session, "ae-plan", 1)  # everyone reads "submitted" first


def _approvals(session: Session) -> int:
    return session.scalar(
        select(func.count())
        .select_from(PlanTransition)
        .where(PlanTransition.to_state == "approved")
    )


def test_two_simultaneous_votes_are_both_counted(pg):
    outcomes = race(
        pg, {n: (lambda s, n=n: _vote(s, n)) for n in ("finance", "hr")}, read=_read_version
    )
    assert outcomes == {"finance": "done", "hr": "done"}
    with Session(pg) as check:
        version = plans.get_version(check, "ae-plan", 1)
        assert len(plan_votes(check, version)) == 2
        assert plan_tally(check, version).summary() == (
            "2 of 3 approvals; still needed: function:sales"
        )
        assert tuple(audit.verify(check)) == (True, None, None)


def test_two_deciding_votes_at_once_approve_exactly_once(pg):
    with Session(pg) as setup:
        _vote(setup, "finance")
        _vote(setup, "sales")
        setup.commit()
    outcomes = race(
        pg, {n: (lambda s, n=n: _vote(s, n)) for n in ("hr", "revops")}, read=_read_version
    )
    # The first vote approves; the second finds the version decided and is refused (409),
    # never recorded as if it had counted.
    assert sorted(outcomes.values()) == ["InvalidTransition", "done"]
    with Session(pg) as check:
        version = plans.get_version(check, "ae-plan", 1)
        assert version.state == "approved"
        assert _approvals(check) == 1
        winner = next(n for n, o in outcomes.items() if o == "done")
        voters = {v.voter_id for v in plan_votes(check, version)}
        assert voters == {_user(check, n).id for n in ("finance", "sales", winner)}
        assert version.transitions[-1].actor_id == _user(check, winner).id
        assert tuple(audit.verify(check)) == (True, None, None)


def test_a_deciding_vote_racing_a_withdrawal_lets_exactly_one_win(pg):
    with Session(pg) as setup:
        _vote(setup, "finance")
        _vote(setup, "sales")
        setup.commit()

    def withdraw(session):
        lifecycle.withdraw(session, _user(session, "author"), "ae-plan", 1)

    outcomes = race(
        pg, {"vote": lambda s: _vote(s, "hr"), "withdraw": withdraw}, read=_read_version
    )
    assert sorted(outcomes.values()) in (
        ["StaleEdit", "done"],  # the vote approved first: the withdrawal read a stale plan
        ["InvalidTransition", "done"],  # the withdrawal first: the vote finds it withdrawn
    )
    with Session(pg) as check:
        version = plans.get_version(check, "ae-plan", 1)
        counted = check.scalar(select(func.count()).select_from(Vote))
        if outcomes["vote"] == "done":
            assert (version.state, counted, _approvals(check)) == ("approved", 3, 1)
        else:
            assert (version.state, counted, _approvals(check)) == ("withdrawn", 2, 0)
        assert tuple(audit.verify(check)) == (True, None, None)


def test_the_same_member_voting_twice_at_once_counts_once(pg):
    outcomes = race(
        pg,
        {"first": lambda s: _vote(s, "hr"), "second": lambda s: _vote(s, "hr")},
        read=_read_version,
    )
    assert sorted(outcomes.values()) == ["Conflict", "done"]
    with Session(pg) as check:
        assert check.scalar(select(func.count()).select_from(Vote)) == 1
