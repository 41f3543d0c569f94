"""Payout exceptions (deal desk): filing, voting, withdrawal, and what evaluations see.

    exc = file_exception(session, desk_user, {"kind": "adjustment", "plan": "ae-plan",
                         "participant": "ana", "period": "2026-Q3", "amount": "500.00",
                         "justification": "..."})
    vote, tally = cast_exception_vote(session, finance_member, exc.id, decision="approve",
                                      content_hash=exc.content_hash)
    data = database_data(session, up_to=day, exceptions=approved_exceptions(session, as_of=day))

Filing checks the fields (`exceptions.fields`), estimates the impact (`exceptions.impact`)
and routes the request under the approval rules in force, pinned to it. Routing, votes,
expiry and concurrency: docs/exceptions.md.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import null, or_, select
from sqlalchemy.orm import Session

from governance import audit
from governance.committee import approval_rules
from governance.committee.ballots import Ballot, cast, refusal_text
from governance.committee.quorum import QuorumRule, Tally, eligible_voters, tally
from governance.errors import (
    DocumentRejected,
    GovernanceError,
    InvalidTransition,
    NotAllowed,
    NotFound,
    StaleEdit,
)
from governance.exceptions.fields import content_hash, content_of, read_fields
from governance.exceptions.impact import estimate, section3_exception
from governance.permissions import Actor, has_permission
from governance.workflow import Workflow, transition
from models import Deal
from models.approvals import Vote
from models.exceptions import EXCEPTION_STATES, EXCEPTION_TRANSITIONS, PayoutException
from models.identity import User
from rules.period import Period
from rules.problems import Problem

OBJECT_TYPE = "payout_exception"


def _stamp(exc: PayoutException, to_state: str, actor: Actor, note, now: datetime) -> None:
    exc.version += 1
    exc.decided_at = now
    exc.decision_note = note


EXCEPTIONS = Workflow.of(OBJECT_TYPE, EXCEPTION_TRANSITIONS, stamp=_stamp)
READ_PERMISSIONS = ("exceptions.file", "exceptions.decide", "changes.vote", "audit.read")


def _today() -> date:
    return datetime.now(UTC).date()


# --------------------------------------------------------------------------- reading


def can_read(actor: Actor) -> bool:
    """The deal desk, the committee, comp admins and auditors see every exception."""
    return actor is None or any(has_permission(actor, p) for p in READ_PERMISSIONS)


def get_exception(session: Session, exception_id: int, *, lock: bool = False) -> PayoutException:
    stmt = select(PayoutException).where(PayoutException.id == exception_id)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    found = session.scalars(stmt).one_or_none()
    if found is None:
        raise NotFound(f"No exception EX-{exception_id}.")
    return found


def list_exceptions(session: Session, *, state: str | None = None) -> list[PayoutException]:
    return list(session.scalars(select_exceptions(state)))


def select_exceptions(state: str | None = None):
    """A select of the exceptions in `state` ("expired": approved, past expiry), newest
    first; the list pages narrow, re-order and page it (`exceptions.listing`)."""
    if state is not None and state not in (*EXCEPTION_STATES, "expired"):
        raise DocumentRejected(
            "Unknown state.",
            [Problem("state", f"expected one of {', '.join(EXCEPTION_STATES)}, expired")],
        )
    stmt = select(PayoutException).order_by(PayoutException.id.desc())
    if state == "expired":
        stmt = stmt.where(
            PayoutException.state == "approved", PayoutException.expires_on < _today()
        )
    elif state is not None:
        stmt = stmt.where(PayoutException.state == state)
    return stmt


def exception_votes(session: Session, exc: PayoutException) -> list[Vote]:
    return list(session.scalars(select(Vote).where(Vote.exception_id == exc.id).order_by(Vote.id)))


def deciding_rule(exc: PayoutException) -> QuorumRule:
    """The quorum that decides `exc`: fixed at filing by its route and pinned rule set."""
    if exc.route == "committee":
        return approval_rules.plan_change_rule(exc.rule_set)
    return approval_rules.exception_rule(exc.rule_set, Decimal(exc.impact["moved"]))


def exception_tally(
    session: Session, exc: PayoutException, votes: list[Vote] | None = None
) -> Tally:
    """The tally, also saying whether approval is still possible: the members yet to vote
    are the active users who may vote on this route, other than the filer (as for plan
    changes: without `any_rejection_rejects`, dissent rejects only once approval is
    impossible). `votes`: the exception's votes, if read."""
    undecided = eligible_voters(
        session, excluding=(exc.filed_by_id,), may_vote=lambda user: may_vote(user, exc)
    )
    if votes is None:
        votes = exception_votes(session, exc)
    return tally(votes, deciding_rule(exc), undecided=undecided)


