"""The one ballot every committee vote goes through: plan versions, approval rules, payout
exceptions and payout runs.

A subject (a `Ballot` subclass next to its workflow) says what is voted on, who may vote,
how its votes tally and what a deciding tally does. `refusal` says why someone cannot vote
now; `cast` refuses with that same answer, so a page that hides its vote form and the
vote itself never disagree. The rules of the ballot: docs/governance.md.
"""

from __future__ import annotations

from typing import Any, ClassVar

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from governance import audit
from governance.committee.quorum import Tally
from governance.errors import (
    Conflict,
    DocumentRejected,
    GovernanceError,
    InvalidTransition,
    NotAllowed,
)
from governance.permissions import has_permission
from models.approvals import DECISIONS, Vote
from models.identity import User
from rules.problems import Problem


class Ballot:
    """One subject up for a vote (its row loaded, and locked when a vote is cast)."""

    object_type: ClassVar[str]  # the audit log's object type
    column: ClassVar[str]  # the Vote column naming the subject
    open_state: ClassVar[str]  # the one state votes are taken in
    open_text: ClassVar[str]  # "... votes are taken on {open_text} only."
    noun: ClassVar[str]  # "You have already voted on this {noun}"
    own_text: ClassVar[str]  # to an author: why they do not vote on it
    # Who may vote on this kind of subject at all (any of these permissions).
    voters: ClassVar[tuple[str, ...]] = ("changes.vote",)
    voters_text: ClassVar[str] = "Voting needs the permission 'changes.vote'."

    def __init__(self, row: Any):
        self.row = row
        self._votes: list[Vote] | None = None

    @classmethod
    def lock(cls, session: Session, key: Any) -> Ballot:
        """The subject named `key`, locked (SELECT ... FOR UPDATE) for a vote; NotFound."""
        raise NotImplementedError

    @property
    def label(self) -> str:
        return self.row.label

    @property
    def content_hash(self) -> str:
        return self.row.content_hash

    def authors(self) -> tuple[int | None, ...]:
        """Who wrote, submitted, filed or started the subject: they never vote on it."""
        raise NotImplementedError

    def route_refusal(self, actor: User) -> GovernanceError | None:
        """A voter this subject's route leaves out (exceptions: the committee's ones)."""
        return None

    def closed(self) -> GovernanceError | None:
        """Open in state, yet closed to votes (an exception past its expiry)."""
        return None

    def barred(self, session: Session, votes: list[Vote]) -> GovernanceError | None:
        """The ballot is closed by its own votes (a rejected payout run)."""
        return None

    def vote_filter(self) -> Any:
        return getattr(Vote, self.column) == self.row.id

    def votes(self, session: Session) -> list[Vote]:
        if self._votes is None:
            stmt = select(Vote).where(self.vote_filter()).order_by(Vote.id)
            self._votes = list(session.scalars(stmt))
        return self._votes

    def tally(self, session: Session) -> Tally:
        raise NotImplementedError

    def decide(self, session: Session, actor: User, tally: Tally, comment: str | None) -> None:
        """What the tally after a vote does: approve, reject, or nothing yet."""
        raise NotImplementedError


def may_vote_at_all(kind: type[Ballot], actor: User | None) -> GovernanceError | None:
    if actor is None:
        # A vote is a person's judgement: the system cannot cast one.
        return NotAllowed("Only a committee member can vote.")
    if not any(has_permission(actor, p) for p in kind.voters):
        return NotAllowed(kind.voters_text)
    return None


def refusal(
    session: Session, actor: User | None, ballot: Ballot, *, content_hash: str | None = None
) -> GovernanceError | None:
    """Why `actor` cannot vote on `ballot` now, as the refusal a vote would raise; None
    when they can. `content_hash`: the hash a vote names (None: not voting yet)."""
    refused = may_vote_at_all(type(ballot), actor) or ballot.route_refusal(actor)
    if refused:
        return refused
    label, state = ballot.label, ballot.row.state
    if state != ballot.open_state:
        return InvalidTransition(f"{label} is {state}: votes are taken on {ballot.open_text} only.")
    refused = ballot.closed()
    if refused:
        return refused
    if content_hash is not None and content_hash != ballot.content_hash:
        return Conflict(
            f"{label} has content {ballot.content_hash}: a vote on {content_hash} is not a"
            " vote on it.",
            [Problem("content_hash", f"does not match {label} ({ballot.content_hash})")],
        )
    if actor.id in ballot.authors():
        return NotAllowed(ballot.own_text)
    votes = ballot.votes(session)
    for vote in votes:
        if vote.voter_id == actor.id:
            return Conflict(
                f"You have already voted ({vote.decision}) on this {ballot.noun};"
                " a vote is never changed."
            )
    return ballot.barred(session, votes)


def refusal_text(session: Session, actor: User | None, ballot: Ballot) -> str | None:
    """For pages: why the vote form is absent (None: it is shown)."""
    refused = refusal(session, actor, ballot)
    return refused.message if refused else None


def check_fields(decision: str, content_hash: Any, comment: str | None) -> None:
    """The ballot paper itself: a known decision, the content hash the voter reviewed, a
    written reason for a rejection; every problem listed."""
    problems = []
    if decision not in DECISIONS:
        problems.append(Problem("decision", f"expected approve or reject, got {decision!r}"))
    if not isinstance(content_hash, str) or not content_hash.startswith("sha256:"):
        problems.append(Problem("content_hash", "required: the sha256:... you reviewed"))
    if decision == "reject" and not (comment or "").strip():
        problems.append(Problem("comment", "a rejection needs a written reason"))
    if problems:
        raise DocumentRejected("The vote is not valid.", problems)


def cast(
    session: Session,
    actor: User | None,
    kind: type[Ballot],
    key: Any,
    *,
    decision: str,
    content_hash: str,
    comment: str | None = None,
) -> tuple[Vote, Tally]:
    """Record `actor`'s vote on the `kind` of subject named `key`, locked (concurrent votes
    count one after the other); decide it when the tally does.

    Refused, with nothing written, for any reason `refusal` gives.
    """
    refused = may_vote_at_all(kind, actor)
    if refused:
        raise refused
    check_fields(decision, content_hash, comment)
    ballot = kind.lock(session, key)
    refused = refusal(session, actor, ballot, content_hash=content_hash)
    if refused:
        raise refused
    vote = Vote(
        voter_id=actor.id,
        decision=decision,
        content_hash=content_hash,
        functions=sorted(actor.committee_functions),
        roles=sorted(actor.role_names),
        comment=comment,
        **{ballot.column: ballot.row.id},
    )
    try:
        with session.begin_nested():
            session.add(vote)
    except IntegrityError:  # the unique (subject, voter): a concurrent double submit
        raise Conflict(f"You have already voted on this {ballot.noun}.") from None
    ballot._votes = None  # the tally counts this vote too
    result = ballot.tally(session)
    audit.record(
        session,
        actor,
        f"{ballot.object_type}.vote",
        ballot.object_type,
        ballot.label,
        before=content_hash,
        after=content_hash,
        payload={"decision": decision, "comment": comment, "tally": result.as_dict()},
    )
    ballot.decide(session, actor, result, comment)
    return vote, result


def rejection_note(result: Tally, comment: str | None) -> str:
    """The note of a rejection decided by the votes."""
    if result.rule.any_rejection_rejects:
        return f"rejected by committee vote: {comment}"
    return (
        f"rejected by committee vote, approval no longer possible ({result.summary()}): {comment}"
    )
