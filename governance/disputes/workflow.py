"""Disputes: a rep challenges a line of their locked statement; reviewers resolve it.

open -> under_review -> resolved_accepted | resolved_rejected (a reviewer may also
resolve an open dispute directly). One function per step, state changes through
`workflow.transition`: each checks the actor and the dispute's state, appends a
`DisputeEvent` (the history the rep and their manager read) and an audit record, in the
caller's transaction. Accepting files an `adjustment` exception
(`exceptions.workflow.file_exception`). Who sees what, due dates and input checks:
`disputes.rules`.

The lifecycle, the checks and the guarantees: docs/disputes.md.
"""

from __future__ import annotations

from datetime import date, datetime
from operator import attrgetter
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from governance import audit
from governance.disputes.rules import (
    CENT,
    DUE_BUSINESS_DAYS,
    MAX_REASON,
    add_business_days,
    clean_attachments,
    content_hash,
    get,
    parse_amount,
    text_problems,
)
from governance.errors import (
    Conflict,
    GovernanceError,
    Invalid,
    InvalidTransition,
    NotAllowed,
    NotFound,
    StaleEdit,
)
from governance.exceptions import workflow as exceptions
from governance.permissions import Actor, has_permission, require
from governance.statements.read import sees_unpublished
from governance.workflow import Workflow, transition
from models.base import utcnow
from models.disputes import ALLOWED_TRANSITIONS, OPEN_STATES, Dispute, DisputeEvent
from models.payouts import BUILDING, PayoutLine, PayoutRun
from rules.problems import Problem

OBJECT_TYPE = "dispute"


# --------------------------------------------------------------------------- helpers


def _event(
    session: Session,
    actor: Actor,
    dispute: Dispute,
    kind: str,
    *,
    from_state: str | None = None,
    to_state: str | None = None,
    comment: str | None = None,
) -> DisputeEvent:
    event = DisputeEvent(
        dispute=dispute,
        kind=kind,
        actor_id=getattr(actor, "id", None),
        at=utcnow(),
        from_state=from_state,
        to_state=to_state,
        comment=comment,
    )
    session.add(event)
    return event


def _save(session: Session, dispute: Dispute) -> None:
    """Write the dispute's row (bumping `version`); a concurrent writer's change wins."""
    dispute_id = dispute.id
    dispute.updated_at = utcnow()  # every change, even a comment, is a new version
    try:
        session.flush()
    except StaleDataError:
        raise StaleEdit(
            f"Dispute {dispute_id} was changed by someone else at the same time: reload it."
        ) from None


def _load(session: Session, actor: Actor, dispute_id: int, expected_version: int | None) -> Dispute:
    dispute = get(session, actor, dispute_id, lock=True)
    if expected_version is not None and dispute.version != expected_version:
        raise StaleEdit(
            f"Dispute {dispute_id} is at version {dispute.version}, not {expected_version}:"
            " reload it and try again."
        )
    return dispute


# The history entry each move writes (the rep and their manager read it).
EVENT_OF_STATE = {
    "under_review": "review_started",
    "resolved_accepted": "accepted",
    "resolved_rejected": "rejected",
}


def _stamp(dispute: Dispute, to_state: str, actor: Actor, note, now: datetime) -> None:
    dispute.updated_at = now  # every change, even a comment, is a new version
    if to_state not in OPEN_STATES:
        dispute.resolved_at = now
        dispute.resolved_by_id = getattr(actor, "id", None)


def _history(dispute: Dispute, from_state, to_state, actor: Actor, note) -> DisputeEvent:
    return DisputeEvent(
        dispute=dispute,
        kind=EVENT_OF_STATE[to_state],
        actor_id=getattr(actor, "id", None),
        at=utcnow(),
        from_state=from_state,
        to_state=to_state,
        comment=note,
    )


DISPUTES = Workflow.of(
    OBJECT_TYPE,
    ALLOWED_TRANSITIONS,
    label=lambda dispute: f"Dispute {dispute.id}",
    audit_id=attrgetter("id"),
    fingerprint=content_hash,
    stamp=_stamp,
    history=_history,
    note_key="comment",
    state_text=lambda state: state.replace("_", " "),
)


# --------------------------------------------------------------------------- filing


