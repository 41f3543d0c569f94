"""The demo's governance history, on SQLite and PostgreSQL (app/demo/history.py,
exceptions.py, payouts.py, disputes.py).

What docs/demo.md promises each group: the five plans active, ae-plan's earlier version
superseded by a committee-approved change with its impact, one rejected change with the
reason, one open change the committee can still vote on; exceptions and disputes in
every state; locked runs for the closed quarters and a draft for the current one, so a
rep sees statements; the audit chain intact; the same content on every load.

The demo is loaded once per backend into a database of its own (module fixture) and read
by the tests; a test that writes does so in a transaction it rolls back.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from app.demo.loader import DemoSummary, load_demo
from app.demo.roster import DEMO_TODAY, PLANS
from app.demo.users import (
    AUTHOR,
    DEMO_PASSWORD,
    DEMO_USERS,
    DESK,
    FINANCE,
    REP_EMEA,
    REP_NA,
    REVOPS,
    SALES,
)
from config import TestConfig
from governance import audit
from governance.auditing import data_changes
from governance.disputes import rules as dispute_rules
from governance.exceptions import workflow as exceptions
from governance.payouts import close as payout_close
from governance.plans import lookup as plans
from governance.plans.tally import change_request_of, plan_tally, plan_votes, voted_hash
from governance.plans.votes import cast_plan_vote
from governance.statements import read as statements
from models import User, schema
from models.approvals import ChangeRequest, Vote
from models.audit import AuditRecord
from models.disputes import Dispute
from models.engine import make_engine
from models.exceptions import PayoutException
from models.payouts import PayoutLine, PayoutRun
from models.policy import PlanTransition, PlanVersion
from tests.support.sessions import sign_in

DEALS = 500  # the smallest round number whose data has a deal for every story


@pytest.fixture(scope="module")
def demo(backend, migrated_database) -> Iterator[tuple[Engine, DemoSummary, str]]:
    with migrated_database(backend) as url:
        engine = make_engine(url)
        with Session(engine) as session:
            summary = load_demo(session, deals=DEALS)
            session.commit()
        print(f"\n{backend}: demo ({DEALS} deals) loaded: {summary.line()}")  # pytest -s
        yield engine, summary, url
        engine.dispose()


@pytest.fixture
def session(demo) -> Iterator[Session]:
    """A session on the loaded demo whose writes are rolled back at the end."""
    engine = demo[0]
    with engine.connect() as connection:
        outer = connection.begin()
        with Session(bind=connection, join_transaction_mode="create_savepoint") as s:
            yield s
        outer.rollback()


def _user(session, email: str) -> User:
    return session.scalar(select(User).where(User.email == email))


def test_the_summary_counts_every_state(demo):
    summary = demo[1]
    assert summary.history == {
        "plan versions": {"active": 5, "rejected": 1, "submitted": 1, "superseded": 1},
        "exceptions": {
            "approved": 3,
            "expired": 1,
            "rejected": 1,
            "submitted": 2,
            "withdrawn": 1,
        },
        "disputes": {
            "open": 2,
            "overdue": 1,
            "resolved_accepted": 1,
            "resolved_rejected": 1,
            "under_review": 1,
        },
        "payout runs": {"draft": 1, "locked": 3},
    }
    assert list(summary.timings) == [
        "data",
        "plans",
        "exceptions",
        "closed runs",
        "disputes",
        "draft run",
    ]
    assert "payout runs: 1 draft, 3 locked" in summary.line()


def test_the_plans_have_their_history(session):
    states: dict[str, list[tuple[int, str]]] = {}
    for v in session.scalars(
        select(PlanVersion).order_by(PlanVersion.plan_key, PlanVersion.number)
    ):
        states.setdefault(v.plan_key, []).append((v.number, v.state))
    assert states == {
        "ae-plan": [(1, "superseded"), (2, "active")],
        "csm-renewals": [(1, "active")],
        "manager-rollup": [(1, "active"), (2, "submitted")],
        "marketing-attribution": [(1, "active")],
        "se-overlay": [(1, "active"), (2, "rejected")],
    }
    # The earlier ae-plan governs H1, the approved change H2; every plan the whole year.
    assert plans.version_governing(session, "ae-plan", date(2026, 5, 15)).number == 1
    assert plans.version_governing(session, "ae-plan", date(2026, 8, 15)).number == 2
    for plan in PLANS:
        assert plans.version_governing(session, plan, date(2026, 1, 1)) is not None

    # The approved change carries its impact, computed as of its submission date.
    ae2 = plans.get_version(session, "ae-plan", 2)
    request = change_request_of(session, ae2)
    assert request.as_of == date(2026, 7, 6)
    assert request.impact["periods"] == ["2025-Q3", "2025-Q4", "2026-Q1", "2026-Q2"]
    assert request.impact["complete"] is True
    assert request.impact["replaced"]["label"] == "ae-plan/1"
    assert request.impact["top"], "the accelerator change moves somebody's pay"
    approved = plan_tally(session, ae2)
    assert approved.outcome == "approved" and len(approved.approvals) == 3

    rejected = plans.get_version(session, "se-overlay", 2)
    ballots = plan_votes(session, rejected)
    assert [(v.decision, bool(v.comment)) for v in ballots] == [
        ("approve", True),
        ("reject", True),
    ]
    assert ballots[1].voter_id == _user(session, FINANCE).id
    transition = session.scalar(
        select(PlanTransition).where(
            PlanTransition.version_id == rejected.id, PlanTransition.to_state == "rejected"
        )
    )
    assert "FY2027 budget" in transition.note
    # Every version went through a change request with its impact and committee votes.
    assert len(session.scalars(select(ChangeRequest)).all()) == 8
    on_plans = session.scalars(select(Vote).where(Vote.plan_version_id.is_not(None)))
    assert len(on_plans.all()) == 5 * 3 + 3 + 2 + 1


def test_the_open_change_can_be_voted_through(session):
    open_request = plans.get_version(session, "manager-rollup", 2)
    tally = plan_tally(session, open_request)
    assert tally.outcome == "open"
    assert tally.missing == ["function:finance", "function:sales"]
    for email in (SALES, FINANCE):
        cast_plan_vote(
            session,
            _user(session, email),
            "manager-rollup",
            2,
            decision="approve",
            content_hash=voted_hash(session, open_request),
        )
    assert open_request.state == "approved"


def test_exceptions_in_every_state(session):
    rows = session.scalars(select(PayoutException).order_by(PayoutException.id)).all()
    shown = [(e.kind, exceptions.shown_state(e, on=DEMO_TODAY)) for e in rows]
    assert ("waive_gate", "expired") in shown
    assert ("override_split", "approved") in shown
    assert ("adjustment", "withdrawn") in shown
    assert ("waive_gate", "rejected") in shown
    rejected = next(e for e in rows if e.state == "rejected")
    [ballot] = exceptions.exception_votes(session, rejected)
    assert ballot.decision == "reject" and "before signature" in ballot.comment
    waiting = [e for e in rows if e.state == "submitted"]
    assert sorted(e.route for e in waiting) == ["below", "committee"]
    # The committee has one to vote on; finance has the deal desk's half-approved one.
    henrik = _user(session, FINANCE)
    assert all(exceptions.vote_refusal(session, henrik, e) is None for e in waiting)
    # The dispute's adjustment was approved, so the current quarter's run can pay it.
    accepted = session.scalar(select(Dispute).where(Dispute.state == "resolved_accepted"))
    assert exceptions.get_exception(session, accepted.exception_id).state == "approved"
    # Every approved and unexpired exception reaches the evaluations.
    assert len(exceptions.approved_exceptions(session, as_of=DEMO_TODAY)) == 3


def test_payout_runs_and_statements(session):
    runs = session.scalars(select(PayoutRun).order_by(PayoutRun.period_start)).all()
    assert [(r.period, r.state) for r in runs] == [
        ("2026-Q1", "locked"),
        ("2026-Q2", "locked"),
        ("2026-Q3", "locked"),
        ("2026-Q4", "draft"),
    ]
    for run in runs[:3]:
        assert payout_close.run_tally(session, run).approved
    draft = runs[3]
    tally = payout_close.run_tally(session, draft)
    assert tally.outcome == "open" and tally.missing == ["function:finance"]
    assert draft.started_by_id == _user(session, AUTHOR).id
    # Sophie's accepted dispute (2026-Q3, locked) is paid in the draft as a prior-period
    # adjustment, and nothing else in the locked quarters changed since their lock.
    carried = session.scalars(
        select(PayoutLine).where(
            PayoutLine.run_id == draft.id, PayoutLine.adjusts_period.is_not(None)
        )
    ).all()
    assert [(a.participant_id, a.adjusts_period, a.amount) for a in carried] == [
        ("sophie-laurent", "2026-Q3", Decimal("450.00"))
    ]

    ana = _user(session, REP_NA)
    own = statements.list_statements(session, ana)
    # A rep reads the published quarters only (the demo publishes what it locks).
    assert {s["period"] for s in own} == {"2026-Q1", "2026-Q2", "2026-Q3"}
    assert {s["participant"] for s in own} == {"ana-silva"}
    assert [p["period"] for p in statements.periods(session, ana)][:1] == ["2026-Q3"]
    assert statements.list_statements(session, ana, participant="sophie-laurent") == []
    manager = session.scalar(select(User).where(User.participant_id == "jordan-reyes"))
    team = {s["participant"] for s in statements.list_statements(session, manager)}
    assert {"jordan-reyes", "ana-silva", "frank-moretti"} <= team


def test_disputes_in_every_state(session):
    rows = session.scalars(select(Dispute).order_by(Dispute.id)).all()
    assert sorted(d.state for d in rows) == [
        "open",
        "open",
        "resolved_accepted",
        "resolved_rejected",
        "under_review",
    ]
    overdue = [d for d in rows if dispute_rules.is_overdue(d, DEMO_TODAY)]
    assert len(overdue) == 1 and overdue[0].escalated_at is not None
    assert overdue[0].due_on == date(2026, 11, 10)
    filers = {_user(session, REP_NA).id, _user(session, REP_EMEA).id}
    for dispute in rows:  # every dispute is a rep's own line of a locked run
        line = session.get(PayoutLine, dispute.payout_line_id)
        assert session.get(PayoutRun, line.run_id).state == "locked"
        assert dispute.filed_by_id in filers
        assert line.participant_id == dispute.participant_id
    assert next(d for d in rows if d.state == "resolved_rejected").resolution


def test_the_audit_chain_verifies(session):
    assert audit.verify(session).ok
    actions = set(session.scalars(select(AuditRecord.action)))
    assert {"plan_version.vote", "payout_exception.vote", "dispute.filed"} <= actions
    # Every demo user's role grants are audited, as for any user created in the app.
    grants = select(AuditRecord.object_id).where(AuditRecord.action == data_changes.ROLES_ACTION)
    assert len(set(session.scalars(grants))) == len(DEMO_USERS)
    assert _user(session, DESK).id in set(session.scalars(select(AuditRecord.actor_id)))
    assert _user(session, REVOPS).id in set(session.scalars(select(AuditRecord.actor_id)))


# --------------------------------------------------------------------------- determinism


def _content(db) -> list:
    """Everything the history wrote, except wall-clock timestamps."""
    email = {u.id: u.email for u in db.scalars(select(User))}
    rows: list = [
        [v.label, v.state, v.content_hash, str(v.effective_from), v.document]
        for v in db.scalars(select(PlanVersion).order_by(PlanVersion.id))
    ]
    rows += [
        [c.plan_version_id, str(c.as_of), c.impact, c.tests]
        for c in db.scalars(select(ChangeRequest).order_by(ChangeRequest.id))
    ]
    rows += [
        [v.plan_version_id, v.exception_id, v.payout_run_id, email[v.voter_id], v.decision]
        + [v.comment, v.functions, v.content_hash]
        for v in db.scalars(select(Vote).order_by(Vote.id))
    ]
    rows += [
        [e.kind, e.state, e.deal_id, e.participant_id, e.period, e.amount, e.impact]
        + [e.route, e.content_hash, str(e.expires_on), e.justification, e.decision_note]
        for e in db.scalars(select(PayoutException).order_by(PayoutException.id))
    ]
    rows += [
        [r.period, r.state, r.input_data_hash, r.result_hash, r.plan_versions, r.line_count]
        for r in db.scalars(select(PayoutRun).order_by(PayoutRun.id))
    ]
    rows += [
        [d.state, d.payout_line_id, str(d.due_on), d.reason, d.resolution, d.claimed_amount]
        for d in db.scalars(select(Dispute).order_by(Dispute.id))
    ]
    rows += [
        [a.id, a.action, a.object_type, a.object_id, email.get(a.actor_id)]
        for a in db.scalars(select(AuditRecord).order_by(AuditRecord.id))
    ]
    return json.loads(json.dumps(rows, sort_keys=True, default=str))


def test_the_history_is_the_same_every_load(demo, backend, fresh_database_url):
    """A second load into another empty database writes the same content, ids included."""
    url = fresh_database_url(backend)
    if url == os.environ.get("ACCORD_TEST_PG_URL"):
        pytest.skip("one external PostgreSQL database: no second empty database to compare")
    schema.upgrade(url)
    engine = make_engine(url)
    try:
        with Session(engine) as second, Session(demo[0]) as first:
            load_demo(second, deals=DEALS)
            second.flush()
            assert _content(second) == _content(first)
    finally:
        engine.dispose()


# --------------------------------------------------------------------------- first start


def _text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def test_first_start_every_group_has_something_to_look_at(demo):
    """Signed in with the printed password, each group's first page shows the history.
    (Last in the module: signing in may write, and the determinism test reads first.)"""
    from app import create_app
    from app.database import database

    flask_app = create_app(TestConfig, {"DATABASE_URL": demo[2]})
    pages = {
        REP_NA: {
            "/statements": ["2026-Q3 (locked)", "ana-silva"],  # published quarters only
            "/disputes": ["overdue", "under review"],
        },
        SALES: {"/committee/changes": ["manager-rollup", "se-overlay"]},
        DESK: {"/exceptions": ["expired", "withdrawn", "rejected", "submitted"]},
        AUTHOR: {"/plans/ae-plan": ["superseded", "active"]},
    }
    try:
        for email, checks in pages.items():
            client = flask_app.test_client()
            assert sign_in(client, email, DEMO_PASSWORD).status_code == 302, email
            for path, expected in checks.items():
                response = client.get(path)
                assert response.status_code == 200, (email, path)
                text = _text(response)
                assert all(word in text for word in expected), (email, path, expected)
    finally:
        with flask_app.app_context():
            database().engine.dispose()
