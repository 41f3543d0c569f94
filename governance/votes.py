"""Committee votes on plan versions and on approval-rule proposals, and their tally.

    cast_plan_vote(session, member, "ae-plan", 3, decision="approve",
                   content_hash="sha256:...", comment="fine by finance")

A vote is bound to the exact content hash the member reviewed: a vote naming any other
hash is refused, so nobody approves something they did not see. Nobody votes on a request
they wrote or submitted. Each person votes once per subject (a unique constraint), and
votes are never changed (append-only in the database).

How a tally decides (the approval rule's `QuorumRule`):
- **one person counts once**, whatever roles and functions they hold: approvals are
  counted by person;
- **one person fills at most one required function or role**. A finance+sales member
  cannot alone satisfy "finance and sales": a requirement for several functions is a
  requirement for several independent views. Required slots are filled by a maximum
  matching of approvers to slots, so the tally never depends on vote order;
- with `any_rejection_rejects`, one rejection rejects the request; without it, a
  rejection is recorded dissent: the request is approved once the approvals suffice, and
  rejected only when approval has become impossible, i.e. the approvers plus every
  eligible member who has not voted yet (active holders of `changes.vote`, not the
  author or submitter) can no longer reach `min_approvals` with every slot filled.
  A direct rejection outside the votes is the explicit decision of
  `policy_checks.rejection_gate`;
- the request is approved when `min_approvals` people approved and every required slot is
  filled, in the same transaction as the vote that got it there (with its transition and
  audit records).

Concurrency: a vote locks the plan's head row and then the version row (SELECT ... FOR
UPDATE, the order every store transition writes them in, so no deadlock), then counts. A
second voter waits, then counts every committed vote; a vote arriving after the decision,
or after a withdrawal, is refused (409) rather than silently kept or lost.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from governance import approval_rules, audit, policy_checks
from governance import policy_store as store
from governance.approval_rules import QuorumRule
from governance.permissions import has_permission
from models.approvals import DECISIONS, ApprovalRuleSet, ChangeRequest, Vote
from models.identity import User
from models.policy import PlanVersion, PolicyPlan
from rules.problems import Problem


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


# --------------------------------------------------------------------------- reading


def plan_votes(session: Session, version: PlanVersion) -> list[Vote]:
    return list(
        session.scalars(select(Vote).where(Vote.plan_version_id == version.id).order_by(Vote.id))
    )


def rule_set_votes(session: Session, rule_set: ApprovalRuleSet) -> list[Vote]:
    return list(
        session.scalars(select(Vote).where(Vote.rule_set_id == rule_set.id).order_by(Vote.id))
    )


def change_request_of(session: Session, version: PlanVersion) -> ChangeRequest | None:
    return session.scalar(select(ChangeRequest).where(ChangeRequest.plan_version_id == version.id))


def deciding_rule_set(session: Session, version: PlanVersion) -> ApprovalRuleSet:
    """The rules pinned at submission; the active ones for a version submitted without."""
    request = change_request_of(session, version)
    return request.rule_set if request else approval_rules.active_rule_set(session)


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


def _undecided(
    session: Session, excluding: Iterable[int | None], members: dict[int, set[str]] | None
) -> dict[int, set[str]]:
    """`eligible_voters` of the committee; from `members` (`eligible_voters(session,
    excluding=())`, read once by a caller tallying many subjects) when given."""
    if members is None:
        return eligible_voters(session, excluding=excluding)
    barred = set(excluding)
    return {user: slots for user, slots in members.items() if user not in barred}


def plan_tally(
    session: Session, version: PlanVersion, *, members: dict[int, set[str]] | None = None
) -> Tally:
    rule = approval_rules.plan_change_rule(deciding_rule_set(session, version))
    undecided = _undecided(session, (version.created_by_id, version.submitted_by_id), members)
    return tally(plan_votes(session, version), rule, undecided=undecided)


def rule_set_tally(
    session: Session, rule_set: ApprovalRuleSet, *, members: dict[int, set[str]] | None = None
) -> Tally:
    under = approval_rules.get_rule_set(session, rule_set.decided_under or rule_set.number)
    undecided = _undecided(session, (rule_set.created_by_id,), members)
    return tally(
        rule_set_votes(session, rule_set),
        approval_rules.rules_change_rule(under),
        undecided=undecided,
    )


def _rejection_note(result: Tally, comment: str | None) -> str:
    if result.rule.any_rejection_rejects:
        return f"rejected by committee vote: {comment}"
    return (
        f"rejected by committee vote, approval no longer possible ({result.summary()}): {comment}"
    )


# --------------------------------------------------------------------------- voting


def check_ballot(actor: Any, decision: str, content_hash: str, comment: str | None) -> None:
    if actor is None:
        # A vote is a person's judgement: the system cannot cast one.
        raise store.NotAllowed("Only a committee member can vote.")
    if not has_permission(actor, "changes.vote"):
        raise store.NotAllowed("Voting needs the permission 'changes.vote'.")
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
        raise store.DocumentRejected("The vote is not valid.", problems)


def require_same_hash(label: str, expected: str, given: str) -> None:
    if given != expected:
        raise store.Conflict(
            f"{label} has content {expected}: a vote on {given} is not a vote on it.",
            [Problem("content_hash", f"does not match {label} ({expected})")],
        )


def add_vote(session: Session, vote: Vote, label: str) -> None:
    try:
        with session.begin_nested():
            session.add(vote)
    except IntegrityError:  # the unique (subject, voter): a concurrent double submit
        raise store.Conflict(f"You have already voted on {label}.") from None


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


def _lock_plan_version(session: Session, key: str, number: int) -> PlanVersion:
    # Plan row first, then the version: the order of every store transition (_claim
    # writes the plan row, then the version row), so a vote and a withdrawal never deadlock.
    plan = session.scalars(
        select(PolicyPlan)
        .where(PolicyPlan.key == key)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one_or_none()
    if plan is None:
        raise store.NotFound(f"No plan {key!r}.")
    version = session.scalars(
        select(PlanVersion)
        .where(PlanVersion.plan_key == key, PlanVersion.number == number)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one_or_none()
    if version is None:
        raise store.NotFound(f"No version {number} of plan {key!r}.")
    return version


def cast_plan_vote(
    session: Session,
    actor: Any,
    key: str,
    number: int,
    *,
    decision: str,
    content_hash: str,
    comment: str | None = None,
) -> tuple[Vote, Tally]:
    """Record a vote on a submitted version; approve or reject it when the tally decides."""
    check_ballot(actor, decision, content_hash, comment)
    version = _lock_plan_version(session, key, number)
    if version.state != "submitted":
        raise store.InvalidTransition(
            f"{version.label} is {version.state}: votes are taken on submitted versions only."
        )
    require_same_hash(version.label, version.content_hash, content_hash)
    if actor.id in (version.created_by_id, version.submitted_by_id):
        raise store.NotAllowed(f"{version.label}: nobody votes on their own change.")
    vote = new_ballot(actor, decision, content_hash, comment, plan_version_id=version.id)
    add_vote(session, vote, version.label)
    result = plan_tally(session, version)
    audit.record(
        session,
        actor,
        f"{store.OBJECT_TYPE}.vote",
        store.OBJECT_TYPE,
        version.label,
        before=content_hash,
        after=content_hash,
        payload={"decision": decision, "comment": comment, "tally": result.as_dict()},
    )
    if result.rejected:
        store.reject(session, actor, key, number, note=_rejection_note(result, comment))
    elif (
        result.approved
        and version.effective_from is not None
        and not policy_checks.effective_date_problems(session, version)
    ):
        store.approve(session, actor, key, number, note=f"committee vote: {result.summary()}")
    # Approved by the votes but without an effective date, or with one that a payout run
    # locked since the submission: it stays submitted until a holder of plans.approve
    # records the approval with an allowed date (the gate lets it pass). The vote counts.
    return vote, result


def cast_rules_vote(
    session: Session,
    actor: Any,
    number: int,
    *,
    decision: str,
    content_hash: str,
    comment: str | None = None,
) -> tuple[Vote, Tally]:
    """Record a vote on an approval-rules proposal; put it in force or reject it when the
    tally (under the rules in force when it was proposed) decides."""
    check_ballot(actor, decision, content_hash, comment)
    # The active set first, then the proposal: the order `propose` and `decide` lock in.
    approval_rules.active_rule_set(session, lock=True)
    rule_set = approval_rules.get_rule_set(session, number, lock=True)
    if rule_set.state != "submitted":
        raise store.InvalidTransition(
            f"{rule_set.label} is {rule_set.state}: votes are taken on proposals only."
        )
    require_same_hash(rule_set.label, rule_set.content_hash, content_hash)
    if actor.id == rule_set.created_by_id:
        raise store.NotAllowed(f"{rule_set.label}: nobody votes on their own proposal.")
    vote = new_ballot(actor, decision, content_hash, comment, rule_set_id=rule_set.id)
    add_vote(session, vote, rule_set.label)
    result = rule_set_tally(session, rule_set)
    audit.record(
        session,
        actor,
        f"{approval_rules.OBJECT_TYPE}.vote",
        approval_rules.OBJECT_TYPE,
        rule_set.label,
        before=content_hash,
        after=content_hash,
        payload={"decision": decision, "comment": comment, "tally": result.as_dict()},
    )
    if result.rejected:
        approval_rules.decide(
            session, actor, rule_set, "rejected", _rejection_note(result, comment)
        )
    elif result.approved:
        approval_rules.decide(
            session, actor, rule_set, "active", f"committee vote: {result.summary()}"
        )
    return vote, result