def disputable_line(session: Session, actor: Actor, line_id: int):
    """(line, run) if the actor may dispute this line: their own, of a locked run (for
    a rep, a published one: a line they cannot see is not one they can name)."""
    line = session.get(PayoutLine, line_id)
    if line is None or (actor is not None and actor.participant_id != line.participant_id):
        # A rep sees their own lines only: someone else's line is not one they can name.
        raise NotFound(f"No statement line {line_id} of yours.")
    run = session.get(PayoutRun, line.run_id)
    building = run is not None and run.state == BUILDING  # no reader sees a build
    if building or (run is not None and run.published_at is None and not sees_unpublished(actor)):
        raise NotFound(f"No statement line {line_id} of yours.")
    if run is None or run.state != "locked":
        raise Conflict(
            f"Line {line_id} belongs to a payout run that is not locked yet:"
            " only lines of locked runs can be disputed."
        )
    return line, run


def file(
    session: Session,
    actor: Actor,
    line_id: int,
    *,
    reason: str,
    attachments: list[dict[str, str]] | None = None,
    claimed_amount: Any = None,
    today: date | None = None,
    business_days: int | None = None,
) -> Dispute:
    """Dispute one's own line of a locked run; due `business_days` working days later."""
    require(actor, "disputes.file", "Disputing a statement line")
    problems = text_problems(reason, "reason", required=True, limit=MAX_REASON)
    clean, more = clean_attachments(attachments)
    amount, more_amount = parse_amount(claimed_amount, "claimed_amount")
    problems += more + more_amount
    if problems:
        raise Invalid("The dispute is not valid.", problems)
    line, run = disputable_line(session, actor, line_id)
    if session.scalar(
        select(Dispute.id).where(Dispute.payout_line_id == line_id, Dispute.state.in_(OPEN_STATES))
    ):
        raise Conflict(f"Line {line_id} already has an unresolved dispute.")
    filed_on = today or utcnow().date()
    days = DUE_BUSINESS_DAYS if business_days is None else business_days
    dispute = Dispute(
        payout_line_id=line.id,
        participant_id=line.participant_id,
        period=run.period,
        filed_by_id=getattr(actor, "id", None),
        reason=reason.strip(),
        attachments=clean,
        claimed_amount=amount,
        state="open",
        due_on=add_business_days(filed_on, days),
    )
    session.add(dispute)
    try:
        session.flush()
    except IntegrityError:  # a concurrent filing on the same line won the partial index
        raise Conflict(f"Line {line_id} already has an unresolved dispute.") from None
    _event(session, actor, dispute, "filed", to_state="open", comment=dispute.reason)
    session.flush()
    audit.record(
        session,
        actor,
        f"{OBJECT_TYPE}.filed",
        OBJECT_TYPE,
        dispute.id,
        after=content_hash(dispute),
        payload={
            "line": line.id,
            "participant": line.participant_id,
            "run": line.run_id,
            "period": run.period,
            "line_amount": line.amount,
            "claimed_amount": amount,
            "due_on": dispute.due_on,
            "attachments": [a["name"] for a in clean],
        },
    )
    return dispute


# --------------------------------------------------------------------------- review


def _reviewer(session: Session, actor: Actor, dispute_id: int, expected: int | None, doing):
    require(actor, "disputes.review", doing)
    dispute = _load(session, actor, dispute_id, expected)
    if actor is not None and actor.participant_id == dispute.participant_id:
        raise NotAllowed("Nobody reviews a dispute of their own pay.")
    return dispute


def start_review(
    session: Session,
    actor: Actor,
    dispute_id: int,
    *,
    comment: str | None = None,
    expected_version: int | None = None,
) -> Dispute:
    """A reviewer takes an open dispute up."""
    dispute = _reviewer(session, actor, dispute_id, expected_version, "Reviewing a dispute")
    transition(session, actor, DISPUTES, dispute, "under_review", note=comment)
    return dispute


def resolve_reject(
    session: Session,
    actor: Actor,
    dispute_id: int,
    *,
    resolution: str,
    expected_version: int | None = None,
) -> Dispute:
    """Turn the dispute down; the written reason is what the rep reads."""
    problems = text_problems(resolution, "resolution", required=True, limit=MAX_REASON)
    if problems:
        raise Invalid("A rejection needs a written reason.", problems)
    dispute = _reviewer(session, actor, dispute_id, expected_version, "Resolving a dispute")
    dispute.resolution = resolution.strip()
    transition(session, actor, DISPUTES, dispute, "resolved_rejected", note=dispute.resolution)
    return dispute


