"""Disputes' ground rules: errors, due dates, input checks, and who sees which dispute.

The transitions are in `governance.disputes.workflow`, which builds on these; callers
import either module as they need.

Visibility: reviewers (`disputes.review`) and auditors (`audit.read`) see every dispute;
a rep (`disputes.file` or `statements.read_own`) the disputes of their own participant;
a manager (`statements.read_team`) those of their team: everyone below them in the
reporting line, transitively (`governance.statements.read.team_of`, the statements' rule).
Anyone else sees none. A dispute one may not see is "not found", not "forbidden": its
existence is none of their business.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from governance.audit import sha256_json
from governance.engine_input import among

# The workflows share one family of refusals (governance/errors.py), so the API
# and the pages map each kind to one HTTP status in one place (app/errors.py).
from governance.errors import (
    GovernanceError,
    Invalid,
    NotAllowed,
    NotFound,
)
from governance.permissions import Actor, has_permission
from governance.statements.read import team_of
from models.disputes import OPEN_STATES, Dispute
from models.identity import User
from rules.problems import Problem

DUE_BUSINESS_DAYS = 10
MAX_REASON = 3000  # an accepted dispute's adjustment quotes it (max 4000)
MAX_ATTACHMENTS = 10
MAX_ATTACHMENT_NAME = 200
MAX_ATTACHMENT_TEXT = 100_000
CENT = Decimal("0.01")

DisputeError = GovernanceError  # the base every refusal here derives from


# --------------------------------------------------------------------------- due dates


def add_business_days(start: date, days: int) -> date:
    """`days` Monday-to-Friday days after `start` (a weekend filing counts from Monday)."""
    day = start
    while days > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            days -= 1
    return day


def is_overdue(dispute: Dispute, today: date) -> bool:  # (Dispute.overdue: today in UTC)
    """Unresolved after its due day (the due day itself is still in time)."""
    return dispute.state in OPEN_STATES and today > dispute.due_on


# --------------------------------------------------------------------------- visibility


def sees_all(actor: Actor) -> bool:
    return actor is None or any(has_permission(actor, p) for p in ("disputes.review", "audit.read"))


def may_list(actor: Actor) -> bool:
    """Whether the actor has any view of disputes at all (others get 403)."""
    return sees_all(actor) or any(
        has_permission(actor, p)
        for p in ("disputes.file", "statements.read_own", "statements.read_team")
    )


def _own(actor: User) -> bool:
    return any(has_permission(actor, p) for p in ("disputes.file", "statements.read_own"))


def can_view(session: Session, actor: Actor, dispute: Dispute) -> bool:
    """Reviewers and auditors: every dispute; a rep: their own; a manager: their team's."""
    if sees_all(actor):
        return True
    mine = actor.participant_id
    if mine is None:
        return False
    if dispute.participant_id == mine and _own(actor):
        return True
    if has_permission(actor, "statements.read_team"):
        return dispute.participant_id in team_of(session, mine)
    return False


SCOPES = ("mine", "team", "all")


def visible(
    session: Session,
    actor: Actor,
    *,
    scope: str | None = None,
    states: Iterable[str] | None = None,
) -> Select:
    """A select of the disputes the actor may see, newest first.

    `scope`: "mine" (the actor's own lines), "team" (everyone below them), "all" (reviewers
    and auditors only); None is everything the actor may see.
    """
    if scope not in (None, *SCOPES):
        raise Invalid("Unknown scope.", [Problem(path="scope", message=f"one of {SCOPES}")])
    if scope == "all" and not sees_all(actor):
        raise NotAllowed("Only reviewers and auditors list every dispute.")
    stmt = select(Dispute)
    mine = getattr(actor, "participant_id", None)

    def team() -> set[str]:  # walks the reporting line: only when a branch needs it
        return team_of(session, mine) if mine is not None else set()

    if scope == "mine":
        stmt = stmt.where(Dispute.participant_id == mine)
    elif scope == "team":
        stmt = stmt.where(among(session, Dispute.participant_id, team()))
    elif scope is None and not sees_all(actor):
        allowed = []
        if mine is not None and _own(actor):
            allowed.append(Dispute.participant_id == mine)
        if mine is not None and has_permission(actor, "statements.read_team"):
            allowed.append(among(session, Dispute.participant_id, team()))
        stmt = stmt.where(or_(*allowed)) if allowed else stmt.where(Dispute.id.is_(None))
    if scope in ("mine", "team") and mine is None:
        stmt = stmt.where(Dispute.id.is_(None))
    if states:
        stmt = stmt.where(Dispute.state.in_(list(states)))
    return stmt.order_by(Dispute.id.desc())


