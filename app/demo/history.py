"""The demo's plan history, made through the governance services as people would make it.

The five plans of `examples/` become active plan versions, with a year of history behind
them (docs/demo.md, "Plan history"):

- every plan's version 1 was drafted by the comp admin (Claire Donovan) in December 2025,
  approved by committee vote and put in force from 2026-01-01;
- `ae-plan` version 2 (the example as written: accelerator x1.5 instead of x1.25) was
  approved by the committee with its impact simulation and governs from 2026-07-01;
  version 1 is superseded;
- `se-overlay` version 2 (high-volume rate 0.02 instead of 0.015) was rejected
  by finance's vote, with a written reason;
- `manager-rollup` version 2 (quarterly cap 3,500 instead of 2,500) is open: HR has
  approved it, sales and finance have not voted yet, so the committee has something to
  vote on.

Every step calls `governance.policy_store` and `governance.votes` with the demo users as
actors: the permission, separation-of-duties, content-hash and quorum checks all run,
and every step writes its transition and audit records.

Pinned dates: a change request's impact simulation counts its periods back from the
submission date, read from the clock; `app.demo.clock.on` pins it to the day the story
says the request was sent, so the stored impact is the same on every load.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.demo import clock
from app.demo.roster import PLANS
from app.demo.users import (
    AUTHOR,
    CUSTOMER_SUCCESS,
    FINANCE,
    HR,
    MARKETING,
    REVOPS,
    SALES,
    DemoUsers,
)
from governance.plans import lifecycle
from governance.plans.tally import voted_hash
from governance.plans.votes import cast_plan_vote
from models.policy import PlanVersion

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


FIRST_SUBMITTED = date(2025, 12, 8)
YEAR_START = date(2026, 1, 1)

# The member who approves a plan's first version besides sales and finance (the default
# rule: three approvals, finance and sales among them).
OWNER_VOTER = {
    "ae-plan": REVOPS,
    "se-overlay": REVOPS,
    "marketing-attribution": MARKETING,
    "csm-renewals": CUSTOMER_SUCCESS,
    "manager-rollup": HR,
}


@dataclass(frozen=True)
class Change:
    """A later version of a plan: the text edits from its predecessor and its story."""

    plan: str
    submitted_on: date
    effective_from: date
    note: str
    ballots: tuple[tuple[str, str, str], ...]  # (voter e-mail, decision, comment)
    activate: bool = False


# ae-plan version 1: the accelerator paid x1.25; the example (version 2) pays x1.5. The
# embedded test's figures move with it: D-103's accelerator slice 30,000 x 0.075 = 2,250.
AE_PLAN_V1_EDITS = (
    ("to: 1.5, multiplier: 1.5}", "to: 1.5, multiplier: 1.25}"),
    ("accelerator 30,000 x 0.09 = 2,700 -> 6,300", "accelerator 30,000 x 0.075 = 2,250 -> 5,850"),
    ('held: "6300.00"', 'held: "5850.00"'),
    ('rate: null, amount: "6300.00"', 'rate: null, amount: "5850.00"'),
)  # fmt: skip
SE_OVERLAY_V2_EDITS = (
    ("from: 200000, rate: 0.015}", "from: 200000, rate: 0.02}"),
    ("every line at 0.015.", "every line at 0.02."),
    ("D-101 1,800 payable; D-103 2,250 held", "D-101 2,400 payable; D-103 3,000 held"),
    ('payable: "2600.00"', 'payable: "3200.00"'),
    ('held: "2250.00"', 'held: "3000.00"'),
    ('rate: "0.015", amount: "1800.00"', 'rate: "0.02", amount: "2400.00"'),
    ('amount: "2250.00"', 'amount: "3000.00"'),
)  # fmt: skip
MANAGER_ROLLUP_V2_EDITS = (
    ("per_period: 2500", "per_period: 3500"),
    ("crosses 2,500: cut to 400", "crosses 3,500: cut to 1,400"),
    ('payable: "2500.00"', 'payable: "3500.00"'),
    ('D-103, amount: "400.00"', 'D-103, amount: "1400.00"'),
    ("demo quarter reaches the period cap", "demo quarter reaches the raised period cap"),
)  # fmt: skip

CHANGES = (
    Change(
        "ae-plan",
        date(2026, 7, 6),
        date(2026, 7, 1),
        "Accelerator from x1.25 to x1.5 above 100% attainment for the second half.",
        (
            (SALES, "approve", "Keeps the top of the team pushing through Q4."),
            (FINANCE, "approve", "Cost in the simulation is within the H2 budget."),
            (REVOPS, "approve", None),
        ),
        activate=True,
    ),
    Change(
        "se-overlay",
        date(2026, 10, 5),
        date(2026, 10, 1),
        "High-volume rate from 1.5% to 2% of SE credit above 200,000 a quarter.",
        (
            (SALES, "approve", "SEs carry more deals per quarter since the EMEA hires."),
            (
                FINANCE,
                "reject",
                "Every SE passes 200,000 in an ordinary quarter, so this is a flat rate "
                "rise, not a volume reward. Bring it back with the FY2027 budget.",
            ),
        ),
    ),
    Change(
        "manager-rollup",
        date(2026, 11, 20),
        date(2026, 10, 1),
        "Quarterly override cap from 2,500 to 3,500: the managers hit the cap in every "
        "quarter so far.",
        ((HR, "approve", "No concern from HR; the cap applies to every manager alike."),),
    ),
)
CHANGE_EDITS = {
    "se-overlay": SE_OVERLAY_V2_EDITS,
    "manager-rollup": MANAGER_ROLLUP_V2_EDITS,
}


def example_text(plan: str) -> str:
    return (EXAMPLES / f"{plan}.yaml").read_text(encoding="utf-8")


def edited(text: str, edits: tuple[tuple[str, str], ...]) -> str:
    """`text` with each edit applied once; an edit that no longer matches is a demo bug
    (the example changed under it), so it fails loudly rather than loading a wrong story."""
    for old, new in edits:
        if text.count(old) != 1:
            raise RuntimeError(f"demo plan edit {old!r} matches {text.count(old)} times")
        text = text.replace(old, new)
    return text


def _propose(
    session: Session,
    users: DemoUsers,
    plan: str,
    text: str,
    *,
    submitted_on: date,
    effective_from: date,
    note: str,
):
    author = users[AUTHOR]
    version = lifecycle.create_draft(
        session, author, text, source=f"examples/{plan}.yaml", base_dir=EXAMPLES, note=note
    )
    with clock.on(submitted_on):
        lifecycle.submit(
            session, author, plan, version.number, effective_from=effective_from, note=note
        )
    return version


def _vote(session: Session, users: DemoUsers, version, email: str, decision: str, comment):
    cast_plan_vote(
        session,
        users[email],
        version.plan_key,
        version.number,
        decision=decision,
        content_hash=voted_hash(session, version),
        comment=comment,
    )


def load_plan_history(session: Session, users: DemoUsers) -> dict[str, int]:
    """Create the plans' history (see the module docstring); flush only.

    Returns the number of plan versions per final state.
    """
    author = users[AUTHOR]
    for plan in PLANS:
        text = example_text(plan)
        if plan == "ae-plan":
            text = edited(text, AE_PLAN_V1_EDITS)
        version = _propose(
            session,
            users,
            plan,
            text,
            submitted_on=FIRST_SUBMITTED,
            effective_from=YEAR_START,
            note="FY2026 plan",
        )
        for email in (SALES, FINANCE, OWNER_VOTER[plan]):
            _vote(session, users, version, email, "approve", None)
        lifecycle.activate(session, author, plan, version.number, note="in force for FY2026")
    for change in CHANGES:
        text = example_text(change.plan)
        if change.plan in CHANGE_EDITS:
            text = edited(text, CHANGE_EDITS[change.plan])
        version = _propose(
            session,
            users,
            change.plan,
            text,
            submitted_on=change.submitted_on,
            effective_from=change.effective_from,
            note=change.note,
        )
        for email, decision, comment in change.ballots:
            _vote(session, users, version, email, decision, comment)
        if change.activate:
            lifecycle.activate(session, author, change.plan, version.number, note=change.note)
    session.flush()
    return version_states(session)


def version_states(session: Session) -> dict[str, int]:
    """How many plan versions are in each state."""
    rows = session.execute(
        select(PlanVersion.state, func.count()).group_by(PlanVersion.state)
    ).all()
    return dict(sorted(rows))