def resolve_accept(
    session: Session,
    actor: Actor,
    dispute_id: int,
    *,
    amount: Any = None,
    resolution: str | None = None,
    expected_version: int | None = None,
) -> Dispute:
    """Accept: file an `adjustment` exception for `amount` (default: the rep's claim)."""

    value, problems = parse_amount(amount, "amount")
    problems += text_problems(resolution, "resolution", required=False, limit=MAX_REASON)
    if problems:
        raise Invalid("The acceptance is not valid.", problems)
    dispute = _reviewer(session, actor, dispute_id, expected_version, "Resolving a dispute")
    if (dispute.state, "resolved_accepted") not in ALLOWED_TRANSITIONS:
        raise InvalidTransition(f"Dispute {dispute.id} is {dispute.state.replace('_', ' ')}.")
    value = value if value is not None else dispute.claimed_amount
    if value is None:
        raise Invalid(
            "Say how much the adjustment pays: the rep claimed no amount.",
            [Problem(path="amount", message="required (the dispute names no claimed amount)")],
        )
    line = session.get(PayoutLine, dispute.payout_line_id)
    run = session.get(PayoutRun, line.run_id)
    note = (resolution or "").strip() or None
    fields = {
        "kind": "adjustment",
        "participant": dispute.participant_id,
        "plan": line.plan_key,
        "period": run.period,
        "amount": str(value.quantize(CENT, rounding="ROUND_HALF_UP")),
        "currency": line.currency,
        "justification": f"Dispute {dispute.id} accepted (line {line.id}): "
        + (note or dispute.reason),
    }
    try:
        filed = exceptions.file_exception(session, actor, fields, dispute_id=dispute.id)
    except NotAllowed as exc:
        raise NotAllowed(exc.message) from None
    except GovernanceError as exc:  # the exception's own checks: plan, period, amount...
        raise Conflict(f"The adjustment could not be filed: {exc.message}", exc.problems) from None
    dispute.exception_id = filed.id
    dispute.resolution = note
    transition(
        session,
        actor,
        DISPUTES,
        dispute,
        "resolved_accepted",
        note=note,
        exception=filed.id,
        amount=value,
    )
    return dispute


def comment(
    session: Session,
    actor: Actor,
    dispute_id: int,
    text: str,
    *,
    expected_version: int | None = None,
) -> DisputeEvent:
    """Add to the history: the rep on their own dispute, a reviewer on any unresolved one."""
    problems = text_problems(text, "comment", required=True, limit=MAX_REASON)
    if problems:
        raise Invalid("The comment is empty.", problems)
    dispute = _load(session, actor, dispute_id, expected_version)
    if actor is not None and not (
        has_permission(actor, "disputes.review")
        or (
            has_permission(actor, "disputes.file")
            and actor.participant_id == dispute.participant_id
        )
    ):
        raise NotAllowed("Only the rep who disputes the line and reviewers comment on it.")
    if not dispute.is_open:
        raise InvalidTransition(f"Dispute {dispute.id} is resolved: it takes no more comments.")
    event = _event(session, actor, dispute, "comment", comment=text.strip())
    _save(session, dispute)
    audit.record(
        session,
        actor,
        f"{OBJECT_TYPE}.comment",
        OBJECT_TYPE,
        dispute.id,
        before=content_hash(dispute),
        after=content_hash(dispute),
        payload={"event": event.id},
    )
    return event


# --------------------------------------------------------------------------- escalation


def escalate_overdue(session: Session, today: date, *, actor: Actor = None) -> list[Dispute]:
    """Mark every unresolved dispute past its due day escalated, once (a daily cron job).

    Idempotent: a dispute escalated before is left alone, so running it twice a day, or
    after a missed day, marks each overdue dispute exactly once.
    """
    stmt = (
        select(Dispute)
        .where(
            Dispute.state.in_(OPEN_STATES),
            Dispute.due_on < today,
            Dispute.escalated_at.is_(None),
        )
        .order_by(Dispute.id)
        # Lock them all before the first audit record locks the log's head (the order
        # every writer uses); a dispute resolved meanwhile drops out of the re-checked set.
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    escalated = []
    for dispute in session.scalars(stmt).all():
        before = content_hash(dispute)
        dispute.escalated_at = utcnow()
        days = (today - dispute.due_on).days
        _event(
            session,
            actor,
            dispute,
            "escalated",
            comment=f"overdue by {days} day{'s' if days != 1 else ''} (due {dispute.due_on})",
        )
        _save(session, dispute)
        audit.record(
            session,
            actor,
            f"{OBJECT_TYPE}.escalated",
            OBJECT_TYPE,
            dispute.id,
            before=before,
            after=content_hash(dispute),
            payload={"due_on": dispute.due_on, "today": today, "state": dispute.state},
        )
        escalated.append(dispute)
    return escalated
