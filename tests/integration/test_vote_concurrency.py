"""Real concurrent transactions on PostgreSQL: no double approval, no lost vote."""

from __future__ import annotations

import os
import threading
from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from governance import audit
from governance.accounts import create_user
from governance.errors import Conflict, InvalidTransition, StaleEdit
from governance.plans import lifecycle
from governance.plans import lookup as plans
from governance.plans.tally import plan_tally, plan_votes
from governance.plans.votes import cast_plan_vote
from models import PlanTransition, User, Vote, schema
from models.engine import make_engine
from tests.integration.committee import plan_text

MEMBERS = {"finance": ["finance"], "sales": ["sales"], "hr": ["hr"], "revops": ["revops"]}


@pytest.fixture
def pg(fresh_database_url):
    url = fresh_database_url("postgresql")
    schema.upgrade(url)
    engine = make_engine(url)
    with Session(engine) as session:
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
    yield engine
    engine.dispose()
    if os.environ.get("ACCORD_TEST_PG_URL"):
        schema.downgrade(url, "base")
        schema.upgrade(url)


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
        content_hash=version.content_hash,
    )


def _race(pg, actions: dict) -> dict[str, str]:
    """Run each action in its own transaction, released together after everyone has read."""
    barrier = threading.Barrier(len(actions))
    outcomes: dict[str, str] = {}

    def run(name: str, action) -> None:
        with Session(pg) as session:
            plans.get_version(session, "ae-plan", 1)  # everyone reads "submitted" first
            barrier.wait(5)
            try:
                action(session)
                session.commit()
                outcomes[name] = "done"
            except (InvalidTransition, StaleEdit, Conflict) as exc:
                session.rollback()
                outcomes[name] = type(exc).__name__

    threads = [threading.Thread(target=run, args=item) for item in actions.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return outcomes


def _approvals(session: Session) -> int:
    return session.scalar(
        select(func.count())
        .select_from(PlanTransition)
        .where(PlanTransition.to_state == "approved")
    )


def test_two_simultaneous_votes_are_both_counted(pg):
    outcomes = _race(pg, {n: (lambda s, n=n: _vote(s, n)) for n in ("finance", "hr")})
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
    outcomes = _race(pg, {n: (lambda s, n=n: _vote(s, n)) for n in ("hr", "revops")})
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

    outcomes = _race(pg, {"vote": lambda s: _vote(s, "hr"), "withdraw": withdraw})
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
    outcomes = _race(pg, {"first": lambda s: _vote(s, "hr"), "second": lambda s: _vote(s, "hr")})
    assert sorted(outcomes.values()) == ["Conflict", "done"]
    with Session(pg) as check:
        assert check.scalar(select(func.count()).select_from(Vote)) == 1
