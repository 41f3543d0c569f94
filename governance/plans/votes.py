"""The committee's vote on a plan version (its change request), through the one ballot.

    cast_plan_vote(session, member, "ae-plan", 3, decision="approve",
                   content_hash="sha256:...", comment="fine by finance")

A vote names the change request's hash (`tally.voted_hash`: the plan's content with its
effective date). The vote that reaches the quorum approves the version, in the same
transaction, and activates it when the deciding rules say so (`activate_on_approval`);
one that makes approval impossible (or any rejection, when the rules say so) rejects it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from governance.committee import approval_rules
from governance.committee.ballots import Ballot, cast, rejection_note
from governance.committee.quorum import Tally
from governance.errors import Conflict, GovernanceError, NotFound
from governance.plans import gates, lifecycle
from governance.plans.change_requests import shown_impact
from governance.plans.lookup import OBJECT_TYPE
from governance.plans.tally import change_request_of, deciding_rule_set, plan_tally, voted_hash
from models.approvals import Vote
from models.identity import User
from models.policy import PlanVersion, PolicyPlan


class PlanBallot(Ballot):
    object_type = OBJECT_TYPE
    column = "plan_version_id"
    open_state = "submitted"
    open_text = "open requests"
    noun = "request"
    own_text = "You wrote or submitted this change: nobody votes on their own change."

    @classmethod
    def lock(cls, session: Session, key: tuple[str, int]) -> PlanBallot:
        # Plan row first, then the version: the order of every lifecycle step (`_claim`
        # writes the plan row, then the version row): a vote and a withdrawal never deadlock.
        plan_key, number = key
        plan = session.scalars(
            select(PolicyPlan)
            .where(PolicyPlan.key == plan_key)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).one_or_none()
        if plan is None:
            raise NotFound(f"No plan {plan_key!r}.")
        version = session.scalars(
            select(PlanVersion)
            .where(PlanVersion.plan_key == plan_key, PlanVersion.number == number)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).one_or_none()
        if version is None:
            raise NotFound(f"No version {number} of plan {plan_key!r}.")
        return cls(version)

    @property
    def content_hash(self) -> str:
        return voted_hash(object_session(self.row), self.row)

    def authors(self) -> tuple[int | None, ...]:
        return (self.row.created_by_id, self.row.submitted_by_id)

    def closed(self) -> GovernanceError | None:
        """No vote before the committee can see the impact (computed by a worker)."""
        session = object_session(self.row)
        request = change_request_of(session, self.row)
        state = shown_impact(session, request)["state"] if request is not None else "done"
        if state in ("queued", "running"):
            return Conflict(
                f"The impact simulation of {self.label} is still being computed:"
                " votes are taken once it is shown."
            )
        if state != "done":
            return Conflict(
                f"The impact simulation of {self.label} could not be computed: ask for it"
                " again; votes are taken once it is shown."
            )
        return None

    def tally(self, session: Session, *, members: dict[int, set[str]] | None = None) -> Tally:
        return plan_tally(session, self.row, votes=self.votes(session), members=members)

    def decide(self, session: Session, actor: User, tally: Tally, comment: str | None) -> None:
        version = self.row
        key, number = version.plan_key, version.number
        if tally.rejected:
            note = rejection_note(tally, comment)
            lifecycle.reject(session, actor, key, number, note=note, tally=tally)
        elif (
            tally.approved
            and version.effective_from is not None
            and not gates.effective_date_problems(session, version)
        ):
            note = f"committee vote: {tally.summary()}"
            lifecycle.approve(session, actor, key, number, note=note, tally=tally)
            rule_set = deciding_rule_set(session, version)
            if approval_rules.activates_on_approval(rule_set):
                note = f"activated on approval ({rule_set.label}: activate_on_approval)"
                lifecycle.activate(session, actor, key, number, note=note, tally=tally)
        # Approved by the votes but with a date a payout run locked since the submission
        # (or, submitted before dates were voted on, none): it stays submitted, and
        # `plans.progress` says why. The vote counts.


def cast_plan_vote(
    session: Session, actor: User | None, key: str, number: int, **ballot: Any
) -> tuple[Vote, Tally]:
    """Vote on a submitted version; approve or reject it when the tally decides.
    `ballot`: `decision`, `content_hash`, `comment` (`ballots.cast`)."""
    return cast(session, actor, PlanBallot, (key, number), **ballot)
