"""Shared setup for the payout-run tests: a plan in force and a small organisation."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from governance.imports.service import import_data
from governance.plans import lifecycle

PLAN = """\
policy: {key}
title: Payout test plan
currency: USD
period: quarter
credit:
  - {{id: owner, to: splits, share: 1}}
rates:
  - {{id: new-business, when: deal.type == "new", rate: {rate}}}
  - {{id: default, rate: 0.02}}
gates:
  - {{id: margin-floor, when: deal.gross_margin < 0.2, effect: block}}
  - {{id: pay-on-cash, effect: {{hold_until: deal.cash_collected_date}}}}
"""


MANAGER_PLAN = """\
policy: mgr-plan
title: Manager override
currency: USD
period: quarter
credit:
  - {id: override, to: {manager_of: owner}, share: 1}
rates:
  - {id: override-rate, rate: 0.01}
"""


def activate_plan(
    db,
    *,
    key: str = "pay-plan",
    rate: str = "0.06",
    effective: date = date(2026, 1, 1),
    text: str | None = None,
    base_dir=None,
):
    """Create, approve (as the trusted system) and activate a version; returns it.
    `base_dir`: where the files `text` names are (the examples' test data)."""
    version = lifecycle.create_draft(
        db, None, text or PLAN.format(key=key, rate=rate), base_dir=base_dir
    )
    key = version.plan_key
    # retroactive: some tests activate into a locked period (the prior-period adjustments).
    lifecycle.submit(db, None, key, version.number, effective_from=effective, retroactive=True)
    lifecycle.approve(db, None, key, version.number)
    lifecycle.activate(db, None, key, version.number)
    db.flush()
    return version


def _deal(i: int, owner: str, day: str, amount: str, **extra) -> dict:
    deal = {
        "id": f"D-{i}",
        "type": "new" if i % 2 else "renewal",
        "amount": amount,
        "currency": "USD",
        "close_date": day,
        "owner": owner,
        "gross_margin": "0.10" if i % 7 == 0 else "0.40",
        "cash_collected_date": None if i % 5 == 2 else day,
    }
    deal.update(extra)
    return deal


def organisation(plan: str = "pay-plan") -> dict:
    people = ["ana", "bo", "cy", "di"]
    participants = [
        {
            "id": p,
            "name": p.title(),
            "manager": None if p == "di" else "di",
            "assignments": [{"plan": "mgr-plan" if p == "di" else plan, "start": "2026-01-01"}],
        }
        for p in people
    ]
    quotas = [
        {
            "participant": p,
            "plan": "mgr-plan" if p == "di" else plan,
            "period": f"2026-Q{q}",
            "amount": "100000",
        }
        for p in people
        for q in (1, 2, 3, 4)
    ]
    deals = []
    days = ["2026-02-10", "2026-05-03", "2026-07-02", "2026-08-15", "2026-09-29"]
    for i in range(1, 21):
        owner = people[i % 3]
        deals.append(_deal(i, owner, days[i % len(days)], f"{1000 * i}.50"))
    deals[3]["splits"] = [
        {"participant": "ana", "share": "0.5"},
        {"participant": "cy", "share": "0.5"},
    ]
    return {"participants": participants, "quotas": quotas, "deals": deals}


def load(db, plan: str = "pay-plan") -> None:
    import_data(db, organisation(plan), source="test")
    db.flush()


def setup_org(db) -> None:
    """The two plans in force and the organisation, flushed; the caller commits."""
    activate_plan(db)
    activate_plan(db, text=MANAGER_PLAN)
    load(db)


def seed(engine) -> None:
    """The two plans and the organisation, committed, in a database of its own (tests that
    need their own engine: the CLI, concurrent runs, job threads)."""
    with Session(engine) as session:
        setup_org(session)
        session.commit()


def close_people(db, make_user) -> dict:
    """The organisation committed, and a comp admin and the finance and revops members
    who approve its runs (the stale-draft tests)."""
    setup_org(db)
    db.commit()
    return {
        "admin": make_user("comp_admin"),
        "finance": make_user("committee", functions=["finance"]),
        "revops": make_user("committee", functions=["revops"]),
    }
