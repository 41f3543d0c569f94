"""The gates between a version's states: what a draft must pass to be submitted, who may
record an approval, and which effective dates an approval may carry.

`SUBMISSION_CHECKS` is a list so a check can be added (tests add a failing one); submit()
reads it from this module at call time, and attaches the change request
(`change_requests.attach_review`) once they all pass.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from sqlalchemy.orm import Session

from governance.committee.quorum import Tally
from governance.errors import Conflict, DocumentRejected, NotAllowed
from governance.periods import is_period_locked
from governance.permissions import Actor, require
from governance.plans.change_requests import embedded_test_failures
from governance.plans.tally import change_request_of, plan_tally
from models.policy import PlanVersion
from rules.lint import lint_plan
from rules.model import Plan
from rules.problems import Problem


def _lint_errors(session: Session, version: PlanVersion, plan: Plan) -> list[Problem]:
    return [p for p in lint_plan(plan) if p.severity == "error"]


# What a draft must pass before it can be submitted (each returns the problems that block
# submission): lint, the embedded tests, and last the impact simulation, which never
# blocks but is stored with the change request (change_requests.attach_review).
SUBMISSION_CHECKS: list[Callable[[Session, PlanVersion, Plan], list[Problem]]] = [
    _lint_errors,
    embedded_test_failures,
]


def approval_gate(
    session: Session, actor: Actor, version: PlanVersion, tally: Tally | None = None
) -> None:
    """Approval is the committee's decision by vote (`plans.votes`): a user may record
    it only once the version's votes satisfy the approval rules that decide it, which the
    deciding vote does itself, in the same transaction. A direct approval by a user is
    therefore refused (`Conflict`), naming what the votes still lack.

    `actor=None` (the system) passes: no request or CLI command acts as the system on an
    approval; it is there for seeding history (the demo) and data repair at the shell, and
    is audited as the system (docs/governance.md).
    """
    if actor is None:
        return
    require(actor, "plans.approve", "Approving a plan version")
    if actor.id in (version.created_by_id, version.submitted_by_id):
        raise NotAllowed(f"{version.label}: nobody approves their own change.")
    if version.state != "submitted":
        return  # approve() refuses the state itself, with the error that names it

    result = tally or plan_tally(session, version)
    if not result.approved:
        # 409, not 403: the actor may approve; the votes do not allow it (yet).
        raise Conflict(
            f"{version.label} is approved by committee vote (POST .../votes): {result.summary()}."
        )


def effective_date_problems(
    session: Session,
    version: PlanVersion,
    *,
    day: date | None = None,
    retroactive: bool | None = None,
) -> list[Problem]:
    """An effective date inside a period whose payout run is locked is refused unless the
    change request is explicitly retroactive (flag set at submission; `retroactive` here
    overrides it, for the submission itself; `day` the date asked for). Then the payout
    close's prior-period adjustments carry the difference into the next open run.
    """
    day = day or version.effective_from
    if day is None:
        return []
    if retroactive is None:
        request = change_request_of(session, version)
        retroactive = bool(request is not None and request.retroactive)
    if retroactive:
        return []

    if not is_period_locked(session, day):
        return []
    return [
        Problem(
            path="effective_from",
            message=f"{day.isoformat()} falls in a period whose payout run is locked:"
            " choose a later date, or submit the change as retroactive",
        )
    ]


DATE_REQUIRED = (
    "required: the first day the version governs; the committee votes on it with the plan"
)


def approval_date_problems(
    session: Session, version: PlanVersion, day: date | None
) -> list[Problem]:
    """An approval carries the date the committee voted on: another one is refused (a new
    date is a new request: withdraw and submit again). A request submitted before dates
    were voted on (none stored) takes its date at approval, as it did then."""
    request = change_request_of(session, version)
    voted = request.effective_from if request is not None else None
    if day is None or voted is None or day == voted:
        return []
    return [
        Problem(
            path="effective_from",
            message=f"the committee voted on {voted.isoformat()}, not {day.isoformat()}:"
            " withdraw the request and submit it again to change the date",
        )
    ]


def check_effective_date(
    session: Session, version: PlanVersion, *, retroactive: bool | None = None
) -> None:
    problems = effective_date_problems(session, version, retroactive=retroactive)
    if problems:
        raise DocumentRejected(f"{version.label}: the effective date is not allowed.", problems)


def rejection_gate(
    session: Session, actor: Actor, version: PlanVersion, tally: Tally | None = None
) -> None:
    """A direct rejection (`POST .../reject`) is an explicit decision, coherent with the
    rules that decide the version (`plans.tally`):

    - with `any_rejection_rejects`, one member's rejection rejects anyway, so a holder of
      `plans.approve` may decide it directly, with a reason;
    - without it, a member's rejection is a vote that does not reject alone, so a member's
      direct rejection is refused (409) until the votes make approval impossible (e.g. a
      member left and too few remain): otherwise one person could bypass the rule;
    - nobody rejects their own change (they withdraw it instead);
    - the system (`actor=None`, an operator at the CLI) decides explicitly under both
      settings, audited as the system.
    """
    if actor is None:
        return
    require(actor, "plans.approve", "Rejecting a plan version")
    if actor.id in (version.created_by_id, version.submitted_by_id):
        raise NotAllowed(f"{version.label}: nobody rejects their own change (withdraw it).")
    if version.state != "submitted":
        return  # reject() refuses the state itself, with the error that names it

    result = tally or plan_tally(session, version)
    if not (result.rule.any_rejection_rejects or result.rejected):
        raise Conflict(
            f"{version.label}: under the rules deciding it a rejection is a vote (POST"
            " .../votes) and rejects only once approval is no longer possible:"
            f" {result.summary()}."
        )
