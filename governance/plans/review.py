"""Read-side views for the committee and plan pages: change requests, plan versions and
diffs, gathered from the store, the votes and the change requests into plain dicts a
template shows.

Nothing here writes, and nothing here decides: the tally, the diff, the lint, the impact
and why a viewer cannot vote come from the modules that own them (`plans.tally`,
`plans.diff`, `rules.lint`, the stored `ChangeRequest`, `committee.ballots.refusal_text`);
this module only puts them side by side for one screen, so the views in app/pages stay
thin and the templates hold no business rules.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from governance.accounts import names
from governance.committee.ballots import refusal_text
from governance.committee.quorum import eligible_voters
from governance.errors import NotFound
from governance.permissions import Actor
from governance.plans import lookup as plans
from governance.plans.change_requests import replaced_at_submission, shown_impact
from governance.plans.diff import PlanDiff, diff_documents
from governance.plans.diff_text import readable
from governance.plans.progress import next_step
from governance.plans.tally import change_request_of, plan_tally, voted_hash
from governance.plans.votes import PlanBallot
from models.approvals import ChangeRequest
from models.policy import PlanVersion
from rules.lint import lint_plan

# --------------------------------------------------------------------------- change requests


def change_requests(session: Session) -> list[dict[str, Any]]:
    """Every submitted plan version with its request: open (submitted) first, newest first."""
    rows = session.execute(
        select(PlanVersion, ChangeRequest)
        .join(ChangeRequest, ChangeRequest.plan_version_id == PlanVersion.id)
        .order_by(ChangeRequest.created_at.desc(), ChangeRequest.id.desc())
    ).all()
    people = names(session, [v.created_by_id for v, _ in rows])
    members = eligible_voters(session, excluding=())  # once, not per request
    out = []
    for version, request in rows:
        tally = plan_tally(session, version, members=members)
        out.append(
            {
                "version": version,
                "title": version.plan.title,
                "author": people.get(version.created_by_id, "system"),
                "submitted_at": request.created_at,
                "open": version.state == "submitted",
                "tally": tally.as_dict(),
                "next_step": next_step(session, version, tally=tally),
            }
        )
    out.sort(key=lambda r: not r["open"])  # stable: keeps newest first within each group
    return out


def change_request(session: Session, viewer: Actor, key: str, number: int) -> dict[str, Any]:
    """One change request: document, diff, lint, tests, impact, votes, and the viewer's
    voting position. Raises NotFound for an unknown version or one never submitted."""
    version = plans.get_version(session, key, number)
    request = change_request_of(session, version)
    if request is None:
        raise NotFound(f"{version.label} has no change request: it was never submitted.")
    plan = plans.plan_of(version)
    # The version it replaced at submission (recorded in the impact), not today's active
    # one: after approval the request's own version is the active one.
    old = replaced_at_submission(session, request)
    impact = shown_impact(session, request)
    diff = diff_documents(plans.plan_of(old).document if old else {}, plan.document)
    ballot = PlanBallot(version)
    votes = ballot.votes(session)
    tally = ballot.tally(session)
    people = names(
        session,
        [version.created_by_id, version.submitted_by_id] + [v.voter_id for v in votes],
    )
    return {
        "version": version,
        "title": version.plan.title,
        "submission": request,
        # What the change is, in its submitter's words (the submit transition's note).
        "note": next((t.note for t in version.transitions if t.to_state == "submitted"), None),
        "author": people.get(version.created_by_id, "system"),
        "submitter": people.get(version.submitted_by_id, "system"),
        "yaml": plans.export_yaml(version),
        "replaced": old,
        "diff": diff.as_dict() if old else None,
        "readable_diff": _readable(diff, plans.plan_of(old).document, plan.document)
        if old
        else None,
        "lint": [p.as_dict() for p in lint_plan(plan)],
        "tests": request.tests,
        "impact": impact["impact"],
        "impact_state": impact,
        "votes": [
            {"vote": v, "voter": people.get(v.voter_id, f"user {v.voter_id}")} for v in votes
        ],
        "tally": tally.as_dict(),
        "voted_hash": voted_hash(session, version),
        "next_step": next_step(session, version, tally=tally),
        "rule_set": request.rule_set,
        "refusal": refusal_text(session, viewer, ballot),
    }


# --------------------------------------------------------------------------- plans


def plan_versions(session: Session, key: str) -> dict[str, Any]:
    plan = plans.get_plan(session, key)
    people = names(session, [v.created_by_id for v in plan.versions])
    return {
        "plan": plan,
        "versions": [
            {"version": v, "author": people.get(v.created_by_id, "system")}
            for v in sorted(plan.versions, key=lambda v: -v.number)
        ],
    }


def version_diff(session: Session, key: str, old: int, new: int) -> dict[str, Any]:
    before, after = plans.get_version(session, key, old), plans.get_version(session, key, new)
    diff = diff_documents(plans.plan_of(before).document, plans.plan_of(after).document)
    return {
        "before": before,
        "after": after,
        "diff": diff.as_dict(),
        "readable_diff": _readable(
            diff, plans.plan_of(before).document, plans.plan_of(after).document
        ),
    }


def _readable(diff: PlanDiff, old: Any, new: Any) -> dict[str, Any]:
    """The diff as text (`plans.diff_text`), tier bands measured as the new plan says."""
    old_tiers, new_tiers = (old or {}).get("tiers") or {}, (new or {}).get("tiers") or {}
    bands = (list(old_tiers.get("bands") or []), list(new_tiers.get("bands") or []))
    return readable(diff.as_dict(), new_tiers.get("basis"), bands)
