"""What a plan version must pass, and carries, when it is submitted as a change request.

`embedded_test_failures` is one of `gates.SUBMISSION_CHECKS` (after lint): every failing
embedded test, with each of its differences. Once every check passed, `lifecycle.submit`
calls `attach_review`, which stores the version's `ChangeRequest`: the impact simulation
(`plans.impact`) against the version it would replace, the test results, the approval
rules in force, the submitter's `retroactive` flag and the effective date, and the hash
the committee's votes name (`request_hash`: the plan's content, the date and the flag).
It never blocks, and writes in the caller's transaction.

What a submission checks and stores: docs/governance.md, "Change requests, committee
votes and the approval rules".
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from governance import audit
from governance.committee import approval_rules
from governance.plans import impact as plan_impact
from governance.plans.lookup import get_version, plan_of
from models.approvals import ChangeRequest
from models.base import utcnow
from models.policy import PlanVersion
from rules.evaluation.embedded import run_plan_tests
from rules.model import Plan
from rules.problems import Problem


def embedded_test_failures(session: Session, version: PlanVersion, plan: Plan) -> list[Problem]:
    problems = []
    for i, result in enumerate(run_plan_tests(plan)):
        for difference in result.differences:
            problems.append(Problem(f"tests[{i}]", f"{result.name}: {difference}"))
    return problems


def replaced_version(session: Session, version: PlanVersion) -> PlanVersion | None:
    """The version a submitted one would replace: the plan's active version, if any."""
    number = version.plan.active_number
    if number is None or number == version.number:
        return None

    return get_version(session, version.plan_key, number)


def review(
    session: Session, version: PlanVersion, plan: Plan, *, as_of: date, periods: int, top: int
) -> dict[str, Any]:
    """The impact simulation of `version` against the version it would replace."""

    old = replaced_version(session, version)
    return plan_impact.simulate(
        session,
        plan,
        plan_of(old) if old is not None else None,
        as_of=as_of,
        periods=periods,
        top=top,
        labels=(version.label, old.label if old is not None else None),
    )


def request_hash(plan_hash: str, effective_from: date, retroactive: bool) -> str:
    """What a committee vote on a change request names: the plan version's content hash,
    the date it governs from and whether it may reach into locked periods, together."""
    return audit.sha256_json(
        {
            "plan_version": plan_hash,
            "effective_from": effective_from.isoformat(),
            "retroactive": bool(retroactive),
        }
    )


def attach_review(
    session: Session,
    version: PlanVersion,
    plan: Plan,
    *,
    effective_from: date,
    retroactive: bool = False,
) -> list[Problem]:
    rule_set = approval_rules.active_rule_set(session)
    periods, top = approval_rules.impact_settings(rule_set)
    as_of = utcnow().date()
    session.add(
        ChangeRequest(
            plan_version_id=version.id,
            rule_set_id=rule_set.id,
            impact=review(session, version, plan, as_of=as_of, periods=periods, top=top),
            tests=[{"name": t.name, "period": t.period, "passed": True} for t in plan.tests],
            as_of=as_of,
            retroactive=retroactive,
            effective_from=effective_from,
            content_hash=request_hash(version.content_hash, effective_from, retroactive),
        )
    )
    return []
