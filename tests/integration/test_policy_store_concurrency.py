"""Real concurrent transactions on PostgreSQL: no lost edit, no double activation."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from governance import audit
from governance.accounts import create_user
from governance.errors import StaleEdit
from governance.plans import lifecycle
from governance.plans import lookup as plans
from models import PlanVersion, PolicyPlan, User
from tests.integration.test_policy_store import plan_text


@pytest.fixture
def pg(pg_engine):
    with Session(pg_engine) as session:
        for email, role, functions in (
            ("author@example.test", "comp_admin", []),
            ("approver@example.test", "committee", ["finance"]),
        ):
            create_user(
                session,
                email=email,
                name=email,
                password="correct horse battery",
                roles=[role],
                functions=functions,
            )
        session.commit()
    return pg_engine


def _user(session: Session, email: str) -> User:
    return session.scalars(select(User).where(User.email == email)).one()


def test_a_concurrent_edit_is_refused_not_lost(pg):
    with Session(pg) as setup:
        lifecycle.create_draft(setup, _user(setup, "author@example.test"), plan_text())
        setup.commit()
    with Session(pg) as alice, Session(pg) as bob:
        revision_a = plans.get_plan(alice, "ae-plan").revision
        revision_b = plans.get_plan(bob, "ae-plan").revision  # both read the same revision
        lifecycle.update_draft(
            alice,
            _user(alice, "author@example.test"),
            "ae-plan",
            1,
            plan_text(rate="0.07"),
            expected_revision=revision_a,
        )
        alice.commit()
        with pytest.raises(StaleEdit):
            lifecycle.update_draft(
                bob,
                _user(bob, "author@example.test"),
                "ae-plan",
                1,
                plan_text(rate="0.08"),
                expected_revision=revision_b,
            )
        bob.rollback()
    with Session(pg) as check:
        assert '"rate":0.07' in plans.get_version(check, "ae-plan", 1).canonical_json
        assert plans.get_plan(check, "ae-plan").revision == revision_a + 1


def test_two_simultaneous_activations_leave_one_active_version(pg):
    with Session(pg) as setup:
        author, approver = (
            _user(setup, e) for e in ("author@example.test", "approver@example.test")
        )
        for number in (1, 2):
            lifecycle.create_draft(setup, author, plan_text(rate=f"0.0{number + 5}"))
            lifecycle.submit(setup, author, "ae-plan", number, effective_from=date(2026, number, 1))
            lifecycle.approve(setup, None, "ae-plan", number)  # votes: test_vote_concurrency.py
        setup.commit()

    barrier = threading.Barrier(2)
    outcomes: dict[int, str] = {}

    def activate(number: int) -> None:
        with Session(pg) as session:
            author = _user(session, "author@example.test")
            plans.get_plan(session, "ae-plan")  # read before the other commits
            barrier.wait(5)
            try:
                lifecycle.activate(session, author, "ae-plan", number)
                session.commit()
                outcomes[number] = "active"
            except StaleEdit:
                session.rollback()
                outcomes[number] = "stale"

    threads = [threading.Thread(target=activate, args=(n,)) for n in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(15)
    assert sorted(outcomes.values()) == ["active", "stale"]
    with Session(pg) as check:
        active = check.scalar(
            select(func.count()).select_from(PlanVersion).where(PlanVersion.state == "active")
        )
        assert active == 1
        winner = next(n for n, o in outcomes.items() if o == "active")
        assert check.get(PolicyPlan, "ae-plan").active_number == winner
        assert tuple(audit.verify(check)) == (True, None, None)


def test_an_approval_racing_a_withdrawal_lets_exactly_one_win(pg):
    with Session(pg) as setup:
        author = _user(setup, "author@example.test")
        lifecycle.create_draft(setup, author, plan_text())
        lifecycle.submit(setup, author, "ae-plan", 1, effective_from=date(2026, 1, 1))
        setup.commit()

    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def act(name: str, email: str, action) -> None:
        with Session(pg) as session:
            actor = _user(session, email)
            plans.get_version(session, "ae-plan", 1)  # both read "submitted"
            barrier.wait(5)
            try:
                action(session, actor, "ae-plan", 1)
                session.commit()
                outcomes[name] = "done"
            except StaleEdit:
                session.rollback()
                outcomes[name] = "stale"

    threads = [
        # The system's direct approval (a committee vote racing a withdrawal is in
        # test_vote_concurrency.py): the store's own transitions must not both win.
        threading.Thread(
            target=act,
            args=(
                "approve",
                "approver@example.test",
                lambda session, _actor, key, number: lifecycle.approve(session, None, key, number),
            ),
        ),
        threading.Thread(target=act, args=("withdraw", "author@example.test", lifecycle.withdraw)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(15)
    assert sorted(outcomes.values()) == ["done", "stale"]
    winner = next(name for name, o in outcomes.items() if o == "done")
    with Session(pg) as check:
        version = plans.get_version(check, "ae-plan", 1)
        assert version.state == {"approve": "approved", "withdraw": "withdrawn"}[winner]
        assert [t.to_state for t in version.transitions] == ["draft", "submitted", version.state]
        assert tuple(audit.verify(check)) == (True, None, None)