def shown_state(exc: PayoutException, *, on: date | None = None) -> str:
    """The state with expiry applied: an approved exception past `expires_on` shows expired."""
    if exc.state == "approved" and exc.expired(on or _today()):
        return "expired"
    return exc.state


def approved_exceptions(session: Session, *, as_of: date | None = None) -> list[dict]:
    """Approved exceptions in force on `as_of` (default today), in the spec's section-3
    "exceptions" shape, for `database_data(session, up_to=as_of, exceptions=...)`.

    `as_of` is the last day of the evaluation's data: an exception that expired before it
    is left out, and so is one whose deal closes after it or whose adjustment period
    starts after it (their deal or period is not in that data)."""
    day = as_of or _today()
    rows = session.scalars(
        select(PayoutException)
        .outerjoin(Deal, Deal.id == PayoutException.deal_id)
        .where(
            PayoutException.state == "approved",
            or_(PayoutException.expires_on.is_(None), PayoutException.expires_on >= day),
            or_(PayoutException.deal_id.is_(None), Deal.close_date <= day),
        )
        .order_by(PayoutException.id)
    )
    out = []
    for exc in rows:
        if exc.kind == "adjustment" and Period.parse(exc.period).start > day:
            continue
        out.append(engine_item(exc))
    return out


def engine_item(exc: PayoutException) -> dict[str, Any]:
    """A stored exception in the spec's section-3 shape, as the runs pass it."""
    return section3_exception(
        exc.label,
        exc.kind,
        deal=exc.deal_id,
        rule=exc.rule_id,
        plan=exc.plan_key,
        credits=exc.credits,
        participant=exc.participant_id,
        period=exc.period,
        amount=None if exc.amount is None else format(exc.amount.quantize(Decimal("0.01")), "f"),
        reason=exc.justification,
    )


# --------------------------------------------------------------------------- filing


def file_exception(
    session: Session,
    actor: Actor,
    fields: dict,
    *,
    dispute_id: int | None = None,
    today: date | None = None,
) -> PayoutException:
    """Check, estimate and route a request; it is `submitted`, up for a vote.

    `actor=None` is the system. A dispute's reviewer files the adjustment that accepting
    the dispute produces (`dispute_id`) with `disputes.review`."""
    if actor is not None and not (
        has_permission(actor, "exceptions.file")
        or (dispute_id is not None and has_permission(actor, "disputes.review"))
    ):
        raise NotAllowed("Filing an exception needs the permission 'exceptions.file'.")
    today = today or _today()
    target = read_fields(session, fields, today=today)
    approved = approved_exceptions(session, as_of=target.period.end)
    impact = estimate(session, target, approved)
    rule_set = approval_rules.active_rule_set(session)
    # The same comparison as approval_rules.exception_rule (which deciding_rule applies);
    # an unknown impact is never a small one.
    threshold = Decimal(approval_rules.document_of(rule_set)["exception"]["committee_above"])
    committee = not impact["complete"] or abs(Decimal(impact["moved"])) > threshold
    estimated = Decimal(impact["delta"])
    content = content_of(target, estimated_impact=estimated, dispute_id=dispute_id)
    exc = PayoutException(
        kind=target.kind,
        state="submitted",
        participant_id=target.participant_id,
        deal_id=target.deal_id,
        plan_key=target.plan_key,
        rule_id=target.rule_id,
        period=target.period.name,
        amount=target.amount,
        currency=target.currency,
        # SQL NULL, not a JSON null, for the kinds without credits.
        credits=target.credits if target.credits is not None else null(),
        justification=target.justification,
        estimated_impact=estimated,
        impact_currency=target.plan.currency,
        impact=impact,
        route="committee" if committee else "below",
        rule_set_id=rule_set.id,
        expires_on=target.expires_on,
        content_hash=content_hash(content),
        filed_by_id=getattr(actor, "id", None),
        dispute_id=dispute_id,
        version=1,
    )
    session.add(exc)
    session.flush()
    audit.record(
        session,
        actor,
        f"{OBJECT_TYPE}.submitted",
        OBJECT_TYPE,
        exc.label,
        after=exc.content_hash,
        payload={
            "content": content,
            "route": exc.route,
            "decided_under": rule_set.number,
            "moved": impact["moved"],
            "complete": impact["complete"],
        },
    )
    return exc