def get(session: Session, actor: Actor, dispute_id: int, *, lock: bool = False) -> Dispute:
    """The dispute, if the actor may see it (otherwise NotFound: it is none of theirs).

    `lock`: SELECT ... FOR UPDATE, re-read (a copy in the session could predate the lock).
    Every change locks the dispute's row first, before the audit log's head: one order for
    everyone, so two writers queue instead of deadlocking, and the second sees the first's
    outcome (a resolved dispute, a new version) instead of overwriting it.
    """
    if lock:
        dispute = session.get(Dispute, dispute_id, with_for_update=True, populate_existing=True)
    else:
        dispute = session.get(Dispute, dispute_id)
    if dispute is None or not can_view(session, actor, dispute):
        raise NotFound(f"No dispute {dispute_id}.")
    return dispute


# --------------------------------------------------------------------------- input


def text_problems(value: str | None, path: str, *, required: bool, limit: int) -> list[Problem]:
    if value is None or not value.strip():
        return [Problem(path=path, message="required")] if required else []
    if len(value) > limit:
        return [Problem(path=path, message=f"at most {limit} characters")]
    return []


def clean_attachments(items: Any) -> tuple[list[dict[str, str]], list[Problem]]:
    if items is None:
        return [], []
    if not isinstance(items, list | tuple):
        return [], [Problem(path="attachments", message="a list of {name, text}")]
    problems: list[Problem] = []
    if len(items) > MAX_ATTACHMENTS:
        problems.append(Problem(path="attachments", message=f"at most {MAX_ATTACHMENTS}"))
    clean = []
    for i, item in enumerate(items):
        where = f"attachments[{i}]"
        if not isinstance(item, Mapping):
            problems.append(Problem(path=where, message="an object {name, text}"))
            continue
        name, text = item.get("name"), item.get("text")
        for key, value, limit in (
            ("name", name, MAX_ATTACHMENT_NAME),
            ("text", text, MAX_ATTACHMENT_TEXT),
        ):
            if not isinstance(value, str):
                problems.append(Problem(path=f"{where}.{key}", message="required text"))
            else:
                problems.extend(text_problems(value, f"{where}.{key}", required=True, limit=limit))
        clean.append({"name": name, "text": text})
    return clean, problems


def parse_amount(value: Any, path: str) -> tuple[Decimal | None, list[Problem]]:
    if value is None:
        return None, []
    if isinstance(value, float):
        return None, [Problem(path=path, message='send the amount as text, e.g. "120.50"')]
    try:
        amount = Decimal(str(value)).quantize(CENT, rounding="ROUND_HALF_UP")
    except ArithmeticError:
        return None, [Problem(path=path, message="not a number")]
    if not amount.is_finite() or amount == 0:
        return None, [Problem(path=path, message="a non-zero amount")]
    if abs(amount) >= Decimal("1e15"):
        return None, [Problem(path=path, message="too large")]
    return amount, []


def content_hash(dispute: Dispute) -> str:
    """SHA-256 of what the dispute says and where it stands (audit before/after)."""
    fields = {
        "line": dispute.payout_line_id,
        "participant": dispute.participant_id,
        "reason": dispute.reason,
        "attachments": dispute.attachments or [],
        "claimed_amount": None if dispute.claimed_amount is None else str(dispute.claimed_amount),
        "state": dispute.state,
        "resolution": dispute.resolution,
        "exception": dispute.exception_id,
        "due_on": dispute.due_on.isoformat(),
        "escalated": dispute.escalated_at is not None,
    }
    return sha256_json(fields)
