"""What waits for a user: votes they may cast, disputes to review, their own requests
that are stuck (and why), newest first.

"May cast" is the ballot's own answer (`ballots.refusal` is None), so the inbox, the
vote form and the vote itself never disagree. Only open subjects are read (a handful at
any time), so the whole list is built and then paged.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from governance.committee.ballots import Ballot, may_vote_at_all, refusal
from governance.committee.quorum import Tally
from governance.notifications import subjects
from governance.permissions import Actor, has_permission
from governance.plans.tally import change_request_of
from models.disputes import OPEN_STATES, Dispute

# What an item asks: cast a vote, review a dispute, or (one's own) wait for others.
ITEM_KINDS = ("vote", "review", "waiting")


@dataclass(frozen=True)
class Item:
    kind: str  # one of ITEM_KINDS
    subject_type: str  # the audit log's object type
    subject: str  # its label
    title: str
    why: str
    path: str  # the page that shows it
    since: datetime

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _since(session: Session, object_type: str, row: Any) -> datetime:
    """When the subject started waiting: submitted, proposed, filed or built."""
    if object_type == "plan_version":
        request = change_request_of(session, row)
        at = request.created_at if request is not None else row.recorded_at
    elif object_type == "payout_run":
        at = row.finished_at or row.started_at
    else:
        at = row.created_at
    return _aware(at or datetime.min.replace(tzinfo=UTC))


def _open_rows(session: Session, object_type: str, kind: type[Ballot]) -> list[Any]:
    model = subjects.MODELS[object_type]
    return list(session.scalars(select(model).where(model.state == kind.open_state)))


def _slot(slot: str) -> str:
    """ "function:finance" -> "a finance", "role:admin" -> "an admin"."""
    word = slot.partition(":")[2].replace("_", " ")
    return ("an " if word[:1] in "aeiou" else "a ") + word


def waiting_for(session: Session, ballot: Ballot) -> str:
    """Why an open subject is not decided yet, in words ("waiting for a finance vote")."""
    refused = ballot.closed() or ballot.barred(session, ballot.votes(session))
    if refused is not None:
        return refused.message
    tally = ballot.tally(session)
    if tally.approved:
        return f"approved by the votes ({tally.summary()}); waiting for the next step"
    return f"waiting for {_needed(tally)}"


def _needed(tally: Tally) -> str:
    """ "a finance and a sales vote (1 of 3 approvals)", "2 more approvals (1 of 3...)"."""
    count = f"{len(tally.approvals)} of {tally.rule.min_approvals} approvals"
    if tally.missing:
        return f"{' and '.join(_slot(s) for s in tally.missing)} vote ({count})"
    more = tally.rule.min_approvals - len(tally.approvals)
    if more <= 0:
        return f"no more approvals ({count})"
    return f"{more} more approval{'s' if more != 1 else ''} ({count})"


def _unbarred(session: Session, votes: list) -> None:
    return None


def _ballot_items(session: Session, actor: Actor, exact: bool) -> list[Item]:
    items = []
    for object_type, kind in subjects.BALLOTS.items():
        may_vote = may_vote_at_all(kind, actor) is None
        for row in _open_rows(session, object_type, kind):
            ballot = kind(row)
            if not exact:  # the nav's count: no staleness check (see `items`)
                ballot.barred = _unbarred
            mine = actor.id in ballot.authors()
            if not mine and not may_vote:
                continue
            if mine:
                why = waiting_for(session, ballot) if exact else ""
                item_kind = "waiting"
            elif refusal(session, actor, ballot) is None:
                tally = ballot.tally(session)
                item_kind, why = "vote", f"your vote is awaited: it needs {_needed(tally)}"
            else:
                continue
            items.append(_item(session, item_kind, object_type, row, why))
    return items


def _item(session: Session, kind: str, object_type: str, row: Any, why: str) -> Item:
    return Item(
        kind=kind,
        subject_type=object_type,
        subject=subjects.label(object_type, row),
        title=subjects.title(object_type, row),
        why=why,
        path=subjects.path(object_type, row),
        since=_since(session, object_type, row),
    )


def _dispute_items(session: Session, actor: Actor) -> list[Item]:
    reviewer = has_permission(actor, "disputes.review")
    stmt = select(Dispute).where(Dispute.state.in_(OPEN_STATES))
    if not reviewer:
        stmt = stmt.where(Dispute.filed_by_id == actor.id)
    items = []
    for dispute in session.scalars(stmt.order_by(Dispute.id)):
        due = f"due {dispute.due_on.isoformat()}" + (" (overdue)" if dispute.overdue else "")
        if dispute.filed_by_id == actor.id:
            kind, why = "waiting", f"waiting for a reviewer's answer, {due}"
        else:
            state = "to review" if dispute.state == "open" else "under review"
            kind, why = "review", f"{state}, {due}"
        items.append(_item(session, kind, "dispute", dispute, why))
    return items


def items(session: Session, actor: Actor, *, exact: bool = True) -> list[Item]:
    """Everything waiting for `actor`, newest first (none for the system).

    `exact=False` (the navigation's count on every page) leaves out the ballots'
    `barred` check and the why of one's own items: a draft run's staleness check reads
    and parses every governing plan (about 30 ms of CPU a page on the demo). A stale
    draft run then counts as a vote there; the inbox itself says it cannot be voted on."""
    if actor is None:
        return []
    found = _ballot_items(session, actor, exact) + _dispute_items(session, actor)
    return sorted(found, key=lambda i: (i.since, i.subject), reverse=True)


def counts(found: list[Item]) -> dict[str, int]:
    """Per item kind, and `actionable` (votes and reviews: the navigation's count)."""
    result = {kind: sum(1 for i in found if i.kind == kind) for kind in ITEM_KINDS}
    result["actionable"] = result["vote"] + result["review"]
    return result


def page(session: Session, actor: Actor, *, offset: int, limit: int) -> dict[str, Any]:
    """One page of the inbox, with the total and the counts of every item."""
    found = items(session, actor)
    return {
        "items": found[offset : offset + limit],
        "total": len(found),
        "counts": counts(found),
    }
