"""What an event or an inbox item is about: its row, its ballot, its page and its title.

Events name their subject as the audit log does (object type and label: "ae/3",
"approval-rules/4", "EX-12", "payout-run/2026-Q3#7", a dispute's id); `find` loads the
row back, `ballot_of` wraps a votable one in the ballot every vote goes through
(governance/committee/ballots.py), and `path`/`title` say where and what it is.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from governance.committee.approval_rules import RuleSetBallot
from governance.committee.ballots import Ballot
from governance.exceptions.workflow import ExceptionBallot
from governance.payouts.close import RunBallot
from governance.plans.votes import PlanBallot
from models.approvals import ApprovalRuleSet
from models.disputes import Dispute
from models.exceptions import PayoutException
from models.notifications import Webhook
from models.payouts import PayoutRun
from models.policy import PlanVersion

# object type -> the ballot its votes go through.
BALLOTS: dict[str, type[Ballot]] = {
    "plan_version": PlanBallot,
    "approval_rules": RuleSetBallot,
    "payout_exception": ExceptionBallot,
    "payout_run": RunBallot,
}
MODELS = {
    "plan_version": PlanVersion,
    "approval_rules": ApprovalRuleSet,
    "payout_exception": PayoutException,
    "payout_run": PayoutRun,
}
NOUNS = {
    "plan_version": "Plan change",
    "approval_rules": "Approval rules",
    "payout_exception": "Exception",
    "payout_run": "Payout run",
    "dispute": "Dispute",
    "webhook": "Webhook",
}


def _number(text: str) -> int | None:
    return int(text) if text.isdigit() else None


def find(session: Session, object_type: str, object_id: str) -> Any | None:
    """The row an event names (None: gone, or a type that is no subject)."""
    if object_type == "plan_version":
        key, _, number = object_id.rpartition("/")
        if not key or _number(number) is None:
            return None
        stmt = select(PlanVersion).where(
            PlanVersion.plan_key == key, PlanVersion.number == int(number)
        )
        return session.scalars(stmt).one_or_none()
    if object_type == "approval_rules":
        number = _number(object_id.rpartition("/")[2])
        stmt = select(ApprovalRuleSet).where(ApprovalRuleSet.number == number)
        return None if number is None else session.scalars(stmt).one_or_none()
    if object_type == "payout_exception":
        number = _number(object_id.removeprefix("EX-"))
        return None if number is None else session.get(PayoutException, number)
    if object_type == "payout_run":
        number = _number(object_id.rpartition("#")[2])
        return None if number is None else session.get(PayoutRun, number)
    if object_type == "dispute":
        number = _number(object_id)
        return None if number is None else session.get(Dispute, number)
    if object_type == "webhook":  # an admin's test
        number = _number(object_id)
        return None if number is None else session.get(Webhook, number)
    return None


def ballot_of(object_type: str, row: Any) -> Ballot | None:
    kind = BALLOTS.get(object_type)
    return kind(row) if kind is not None and row is not None else None


def path(object_type: str, row: Any, kind: str | None = None) -> str:
    """The page (path on this site) that shows the subject; a run's publication links to
    its period's statements (the page its reps can open; the run page is not theirs)."""
    if object_type == "plan_version":
        return f"/committee/changes/{row.plan_key}/{row.number}"
    if object_type == "approval_rules":
        return "/committee/approval-rules"
    if object_type == "payout_exception":
        return f"/exceptions/{row.id}"
    if object_type == "payout_run" and kind == "run_published":
        return f"/statements?period={row.period}"
    if object_type == "payout_run":
        return f"/payout-runs/{row.id}"
    if object_type == "webhook":
        return "/admin/webhooks"
    return f"/disputes/{row.id}"


def label(object_type: str, row: Any) -> str:
    if object_type == "webhook":
        return row.name
    return f"Dispute {row.id}" if object_type == "dispute" else row.label


def title(object_type: str, row: Any) -> str:
    """ "Plan change ae/3", "Payout run payout-run/2026-Q3#7"..."""
    if object_type == "dispute":
        return label(object_type, row)
    return f"{NOUNS.get(object_type, object_type)} {label(object_type, row)}"
