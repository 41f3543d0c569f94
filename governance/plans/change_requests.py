"""What a plan version must pass, and carries, when it is submitted as a change request.

`embedded_test_failures` is one of `gates.SUBMISSION_CHECKS` (after lint): every failing
embedded test, with each of its differences. Once every check passed, `lifecycle.submit`
calls `attach_review`, which stores the version's `ChangeRequest`: the impact simulation
(`plans.impact`) against the version it would replace, the test results, the approval
rules in force, the submitter's `retroactive` flag and the effective date, and the hash
the committee's votes name (`request_hash`: the plan's content, the date and the flag).
It never blocks, and writes in the caller's transaction. With `impact_on_worker` (the
web's submissions) the simulation is queued instead (`governance.impact_results`) and a
worker runs `compute_impact`; `shown_impact` is what pages and the API show.

What a submission checks and stores: docs/governance.md, "Change requests, committee
votes and the approval rules".
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from governance import audit, impact_results
from governance.committee import approval_rules
from governance.engine_input import database_json
from governance.errors import InvalidTransition, NotFound
from governance.permissions import Actor
from governance.plans import impact as plan_impact
from governance.plans.lookup import get_version, plan_of
from models.approvals import ChangeRequest
from models.base import utcnow
from models.policy import PlanVersion
from rules.evaluation.embedded import run_plan_tests
from rules.model import Plan
from rules.problems import Problem

SUBJECT = "change_request"  # impact_results.subject_type of a change request's impact


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
    session: Session,
    version: PlanVersion,
    plan: Plan,
    *,
    as_of: date,
    periods: int,
    top: int,
    old: PlanVersion | None = None,
    raw: dict[str, Any] | None = None,
    forward_raw: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The impact simulation of `version` against `old` (default: the version it would
    replace now), backward and forward. `raw`, `forward_raw`: the engine data up to the
    window's and the open period's end, if read already."""
    old = old if old is not None else replaced_version(session, version)
    return plan_impact.simulate(
        session,
        plan,
        plan_of(old) if old is not None else None,
        as_of=as_of,
        periods=periods,
        top=top,
        labels=(version.label, old.label if old is not None else None),
        raw=raw,
        forward_raw=forward_raw,
    )


def _frame(session: Session, version: PlanVersion, plan: Plan, as_of: date, periods: int):
    old = replaced_version(session, version)
    labels = (version.label, old.label if old is not None else None)
    impact = plan_impact.frame(
        plan, plan_of(old) if old else None, as_of=as_of, periods=periods, labels=labels
    )
    return {**impact, "on_worker": True}


def replaced_at_submission(session: Session, request: ChangeRequest) -> PlanVersion | None:
    """The version the request replaced at submission (named in its stored impact)."""
    label = (request.impact.get("replaced") or {}).get("label")
    if not label:
        return None
    key, _, number = label.rpartition("/")
    return get_version(session, key, int(number))


def compute_impact(session: Session, request_id: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """(inputs, impact) of change request `request_id`, simulated now: the same window
    (`as_of`, periods, top of its pinned rules), open period and versions as at
    submission, over the data as it is. `inputs` names all of that, the data (backward
    window, and the open period's) by its hash."""
    request = session.get(ChangeRequest, request_id)
    version = session.get(PlanVersion, request.plan_version_id)
    old = replaced_at_submission(session, request)
    periods, top = approval_rules.impact_settings(request.rule_set)
    plan = plan_of(version)
    window = plan_impact.completed_periods(plan.period, request.as_of, periods)
    ahead = plan_impact.open_period(plan.period, request.as_of)
    raw = database_json(session, up_to=window[-1].end)
    forward_raw = database_json(session, up_to=ahead.end)
    inputs = {
        "change_request": request.id,
        "proposed": {"label": version.label, "content_hash": version.content_hash},
        "replaced": None if old is None else {"label": old.label, "content_hash": old.content_hash},
        "as_of": request.as_of.isoformat(),
        "periods": [p.name for p in window],
        "top": top,
        "data_hash": audit.sha256_json(raw),
        "forward": {"period": ahead.name, "data_hash": audit.sha256_json(forward_raw)},
    }
    impact = review(
        session,
        version,
        plan,
        as_of=request.as_of,
        periods=periods,
        top=top,
        old=old,
        raw=raw,
        forward_raw=forward_raw,
    )
    return inputs, impact


def shown_impact(session: Session, request: ChangeRequest) -> dict[str, Any]:
    """The impact to show with its state (`impact_results.shown`): the latest computed
    on a worker, else the one stored at submission when it was computed there."""
    shown = impact_results.shown(session, SUBJECT, request.id)
    result = shown.pop("result")
    if shown["state"] == "done":
        return {**shown, "impact": result}
    if not request.impact.get("on_worker"):  # computed in the submitting transaction
        return {**shown, "state": "done", "impact": request.impact}
    return {**shown, "impact": request.impact}  # the frame: what is being simulated


def open_request_id(session: Session, key: str, number: int) -> int:
    """The change request of a submitted version (whose impact may be computed again);
    NotFound when never submitted, InvalidTransition once decided."""
    version = get_version(session, key, number)
    request = session.scalar(
        select(ChangeRequest).where(ChangeRequest.plan_version_id == version.id)
    )
    if request is None:
        raise NotFound(f"{version.label} has no change request: it was never submitted.")
    if version.state != "submitted":
        raise InvalidTransition(
            f"{version.label} is {version.state}: its impact is computed again while it is open."
        )
    return request.id


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
    impact_on_worker: bool = False,
    actor: Actor = None,
) -> list[Problem]:
    """Store the version's change request. Its impact is simulated here, or, with
    `impact_on_worker`, queued for a worker (`impact_results`; the caller publishes the
    task after committing) and the request stores only what is simulated (`frame`)."""
    rule_set = approval_rules.active_rule_set(session)
    periods, top = approval_rules.impact_settings(rule_set)
    as_of = utcnow().date()
    if impact_on_worker:
        impact = _frame(session, version, plan, as_of, periods)
    else:
        impact = review(session, version, plan, as_of=as_of, periods=periods, top=top)
    request = ChangeRequest(
        plan_version_id=version.id,
        rule_set_id=rule_set.id,
        impact=impact,
        tests=[{"name": t.name, "period": t.period, "passed": True} for t in plan.tests],
        as_of=as_of,
        retroactive=retroactive,
        effective_from=effective_from,
        content_hash=request_hash(version.content_hash, effective_from, retroactive),
    )
    session.add(request)
    if impact_on_worker:
        session.flush()
        impact_results.queue(session, SUBJECT, request.id, actor)
    return []
