"""The committee's tally of a plan version: its votes, its change request, and the approval
rules that decide it (pinned at submission)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from governance.committee import approval_rules
from governance.committee.quorum import Tally, tally, undecided
from models.approvals import ApprovalRuleSet, ChangeRequest, Vote
from models.policy import PlanVersion


def plan_votes(session: Session, version: PlanVersion) -> list[Vote]:
    return list(
        session.scalars(select(Vote).where(Vote.plan_version_id == version.id).order_by(Vote.id))
    )


def change_request_of(session: Session, version: PlanVersion) -> ChangeRequest | None:
    return session.scalar(select(ChangeRequest).where(ChangeRequest.plan_version_id == version.id))


def voted_hash(session: Session, version: PlanVersion) -> str:
    """The hash a vote on `version` names: its change request's (the plan's content, the
    effective date and the retroactive flag); the plan's content hash alone for a request
    submitted before migration 0013, or a version never submitted."""
    request = change_request_of(session, version)
    if request is not None and request.content_hash:
        return request.content_hash
    return version.content_hash


def deciding_rule_set(session: Session, version: PlanVersion) -> ApprovalRuleSet:
    """The rules pinned at submission; the active ones for a version submitted without."""
    request = change_request_of(session, version)
    return request.rule_set if request else approval_rules.active_rule_set(session)


def plan_tally(
    session: Session,
    version: PlanVersion,
    *,
    votes: list[Vote] | None = None,
    members: dict[int, set[str]] | None = None,
) -> Tally:
    """The version's tally under the rules that decide it (`votes`: its votes, if read;
    `members`: the committee, if read once for many subjects)."""
    rule = approval_rules.plan_change_rule(deciding_rule_set(session, version))
    yet_to_vote = undecided(session, (version.created_by_id, version.submitted_by_id), members)
    if votes is None:
        votes = plan_votes(session, version)
    return tally(votes, rule, undecided=yet_to_vote)
