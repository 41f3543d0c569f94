"""Where a plan version stands, in one sentence: what it waits for, or why it cannot move.

    next_step(session, version) -> "Waiting for a vote from finance."

The pages (plan version, change request) and the API (`next_step` on a version, its
votes and its change request) show the same sentence. It names what is missing: the
votes still needed (by function or role, then by count), the activation, or the reason a
request approved by its votes stays submitted (a date a payout run locked since). It
reads the tally and the gates; it decides nothing.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from governance.committee.quorum import Tally
from governance.plans import gates
from governance.plans.tally import plan_tally
from models.base import utcnow
from models.policy import PlanTransition, PlanVersion


def _slot(slot: str) -> str:
    kind, _, name = slot.partition(":")
    name = name.replace("_", " ")
    return name if kind == "function" else f"the {name} role"


def _names(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _waiting(tally: Tally) -> str:
    rule, missing = tally.rule, [_slot(s) for s in tally.missing]
    count = f"{len(tally.approvals)} of {rule.min_approvals} approvals"
    if tally.possible is False:
        needed = f"{rule.min_approvals} approvals"
        if missing:
            needed += f" including {_names(missing)}"
        return (
            f"Approval is no longer possible: the members who may still vote cannot give"
            f" {needed} ({count})."
        )
    more = max(rule.min_approvals - len(tally.approvals), 0)
    extra = more - len(missing)
    if missing and extra > 0:
        member = "member" if extra == 1 else "members"
        return f"Waiting for votes from {_names([*missing, f'{extra} more {member}'])} ({count})."
    if missing:
        votes = "a vote" if len(missing) == 1 else "votes"
        return f"Waiting for {votes} from {_names(missing)} ({count})."
    approvals = "approval" if more == 1 else "approvals"
    return f"Waiting for {more} more {approvals} ({count})."


def _last_note(session: Session, version: PlanVersion) -> str | None:
    return session.scalar(
        select(PlanTransition.note)
        .where(PlanTransition.version_id == version.id)
        .order_by(PlanTransition.id.desc())
        .limit(1)
    )


def _submitted(session: Session, version: PlanVersion, tally: Tally | None) -> str:
    tally = tally or plan_tally(session, version)
    if not tally.approved:
        return _waiting(tally)
    day = version.effective_from
    if day is None:
        return (
            "Approved by the votes; waiting for an effective date, recorded with the approval"
            " by a holder of plans.approve (submitted before dates were voted on)."
        )
    if gates.effective_date_problems(session, version):
        return (
            f"Approved by the votes, but {day.isoformat()} now falls in a locked payout"
            " period: withdraw the request and submit it again with a later date, or as"
            " retroactive."
        )
    return "Approved by the votes; waiting for the approval to be recorded (POST .../approve)."


def next_step(session: Session, version: PlanVersion, *, tally: Tally | None = None) -> str:
    """One sentence: what `version` waits for, or where it ended. `tally`: if counted."""
    day = version.effective_from.isoformat() if version.effective_from else None
    state = version.state
    if state == "draft":
        return "Draft: submit it with the effective date the committee is to vote on."
    if state == "submitted":
        return _submitted(session, version, tally)
    if state == "approved":
        return f"Approved; waiting for a comp admin (plans.activate) to put it in force from {day}."
    if state == "active":
        if version.effective_from and version.effective_from > utcnow().date():
            return f"Approved and active; governs from {day} (the version before it until then)."
        return f"Active; in force since {day}."
    note = _last_note(session, version)
    if state == "superseded":
        return f"Superseded ({note})." if note else "Superseded by a later version."
    if state == "rejected":
        return f"Rejected: {note}" if note else "Rejected."
    return f"Withdrawn: {note}" if note else "Withdrawn."
