"""Counting votes: a quorum rule, a tally under it, and who may still vote.

The principles (one person counts once, fills at most one required slot, dissent and
`any_rejection_rejects`) are explained in docs/governance.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from governance.permissions import has_permission
from models.approvals import Vote
from models.identity import User


@dataclass(frozen=True)
class QuorumRule:
    """Who must agree: approvals from distinct people, each filling at most one required
    function or role, and (optionally) no rejection at all."""

    min_approvals: int
    required_functions: tuple[str, ...]
    required_roles: tuple[str, ...]
    any_rejection_rejects: bool

    @classmethod
    def of(cls, section: dict[str, Any]) -> QuorumRule:
        return cls(
            min_approvals=int(section["min_approvals"]),
            required_functions=tuple(section["required_functions"]),
            required_roles=tuple(section.get("required_roles", ())),
            any_rejection_rejects=bool(section["any_rejection_rejects"]),
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "min_approvals": self.min_approvals,
            "required_functions": list(self.required_functions),
            "required_roles": list(self.required_roles),
            "any_rejection_rejects": self.any_rejection_rejects,
        }


@dataclass
class Tally:
    rule: QuorumRule
    approvals: list[int] = field(default_factory=list)  # voter ids
    rejections: list[int] = field(default_factory=list)
    filled: dict[str, int] = field(default_factory=dict)  # "function:finance" -> voter id
    missing: list[str] = field(default_factory=list)
    # Whether the approvers plus the members yet to vote can still approve; None when the
    # tally was taken without knowing who may still vote (a pure count).
    possible: bool | None = None
    undecided: int | None = None  # eligible members who have not voted

    @property
    def impossible(self) -> bool:
        return bool(self.rejections) and self.possible is False

    @property
    def rejected(self) -> bool:
        return (self.rule.any_rejection_rejects and bool(self.rejections)) or self.impossible

    @property
    def approved(self) -> bool:
        return (
            not self.rejected
            and len(self.approvals) >= self.rule.min_approvals
            and not self.missing
        )

    @property
    def outcome(self) -> str:
        return "rejected" if self.rejected else "approved" if self.approved else "open"

    def summary(self) -> str:
        text = f"{len(self.approvals)} of {self.rule.min_approvals} approvals"
        if self.missing:
            text += f"; still needed: {', '.join(self.missing)}"
        if self.rejections:
            text += f"; {len(self.rejections)} rejection(s)"
        if self.impossible:
            text += "; approval is no longer possible"
        return text

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule.as_dict(),
            "outcome": self.outcome,
            "approvals": len(self.approvals),
            "rejections": len(self.rejections),
            "filled": dict(sorted(self.filled.items())),
            "missing": list(self.missing),
            "approval_possible": self.possible,
            "undecided": self.undecided,
            "summary": self.summary(),
        }


def slots_held(functions: Iterable[str], roles: Iterable[str]) -> set[str]:
    return {f"function:{f}" for f in functions or ()} | {f"role:{r}" for r in roles or ()}


def tally(
    votes: Iterable[Vote], rule: QuorumRule, *, undecided: dict[int, set[str]] | None = None
) -> Tally:
    """Count votes under a rule (see the module docstring for the principles).

    `undecided`: the eligible members who have not voted, with the slots each could fill;
    given, the tally also says whether approval is still possible.
    """
    result = Tally(rule)
    holds: dict[int, set[str]] = {}
    for vote in sorted(votes, key=lambda v: v.voter_id):
        if vote.decision == "approve":
            result.approvals.append(vote.voter_id)
            holds[vote.voter_id] = slots_held(vote.functions, vote.roles)
        else:
            result.rejections.append(vote.voter_id)
    slots = [f"function:{f}" for f in rule.required_functions] + [
        f"role:{r}" for r in rule.required_roles
    ]
    result.filled = _match(slots, holds)
    result.missing = [s for s in slots if s not in result.filled]
    if undecided is not None:
        voted = set(result.approvals) | set(result.rejections)
        could = holds | {who: held for who, held in undecided.items() if who not in voted}
        result.undecided = len(could) - len(holds)
        result.possible = len(could) >= rule.min_approvals and len(_match(slots, could)) == len(
            slots
        )
    return result


def _match(slots: list[str], holds: dict[int, set[str]]) -> dict[str, int]:
    """Maximum matching of slots to people (Kuhn's augmenting paths; tiny inputs)."""
    owner: dict[str, int] = {}

    def place(person: int, seen: set[str]) -> bool:
        for slot in slots:
            if slot in holds[person] and slot not in seen:
                seen.add(slot)
                if slot not in owner or place(owner[slot], seen):
                    owner[slot] = person
                    return True
        return False

    for person in sorted(holds):
        place(person, set())
    return owner


def _committee_member(user: User) -> bool:
    return has_permission(user, "changes.vote")


def eligible_voters(
    session: Session,
    *,
    excluding: Iterable[int | None],
    may_vote: Callable[[User], bool] = _committee_member,
) -> dict[int, set[str]]:
    """Who may still vote, with the slots each would fill: active users `may_vote` admits
    (by default holders of `changes.vote`) other than `excluding` (the author and
    submitter, the filer). Read now, not at submission: a member who left can no longer
    make approval possible."""
    barred = set(excluding)
    users = session.scalars(select(User).where(User.is_active.is_(True)))
    return {
        user.id: slots_held(user.committee_functions, user.role_names)
        for user in users
        if user.id not in barred and may_vote(user)
    }


def undecided(
    session: Session, excluding: Iterable[int | None], members: dict[int, set[str]] | None
) -> dict[int, set[str]]:
    """`eligible_voters` of the committee; from `members` (`eligible_voters(session,
    excluding=())`, read once by a caller tallying many subjects) when given."""
    if members is None:
        return eligible_voters(session, excluding=excluding)
    barred = set(excluding)
    return {user: slots for user, slots in members.items() if user not in barred}