# --------------------------------------------------------------------------- deciding


def may_vote(actor: Actor, exc: PayoutException) -> bool:
    """Whether `actor` holds the permission this exception's route needs."""
    if actor is None:
        return False
    if has_permission(actor, "changes.vote"):
        return True
    return exc.route == "below" and has_permission(actor, "exceptions.decide")


class ExceptionBallot(Ballot):
    object_type = OBJECT_TYPE
    column = "exception_id"
    open_state = "submitted"
    open_text = "submitted exceptions"
    noun = "exception"
    own_text = "You filed this exception: nobody votes on their own exception."
    voters = ("changes.vote", "exceptions.decide")
    voters_text = "Voting on exceptions needs 'exceptions.decide' or 'changes.vote'."

    @classmethod
    def lock(cls, session: Session, key: int) -> ExceptionBallot:
        return cls(get_exception(session, key, lock=True))

    def authors(self) -> tuple[int | None, ...]:
        return (self.row.filed_by_id,)

    def route_refusal(self, actor: User) -> GovernanceError | None:
        if may_vote(actor, self.row):
            return None
        return NotAllowed(
            f"{self.label} moves more than the deal desk decides: the committee votes on it."
        )

    def closed(self) -> GovernanceError | None:
        if self.row.expired(_today()):
            return InvalidTransition(f"{self.label} expired on {self.row.expires_on}: withdraw it.")
        return None

    def tally(self, session: Session) -> Tally:
        return exception_tally(session, self.row, self.votes(session))

    def decide(self, session: Session, actor: User, tally: Tally, comment: str | None) -> None:
        if tally.rejected:
            note = f"rejected by vote: {comment}"
            transition(session, actor, EXCEPTIONS, self.row, "rejected", note=note)
        elif tally.approved:
            note = f"approved by vote: {tally.summary()}"
            transition(session, actor, EXCEPTIONS, self.row, "approved", note=note)


def vote_refusal(session: Session, actor: Actor, exc: PayoutException) -> str | None:
    """For pages: why a vote by `actor` on `exc` would be refused now (None: it is taken)."""
    return refusal_text(session, actor, ExceptionBallot(exc))


def cast_exception_vote(
    session: Session, actor: User | None, exception_id: int, **ballot: Any
) -> tuple[Vote, Tally]:
    """Vote on an exception; approve or reject it when the tally decides.
    `ballot`: `decision`, `content_hash`, `comment` (`ballots.cast`)."""
    return cast(session, actor, ExceptionBallot, exception_id, **ballot)


def withdraw(
    session: Session,
    actor: Actor,
    exception_id: int,
    *,
    note: str | None = None,
    expected_version: int | None = None,
) -> PayoutException:
    """The filer (or the deal desk) takes a submitted request back."""
    if actor is not None and not has_permission(actor, "exceptions.file"):
        raise NotAllowed("Withdrawing an exception needs the permission 'exceptions.file'.")
    exc = get_exception(session, exception_id, lock=True)
    if (
        actor is not None
        and actor.id != exc.filed_by_id
        and not has_permission(actor, "exceptions.decide")
    ):
        raise NotAllowed(f"{exc.label} was filed by someone else.")
    if expected_version is not None and expected_version != exc.version:
        raise StaleEdit(
            f"{exc.label} changed since you read it (version {exc.version}, not"
            f" {expected_version}).",
            [Problem("version", f"expected {exc.version}")],
        )
    transition(session, actor, EXCEPTIONS, exc, "withdrawn", note=note)
    return exc
