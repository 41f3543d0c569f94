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

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from governance import audit
from governance.committee.ballots import (
    _rejection_note,
    add_vote,
    check_ballot,
    new_ballot,
    require_same_hash,
)
from governance.committee.quorum import Tally
from governance.errors import InvalidTransition, NotAllowed, NotFound
from governance.plans import gates, lifecycle
from governance.plans import lookup as plans
from governance.plans.tally import plan_tally
from models.approvals import Vote
from models.policy import PlanVersion, PolicyPlan

# --------------------------------------------------------------------------- reading


# --------------------------------------------------------------------------- voting


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
        raise NotFound(f"No plan {key!r}.")
    version = session.scalars(
        select(PlanVersion)
        .where(PlanVersion.plan_key == key, PlanVersion.number == number)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one_or_none()
    if version is None:
        raise NotFound(f"No version {number} of plan {key!r}.")
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
        raise InvalidTransition(
            f"{version.label} is {version.state}: votes are taken on submitted versions only."
        )
    require_same_hash(version.label, version.content_hash, content_hash)
    if actor.id in (version.created_by_id, version.submitted_by_id):
        raise NotAllowed(f"{version.label}: nobody votes on their own change.")
    vote = new_ballot(actor, decision, content_hash, comment, plan_version_id=version.id)
    add_vote(session, vote, version.label)
    result = plan_tally(session, version)
    audit.record(
        session,
        actor,
        f"{plans.OBJECT_TYPE}.vote",
        plans.OBJECT_TYPE,
        version.label,
        before=content_hash,
        after=content_hash,
        payload={"decision": decision, "comment": comment, "tally": result.as_dict()},
    )
    if result.rejected:
        lifecycle.reject(session, actor, key, number, note=_rejection_note(result, comment))
    elif (
        result.approved
        and version.effective_from is not None
        and not gates.effective_date_problems(session, version)
    ):
        lifecycle.approve(session, actor, key, number, note=f"committee vote: {result.summary()}")
    # Approved by the votes but without an effective date, or with one that a payout run
    # locked since the submission: it stays submitted until a holder of plans.approve
    # records the approval with an allowed date (the gate lets it pass). The vote counts.
    return vote, result
