"""The ballot every committee vote goes through, whatever it is on."""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from governance.committee.quorum import Tally
from governance.errors import Conflict, DocumentRejected, NotAllowed
from governance.permissions import has_permission
from models.approvals import DECISIONS, Vote
from rules.problems import Problem


def _rejection_note(result: Tally, comment: str | None) -> str:
    if result.rule.any_rejection_rejects:
        return f"rejected by committee vote: {comment}"
    return (
        f"rejected by committee vote, approval no longer possible ({result.summary()}): {comment}"
    )


def check_ballot(actor: Any, decision: str, content_hash: str, comment: str | None) -> None:
    if actor is None:
        # A vote is a person's judgement: the system cannot cast one.
        raise NotAllowed("Only a committee member can vote.")
    if not has_permission(actor, "changes.vote"):
        raise NotAllowed("Voting needs the permission 'changes.vote'.")
    check_ballot_fields(decision, content_hash, comment)


def check_ballot_fields(decision: str, content_hash: Any, comment: str | None) -> None:
    """The ballot itself, whatever is voted on: a known decision, the content hash the
    voter reviewed, a written reason for a rejection; every problem listed."""
    problems = []
    if decision not in DECISIONS:
        problems.append(Problem("decision", f"expected approve or reject, got {decision!r}"))
    if not isinstance(content_hash, str) or not content_hash.startswith("sha256:"):
        problems.append(Problem("content_hash", "required: the sha256:... you reviewed"))
    if decision == "reject" and not (comment or "").strip():
        problems.append(Problem("comment", "a rejection needs a written reason"))
    if problems:
        raise DocumentRejected("The vote is not valid.", problems)


def require_same_hash(label: str, expected: str, given: str) -> None:
    if given != expected:
        raise Conflict(
            f"{label} has content {expected}: a vote on {given} is not a vote on it.",
            [Problem("content_hash", f"does not match {label} ({expected})")],
        )


def add_vote(session: Session, vote: Vote, label: str) -> None:
    try:
        with session.begin_nested():
            session.add(vote)
    except IntegrityError:  # the unique (subject, voter): a concurrent double submit
        raise Conflict(f"You have already voted on {label}.") from None


def new_ballot(
    actor: Any, decision: str, content_hash: str, comment: str | None, **subject
) -> Vote:
    return Vote(
        voter_id=actor.id,
        decision=decision,
        content_hash=content_hash,
        functions=sorted(actor.committee_functions),
        roles=sorted(actor.role_names),
        comment=comment,
        **subject,
    )
