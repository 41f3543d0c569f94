"""An exception's impact estimate evaluates only the participants it can change
(governance/exceptions/scope.py), and equals the simulation of the whole data: every
kind of exception, split deals, manager credit, a draw, approved exceptions crediting
another person's deal, a clawback in a later period, other people's data far later
(both backends)."""

from __future__ import annotations

from datetime import date

import pytest

from governance.exceptions.fields import read_fields
from governance.exceptions.impact import estimate, section3_exception
from governance.imports.service import import_data
from governance.plans import lifecycle
from tests.integration.exception_setup import PLAN as ae_plan
from tests.integration.exception_setup import _deal as exception_deal
from tests.integration.exception_setup import make_person

# exception_setup's ae-plan (6% new business, 2% else, a margin gate, a churn clawback),
# with manager credit, a per-period cap and a recoverable draw.
PLAN = (
    ae_plan.replace("policy: ae-plan", "policy: team-plan")
    .replace(
        "    to: splits\n    share: 1\n",
        "    to: splits\n    share: 0.9\n  - id: override\n    to: {manager_of: owner}\n"
        "    share: 0.1\n",
    )
    .rstrip("\n")
    + "\ncaps:\n  per_period: 9000\n"
    + "draw: {id: ramp, amount: 300, recoverable: true, until: 2027-06-30}\n"
)

TODAY = date(2026, 11, 20)


def _deal(deal_id, kind, amount, day, owner, margin="0.42", splits=None):
    deal = exception_deal(deal_id, kind, amount, day, owner, margin)
    if splits:
        deal["splits"] = [{"participant": p, "share": s} for p, s in splits]
    return deal


def _person(pid, manager=None):
    return {
        "id": pid,
        "manager": manager,
        "assignments": [{"plan": "team-plan", "start": "2026-01-01"}],
    }


@pytest.fixture
def world(db):
    author = make_person(db, "author", "comp_admin")
    lifecycle.create_draft(db, author, PLAN)
    lifecycle.submit(db, author, "team-plan", 1, effective_from=date(2026, 1, 1))
    lifecycle.approve(db, None, "team-plan", 1)
    lifecycle.activate(db, author, "team-plan", 1)
    fillers = [f"f{n:02}" for n in range(12)]
    deals = [
        _deal("D-1", "new", "100000", "2026-07-14", "ana", splits=[("ana", "0.6"), ("cy", "0.4")]),
        _deal("D-2", "new", "50000", "2026-08-01", "ana", margin="0.1"),
        _deal("D-3", "expansion", "200000", "2026-08-10", "bo"),
        _deal("D-4", "new", "30000", "2026-09-20", "cy"),
        _deal("D-5", "new", "80000", "2026-12-01", "bo"),
        _deal("D-0", "new", "10000", "2025-11-03", "f00"),  # the data's first day
    ]
    for n, who in enumerate(fillers * 3):
        month = 1 + n % 12
        deals.append(_deal(f"F-{n}", "new", str(5000 + 700 * n), f"2026-{month:02}-11", who))
    deals.append(_deal("F-late", "new", "9000", "2027-05-02", "f03"))  # the last close
    import_data(
        db,
        {
            "participants": [
                _person("mo"),
                _person("ana", "mo"),
                _person("bo", "mo"),
                _person("cy"),
                *(_person(who, "zed") for who in fillers),
                _person("zed"),
            ],
            "deals": deals,
            "events": [
                {"deal": "D-3", "kind": "cancellation", "date": "2026-10-02"},
                {"deal": "F-7", "kind": "cancellation", "date": "2027-08-09"},  # last day
            ],
        },
        source="scope-test",
    )
    db.commit()


APPROVED = [
    # bo's share of a filler's deal, and an adjustment of someone unrelated in a later
    # period (it extends the periods evaluated).
    section3_exception(
        "EX-1",
        "override_split",
        deal="F-5",
        plan="team-plan",
        credits=[{"participant": "f05", "share": "0.5"}, {"participant": "bo", "share": "0.5"}],
    ),
    section3_exception(
        "EX-2",
        "adjustment",
        participant="f09",
        plan="team-plan",
        period="2027-Q4",
        amount="100.00",
        reason="late SPIF",
    ),
]

REQUESTS = {
    "gate waiver": {"kind": "waive_gate", "deal": "D-2", "rule": "margin-floor"},
    "clawback waiver": {"kind": "waive_clawback", "deal": "D-3", "rule": "churn"},
    "split override": {
        "kind": "override_split",
        "deal": "D-1",
        "credits": [
            {"participant": "ana", "share": "0.5"},
            {"participant": "bo", "share": "0.25"},
            {"participant": "f01", "share": "0.25"},
        ],
    },
    "split of another manager's report's deal": {
        "kind": "override_split",
        "deal": "F-8",
        "credits": [{"participant": "f08", "share": "0.5"}, {"participant": "cy", "share": "0.5"}],
    },
    "adjustment": {
        "kind": "adjustment",
        "participant": "bo",
        "period": "2026-Q3",
        "amount": "-2500.00",
    },
    "adjustment of a manager": {
        "kind": "adjustment",
        "participant": "mo",
        "period": "2026-Q4",
        "amount": "700.00",
    },
}


@pytest.mark.parametrize("name", list(REQUESTS))
def test_the_scoped_estimate_equals_the_whole_simulation(db, world, name):
    fields = {"plan": "team-plan", "justification": "scope test", **REQUESTS[name]}
    target = read_fields(db, fields, today=TODAY)
    scoped = estimate(db, target, APPROVED)
    whole = estimate(db, target, APPROVED, whole=True)
    assert scoped["complete"] and whole["complete"], (scoped["problems"], whole["problems"])
    assert whole["moved"] != "0.00" or name == "adjustment of a manager"
    evaluated = scoped.pop("scope")["participants"]
    assert len(evaluated) < 8  # of 17 participants
    # The period's totals are over the participants evaluated: only their difference is
    # the whole simulation's.
    for side in (scoped, whole):
        before, after = side.pop("before"), side.pop("after")
        assert float(after) - float(before) == pytest.approx(float(side["now"]["delta"]))
    assert scoped == whole


def test_problems_of_the_affected_participants_make_it_incomplete(db, world):
    """A quota-less tier or a missing rate is the affected people's problem: reported."""
    fields = {
        "plan": "team-plan",
        "justification": "scope test",
        "kind": "override_split",
        "deal": "D-4",
        "credits": [{"participant": "cy", "share": "1"}],
    }
    target = read_fields(db, fields, today=TODAY)
    broken = [
        *APPROVED,
        section3_exception(
            "EX-3",
            "adjustment",
            participant="cy",
            plan="team-plan",
            period="not-a-period",
            amount="1.00",
            reason="x",
        ),
    ]
    scoped = estimate(db, target, broken)
    whole = estimate(db, target, broken, whole=True)
    assert not scoped["complete"] and not whole["complete"]
    assert scoped["problems"] == whole["problems"]
