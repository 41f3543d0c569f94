"""Helpers for the committee tests: a plan, a committee, data in the last completed quarters."""

from __future__ import annotations

from datetime import date, timedelta

from governance.committee import approval_rules
from governance.imports.service import import_data
from governance.plans import lifecycle
from governance.plans.impact import completed_periods
from governance.plans.tally import voted_hash
from governance.plans.votes import cast_plan_vote
from models.base import utcnow


def plan_text(rate: str = "0.06", *, tests: str = "", tiers: bool = False) -> str:
    text = f"""\
policy: ae-plan
title: AE plan
currency: USD
period: quarter
credit:
  - id: owner
    to: owner
    share: 1
rates:
  - id: new-business
    when: deal.type == "new"
    rate: {rate}
  - id: default
    rate: 0.02
"""
    if tiers:
        text += """\
tiers:
  basis: attainment
  bands:
    - {id: base, from: 0, to: 1, multiplier: 1}
    - {id: accelerator, from: 1, multiplier: 2}
"""
    return text + tests


EMBEDDED_TEST = """\
tests:
  - name: a new deal pays the new-business rate
    period: 2026-Q3
    data:
      participants: [{{id: ana, assignments: [{{plan: ae-plan, start: "2026-01-01"}}]}}]
      deals: [{{id: T-1, type: new, amount: "10000", currency: USD,
               close_date: "2026-07-10", owner: ana}}]
    expect:
      - {{participant: ana, payable: "{payable}"}}
"""


def committee(make_user) -> dict:
    """An author, three committee members (finance, sales, finance+sales) and others."""
    return {
        "author": make_user("comp_admin"),
        "finance": make_user("committee", functions=["finance"]),
        "sales": make_user("committee", functions=["sales"]),
        "hr": make_user("committee", functions=["hr"]),
        "both": make_user("committee", functions=["finance", "sales"]),
        "rep": make_user("rep"),
    }


def lenient_rules() -> dict:
    """The default approval rules with four approvals for a plan change: a proposal."""
    rules = approval_rules.document_of_default()
    rules["plan_change"]["min_approvals"] = 4
    return rules


def last_quarters(count: int = 4):
    return completed_periods("quarter", utcnow().date(), count)


def plan_history(key: str, owners: dict[str, str], prefix: str) -> dict:
    """Participants on plan `key` for the last four completed quarters, each closing a
    deal of 100000 a quarter (`owners`: participant id -> deal type), ids PREFIX-who-i:
    a plan of its own for the browser tests, whose live database every test shares."""
    quarters = last_quarters()
    start = (quarters[0].start - timedelta(days=400)).isoformat()
    return {
        "participants": [
            {"id": who, "assignments": [{"plan": key, "start": start}]} for who in owners
        ],
        "deals": [
            {
                "id": f"{prefix}-{who}-{i}",
                "type": kind,
                "amount": "100000",
                "currency": "USD",
                "close_date": (q.start + timedelta(days=20)).isoformat(),
                "owner": who,
            }
            for i, q in enumerate(quarters)
            for who, kind in owners.items()
        ],
    }


def import_history(db, *, quota_gap: bool = False) -> dict:
    """Two reps on ae-plan; in each of the last four completed quarters ana closes a new
    deal of 100000 and bo an expansion of 50000 (quotas 200000, one missing if asked)."""
    quarters = last_quarters()
    start = quarters[0].start - timedelta(days=400)
    deals, quotas = [], []
    for i, q in enumerate(quarters):
        day = q.start + timedelta(days=20)
        deals.append(_deal(f"A-{i}", "new", "100000", day, "ana"))
        deals.append(_deal(f"B-{i}", "expansion", "50000", day, "bo"))
        for who in ("ana", "bo"):
            if not (quota_gap and q == quarters[-1]):
                quotas.append(
                    {"participant": who, "plan": "ae-plan", "period": q.name, "amount": "200000"}
                )
    payload = {
        "participants": [
            {"id": who, "assignments": [{"plan": "ae-plan", "start": start.isoformat()}]}
            for who in ("ana", "bo")
        ],
        "deals": deals,
        "quotas": quotas,
    }
    import_data(db, payload, source="history")
    return {"quarters": quarters}


def _deal(deal_id: str, kind: str, amount: str, day: date, owner: str) -> dict:
    return {
        "id": deal_id,
        "type": kind,
        "amount": amount,
        "currency": "USD",
        "close_date": day.isoformat(),
        "owner": owner,
    }


def submitted(db, people, text: str, *, effective: date | None = date(2026, 1, 1)):
    """A new draft of ae-plan, submitted by the author; returns the version."""
    version = lifecycle.create_draft(db, people["author"], text)
    return lifecycle.submit(
        db, people["author"], "ae-plan", version.number, effective_from=effective
    )


def replacing_active(db, author, rate: str):
    """ae-plan 1 at 6% active (from 2025, approved without votes), version 2 at `rate`
    submitted by `author` (effective 2026); returns version 2."""
    lifecycle.create_draft(db, author, plan_text("0.06"))
    lifecycle.submit(db, author, "ae-plan", 1, effective_from=date(2025, 1, 1))
    lifecycle.approve(db, None, "ae-plan", 1)
    lifecycle.activate(db, author, "ae-plan", 1)
    lifecycle.create_draft(db, author, plan_text(rate))
    return lifecycle.submit(db, author, "ae-plan", 2, effective_from=date(2026, 1, 1))


def vote(db, user, version, decision: str = "approve", comment: str | None = None):
    return cast_plan_vote(
        db,
        user,
        version.plan_key,
        version.number,
        decision=decision,
        content_hash=voted_hash(db, version),
        comment=comment,
    )


def approve_by_committee(db, people, version) -> None:
    for who in ("finance", "sales", "hr"):
        vote(db, people[who], version)
