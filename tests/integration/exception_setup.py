"""Shared setup for the exception tests: an active plan with a gate and a clawback, data in
2026-Q3/Q4, and the people who file and decide.

ae-plan pays 6% on new business, 2% otherwise; gate `margin-floor` blocks deals with a
gross margin under 0.2; clawback `churn` recovers all of it on a cancellation within 180
days. Deals (2026-Q3): D-1 ana new 100000 (pays 6000), D-2 ana new 50000 at margin 0.1
(blocked; waiving pays 3000), D-3 bo expansion 200000 (pays 4000; cancelled 2026-10-02,
recovered in 2026-Q4).
"""

from __future__ import annotations

import itertools
from datetime import date

from governance.disputes import workflow as disputes
from governance.imports.service import import_data
from governance.plans import lifecycle
from models import User, UserRole
from models.exceptions import PayoutException
from tests.conftest import password_hash
from tests.support.disputes import run_with_lines

PLAN = """\
policy: ae-plan
title: AE plan
currency: USD
period: quarter
credit:
  - id: owner
    to: splits
    share: 1
rates:
  - id: new-business
    when: deal.type == "new"
    rate: 0.06
  - id: default
    rate: 0.02
gates:
  - id: margin-floor
    when: deal.gross_margin < 0.2
    effect: block
clawbacks:
  - id: churn
    triggers: [cancellation]
    within_days: 180
    recover: full
"""

EXPIRES = "2099-12-31"


def _deal(deal_id, kind, amount, day, owner, margin="0.42"):
    return {
        "id": deal_id,
        "type": kind,
        "amount": amount,
        "currency": "USD",
        "close_date": day,
        "owner": owner,
        "gross_margin": margin,
    }


def setup_plan_and_data(db, author) -> None:
    """ae-plan version 1 active from 2026-01-01 (approved by the system), and the deals."""
    lifecycle.create_draft(db, author, PLAN)
    lifecycle.submit(db, author, "ae-plan", 1, effective_from=date(2026, 1, 1))
    lifecycle.approve(db, None, "ae-plan", 1)
    lifecycle.activate(db, author, "ae-plan", 1)
    import_data(
        db,
        {
            "participants": [
                {"id": who, "assignments": [{"plan": "ae-plan", "start": "2026-01-01"}]}
                for who in ("ana", "bo")
            ],
            "deals": [
                _deal("D-1", "new", "100000", "2026-07-14", "ana"),
                _deal("D-2", "new", "50000", "2026-08-01", "ana", margin="0.1"),
                _deal("D-3", "expansion", "200000", "2026-08-10", "bo"),
            ],
            "events": [{"deal": "D-3", "kind": "cancellation", "date": "2026-10-02"}],
        },
        source="exceptions-test",
    )
    db.flush()


def make_person(db, name: str, *roles: str, functions=(), participant_id=None) -> User:
    """A user with the test password, without create_user's per-user scrypt."""
    user = User(
        email=f"{name}-{next(_serial)}@exceptions.test",
        name=name.title(),
        password_hash=password_hash(),
        participant_id=participant_id,
    )
    for role in roles:
        if role == "committee":
            user.roles.extend(UserRole(role=role, function=f) for f in functions)
        else:
            user.roles.append(UserRole(role=role))
    db.add(user)
    db.flush()
    return user


_serial = itertools.count(1)


def people(db) -> dict:
    crew = {
        "author": make_person(db, "author", "comp_admin"),
        "desk": make_person(db, "desk", "deal_desk"),
        "lead": make_person(db, "lead", "deal_desk"),
        "finance": make_person(db, "finance", "committee", functions=["finance"]),
        "sales": make_person(db, "sales", "committee", functions=["sales"]),
        "hr": make_person(db, "hr", "committee", functions=["hr"]),
        "rep": make_person(db, "rep", "rep"),
        "auditor": make_person(db, "auditor", "auditor"),
    }
    db.commit()
    return crew


def waive_gate(**extra) -> dict:
    return {
        "kind": "waive_gate",
        "plan": "ae-plan",
        "deal": "D-2",
        "rule": "margin-floor",
        "justification": "strategic logo; margin approved by the CFO",
        "expires_on": EXPIRES,
        **extra,
    }


def adjustment(amount: str = "500.00", **extra) -> dict:
    return {
        "kind": "adjustment",
        "plan": "ae-plan",
        "participant": "ana",
        "period": "2026-Q3",
        "amount": amount,
        "justification": "SPIF promised in the kickoff, not in the plan",
        **extra,
    }


def accepted_dispute(db, make_user):
    """ana's dispute of her 2026-Q3 line (a hand-built locked run), accepted for 250.00:
    (dispute, its adjustment exception EX-n, submitted, and the people: ana, reviewer,
    desk, finance). Issue 11, scenario 4."""
    setup_plan_and_data(db, make_user("comp_admin"))
    lines = run_with_lines(db, "ana", "bo", period="2026-Q3", plan_key="ae-plan")
    db.commit()
    people = {
        "ana": make_user("rep", participant_id="ana"),
        "reviewer": make_user("comp_admin"),
        "desk": make_user("deal_desk"),
        "finance": make_user("committee", functions=["finance"]),
    }
    monday = date(2026, 11, 2)
    dispute = disputes.file(db, people["ana"], lines.ana.id, reason="D-1 was new", today=monday)
    disputes.resolve_accept(db, people["reviewer"], dispute.id, amount="250.00")
    db.commit()
    return dispute, db.get(PayoutException, dispute.exception_id), people


HELD_PLAN = """\
policy: held-plan
title: Held until cash
currency: USD
period: quarter
credit:
  - id: owner
    to: owner
    share: 1
rates:
  - id: new-business
    rate: 0.06
gates:
  - id: deep-discount
    when: deal.discount > 0.20
    effect: {reduce: 0.5}
  - id: pay-on-cash
    effect: {hold_until: deal.cash_collected_date}
"""


def setup_held_discount(db, author) -> None:
    """held-plan, active from 2026-01-01: ana's D-9 (207,910.00, discount 0.3) closes in
    2026-Q3 and is paid on cash, collected in 2026-Q4. Its commission (reduced to half,
    6,237.30) is held in Q3 and released in Q4; waiving `deep-discount` releases
    6,237.30 more in Q4 and nothing changes in Q3. Issue 11, scenario 5."""
    lifecycle.create_draft(db, author, HELD_PLAN)
    lifecycle.submit(db, author, "held-plan", 1, effective_from=date(2026, 1, 1))
    lifecycle.approve(db, None, "held-plan", 1)
    lifecycle.activate(db, author, "held-plan", 1)
    deal = _deal("D-9", "new", "207910", "2026-08-20", "ana")
    deal.update(discount="0.3", cash_collected_date="2026-11-20")
    import_data(
        db,
        {
            "participants": [
                {"id": "ana", "assignments": [{"plan": "held-plan", "start": "2026-01-01"}]}
            ],
            "deals": [deal],
        },
        source="exceptions-test",
    )
    db.flush()
