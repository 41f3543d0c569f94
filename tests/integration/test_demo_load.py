"""Loading the demo organisation, on SQLite and PostgreSQL: counts, logins, `--if-empty`."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.demo.generator import generate_demo_data
from app.demo.loader import DemoError, load_demo, participant_count
from app.demo.users import DEMO_PASSWORD, DEMO_USERS
from governance.accounts import authenticate
from models import (
    Assignment,
    Deal,
    DealEvent,
    DealSplit,
    DealTeamMember,
    DealTouchpoint,
    FxRate,
    Participant,
    Quota,
    User,
    UserRole,
)
from models.approvals import ChangeRequest, Vote
from models.audit import AuditRecord
from models.disputes import Dispute
from models.engine import make_engine
from models.exceptions import PayoutException
from models.payouts import PayoutLine, PayoutRun
from models.policy import PlanVersion
from tests.support.cli import run

COUNTED = (
    Participant,
    Assignment,
    Quota,
    Deal,
    DealSplit,
    DealTeamMember,
    DealTouchpoint,
    DealEvent,
    FxRate,
    User,
    UserRole,
    PlanVersion,
    ChangeRequest,
    Vote,
    AuditRecord,
    PayoutRun,
    PayoutLine,
    PayoutException,
    Dispute,
)


def _counts(session: Session) -> dict[str, int]:
    return {m.__name__: session.scalar(select(func.count()).select_from(m)) for m in COUNTED}


def test_load_demo_writes_the_generated_data_and_users(db, backend):
    started = time.perf_counter()
    summary = load_demo(db, history=False)  # the history: test_demo_history.py
    db.commit()
    elapsed = time.perf_counter() - started
    print(f"\n{backend}: demo loaded in {elapsed:.2f} s")  # shown with pytest -s
    data = generate_demo_data()

    counts = _counts(db)
    assert counts["Participant"] == summary.participants == len(data["participants"]) >= 40
    assert counts["Deal"] == summary.deals == 2000
    assert counts["Quota"] == summary.quotas == len(data["quotas"])
    assert counts["DealEvent"] == summary.events == len(data["events"])
    assert counts["Assignment"] == sum(len(p["assignments"]) for p in data["participants"])
    assert counts["DealSplit"] == sum(len(d["splits"] or []) for d in data["deals"])
    assert counts["DealTouchpoint"] == sum(len(d["touchpoints"]) for d in data["deals"])
    assert counts["FxRate"] == len(data["fx"]) == 4  # dated: two rates per pair
    assert counts["User"] == summary.users_created == len(DEMO_USERS)
    assert summary.quarters == ("2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4")
    assert "2000 deals" in summary.line()

    # Money arrives exactly, in Decimal.
    total = sum(Decimal(d["amount"]) for d in data["deals"])
    assert db.scalar(select(func.sum(Deal.amount))) == total
    luis = db.scalars(
        select(Assignment)
        .where(Assignment.participant_id == "luis-ortega")
        .order_by(Assignment.start_date)
    ).all()
    assert [(a.plan_key, a.end_date is None) for a in luis] == [
        ("se-overlay", False),
        ("ae-plan", True),
    ]
    assert db.get(Participant, "ana-silva").manager_id == "jordan-reyes"


def test_every_role_can_sign_in(db):
    load_demo(db, deals=40, history=False)
    db.commit()
    seen_roles: set[str] = set()
    for demo in DEMO_USERS:
        user = db.scalar(select(User).where(User.email == demo.email))
        assert user.role_names == frozenset(demo.roles)
        assert user.committee_functions == frozenset(demo.functions)
        assert user.participant_id == demo.participant_id
        if not seen_roles.issuperset(demo.roles):
            # One scrypt check per role keeps the test quick; the users share one hash.
            assert authenticate(db, demo.email, DEMO_PASSWORD) is not None
            assert authenticate(db, demo.email, "not the password") is None
            seen_roles.update(demo.roles)
    assert seen_roles == {
        "admin",
        "comp_admin",
        "committee",
        "deal_desk",
        "manager",
        "rep",
        "auditor",
    }
    functions = db.scalars(select(UserRole.function).where(UserRole.role == "committee")).all()
    assert sorted(set(functions)) == sorted(
        ["sales", "finance", "hr", "marketing", "customer_success", "revops"]
    )
    henrik = db.scalar(select(User).where(User.email == "henrik.larsen@example.com"))
    assert henrik.committee_functions == {"finance", "revops"}
    for pid in ("jordan-reyes", "ana-silva", "sophie-laurent"):
        assert db.scalar(select(User).where(User.participant_id == pid)) is not None


def test_load_demo_refuses_a_database_with_participants(db):
    db.add(Participant(id="someone", name="Someone"))
    db.flush()
    with pytest.raises(DemoError, match="already holds participants"):
        load_demo(db, deals=10)
    assert participant_count(db) == 1


# --------------------------------------------------------------------------- CLI


def _counts_at(url: str) -> dict[str, int]:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            return _counts(session)
    finally:
        engine.dispose()


def test_cli_demo_if_empty_is_idempotent(unmigrated_cli_env):
    """Loading twice with --if-empty changes nothing; the audit chain verifies after it."""
    assert run("db", "upgrade").exit_code == 0

    first = run("demo", "--if-empty", "--deals", "40", "--seed", "5")
    assert first.exit_code == 0, first.output
    assert "47 participants, 40 deals" in first.output
    assert DEMO_PASSWORD in first.output
    for demo in DEMO_USERS:
        assert demo.email in first.output
    after_first = _counts_at(unmigrated_cli_env)
    assert after_first["Deal"] == 40 and after_first["User"] == len(DEMO_USERS)

    second = run("demo", "--if-empty")
    assert second.exit_code == 0, second.output
    assert "demo not loaded" in second.output
    assert "ana.silva@example.com" in second.output  # the logins are still shown
    assert _counts_at(unmigrated_cli_env) == after_first
    assert after_first["PlanVersion"] == 8 and after_first["PayoutRun"] == 4
    assert after_first["Vote"] > 0 and after_first["AuditRecord"] > 0

    verified = run("audit", "verify")
    assert verified.exit_code == 0, verified.output

    third = run("demo")
    assert third.exit_code == 2
    assert _counts_at(unmigrated_cli_env) == after_first
