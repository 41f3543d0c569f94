"""The demo's governance history, on SQLite and PostgreSQL (app/demo/history.py).

What docs/demo.md promises each group: the five plans active, ae-plan's earlier version
superseded by a committee-approved change with its impact, one rejected change with the
reason, one open change the committee can still vote on; the same content every load.
"""

from __future__ import annotations

import json
from datetime import date

from sqlalchemy import select

from app.demo.history import FINANCE, SALES
from app.demo.loader import load_demo
from app.demo.roster import PLANS
from governance import audit, votes
from governance import policy_store as store
from models import User
from models.approvals import ChangeRequest, Vote
from models.audit import AuditRecord
from models.policy import PlanTransition, PlanVersion

DEALS = 300  # enough for non-empty impacts in every simulated quarter, and quick


def _user(db, email: str) -> User:
    return db.scalar(select(User).where(User.email == email))


def _states(db) -> dict[str, list[tuple[int, str]]]:
    out: dict[str, list[tuple[int, str]]] = {}
    for v in db.scalars(select(PlanVersion).order_by(PlanVersion.plan_key, PlanVersion.number)):
        out.setdefault(v.plan_key, []).append((v.number, v.state))
    return out


def test_the_plans_have_their_history(db):
    summary = load_demo(db, deals=DEALS)
    assert summary.plan_versions == {"active": 5, "rejected": 1, "submitted": 1, "superseded": 1}
    assert _states(db) == {
        "ae-plan": [(1, "superseded"), (2, "active")],
        "csm-renewals": [(1, "active")],
        "manager-rollup": [(1, "active"), (2, "submitted")],
        "marketing-attribution": [(1, "active")],
        "se-overlay": [(1, "active"), (2, "rejected")],
    }
    assert {p.key: p.active_number for p in store.list_plans(db)} == {
        "ae-plan": 2,
        "csm-renewals": 1,
        "manager-rollup": 1,
        "marketing-attribution": 1,
        "se-overlay": 1,
    }
    # The earlier ae-plan governs H1, the approved change H2.
    assert store.version_governing(db, "ae-plan", date(2026, 5, 15)).number == 1
    assert store.version_governing(db, "ae-plan", date(2026, 8, 15)).number == 2
    for plan in PLANS:  # every plan governs the whole demo year
        assert store.version_governing(db, plan, date(2026, 1, 1)) is not None

    # The approved change carries its impact, computed as of its submission date.
    ae2 = store.get_version(db, "ae-plan", 2)
    request = votes.change_request_of(db, ae2)
    assert request.as_of == date(2026, 7, 6)
    assert request.impact["periods"] == ["2025-Q3", "2025-Q4", "2026-Q1", "2026-Q2"]
    assert request.impact["complete"] is True
    assert request.impact["replaced"]["label"] == "ae-plan/1"
    assert request.impact["top"], "the accelerator change moves somebody's pay"
    approved = votes.plan_tally(db, ae2)
    assert approved.outcome == "approved" and len(approved.approvals) == 3

    rejected = store.get_version(db, "se-overlay", 2)
    ballots = votes.plan_votes(db, rejected)
    assert [(v.decision, bool(v.comment)) for v in ballots] == [
        ("approve", True),
        ("reject", True),
    ]
    assert ballots[1].voter_id == _user(db, FINANCE).id
    transition = db.scalar(
        select(PlanTransition).where(
            PlanTransition.version_id == rejected.id, PlanTransition.to_state == "rejected"
        )
    )
    assert "FY2027 budget" in transition.note

    # Every plan version went through a change request and committee votes.
    assert db.scalar(select(ChangeRequest.id).where(ChangeRequest.impact.is_(None))) is None
    assert len(db.scalars(select(ChangeRequest)).all()) == 8
    assert len(db.scalars(select(Vote)).all()) == 5 * 3 + 3 + 2 + 1
    assert audit.verify(db).ok


def test_the_open_change_can_be_voted_through(db):
    load_demo(db, deals=DEALS)
    open_request = store.get_version(db, "manager-rollup", 2)
    tally = votes.plan_tally(db, open_request)
    assert tally.outcome == "open"
    assert tally.missing == ["function:finance", "function:sales"]
    for email in (SALES, FINANCE):
        votes.cast_plan_vote(
            db,
            _user(db, email),
            "manager-rollup",
            2,
            decision="approve",
            content_hash=open_request.content_hash,
        )
    assert open_request.state == "approved"


def _content(db) -> list:
    """Everything the history wrote, except ids and wall-clock timestamps."""
    email = {u.id: u.email for u in db.scalars(select(User))}
    label = {v.id: v.label for v in db.scalars(select(PlanVersion))}
    rows = [
        [v.label, v.state, v.content_hash, str(v.effective_from), v.document]
        for v in db.scalars(select(PlanVersion).order_by(PlanVersion.id))
    ]
    rows += [
        [label[t.version_id], t.from_state, t.to_state, email.get(t.actor_id), t.note]
        for t in db.scalars(select(PlanTransition).order_by(PlanTransition.id))
    ]
    rows += [
        [label[v.plan_version_id], email[v.voter_id], v.decision, v.comment, v.functions]
        for v in db.scalars(select(Vote).order_by(Vote.id))
    ]
    rows += [
        [label[c.plan_version_id], str(c.as_of), c.impact, c.tests]
        for c in db.scalars(select(ChangeRequest).order_by(ChangeRequest.id))
    ]
    rows += [
        [a.action, a.object_type, a.object_id, email.get(a.actor_id), _named(a.payload, email)]
        for a in db.scalars(select(AuditRecord).order_by(AuditRecord.id))
        if a.object_type != "user"
    ]
    return json.loads(json.dumps(rows, sort_keys=True, default=str))


def _named(payload: dict, email: dict[int, str]) -> dict:
    # A tally names who filled each required function by user id; ids are not content
    # (PostgreSQL's sequences do not roll back with the savepoint).
    if "tally" not in payload:
        return payload
    filled = {slot: email[voter] for slot, voter in payload["tally"]["filled"].items()}
    return {**payload, "tally": {**payload["tally"], "filled": filled}}


def test_the_history_is_the_same_every_load(db):
    first = db.begin_nested()
    load_demo(db, deals=60)
    before = _content(db)
    first.rollback()
    load_demo(db, deals=60)
    assert _content(db) == before
