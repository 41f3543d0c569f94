"""Read-side views for the web pages: change requests, plan versions and the audit log,
gathered from the store, the votes and the audit chain into plain dicts a template shows.

Nothing here writes, and nothing here decides: the tally, the diff, the lint and the
impact come from the modules that own them (`votes`, `diff`, `rules.lint`, the stored
`ChangeRequest`); this module only puts them side by side for one screen, so the views in
app/pages stay thin and the templates hold no business rules (who may vote, and why not,
is answered here).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from governance import approval_rules, audit, votes
from governance import policy_store as store
from governance.change_requests import replaced_version
from governance.diff import diff_documents
from governance.paging import page as paged
from governance.permissions import has_permission
from models import User
from models.approvals import ChangeRequest
from models.audit import AuditRecord
from models.policy import PlanVersion
from rules.lint import lint_plan

# --------------------------------------------------------------------------- people


def names(session: Session, ids) -> dict[int, str]:
    """User id -> display name, for the ids given (None, the system, is left out)."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = session.execute(select(User.id, User.name).where(User.id.in_(wanted)))
    return dict(rows.all())


# --------------------------------------------------------------------------- change requests


def change_requests(session: Session) -> list[dict[str, Any]]:
    """Every submitted plan version with its request: open (submitted) first, newest first."""
    rows = session.execute(
        select(PlanVersion, ChangeRequest)
        .join(ChangeRequest, ChangeRequest.plan_version_id == PlanVersion.id)
        .order_by(ChangeRequest.created_at.desc(), ChangeRequest.id.desc())
    ).all()
    people = names(session, [v.created_by_id for v, _ in rows])
    members = votes.eligible_voters(session, excluding=())  # once, not per request
    out = []
    for version, request in rows:
        tally = votes.plan_tally(session, version, members=members)
        out.append(
            {
                "version": version,
                "title": version.plan.title,
                "author": people.get(version.created_by_id, "system"),
                "submitted_at": request.created_at,
                "open": version.state == "submitted",
                "tally": tally.as_dict(),
            }
        )
    out.sort(key=lambda r: not r["open"])  # stable: keeps newest first within each group
    return out


def _replaced_by_request(
    session: Session, version: PlanVersion, request: ChangeRequest | None
) -> PlanVersion | None:
    # The version it replaced at submission (recorded in the impact), not today's active
    # one: after approval the request's own version is the active one.
    if request is not None:
        label = (request.impact.get("replaced") or {}).get("label")
        if not label:
            return None
        key, _, number = label.rpartition("/")
        return store.get_version(session, key, int(number))
    return replaced_version(session, version)


def vote_refusal(session: Session, viewer: Any, version: PlanVersion) -> str | None:
    """Why `viewer` cannot vote on `version` now (None: they can). Mirrors the checks of
    `votes.cast_plan_vote`, which still decides when a vote is cast."""
    if not has_permission(viewer, "changes.vote"):
        return "Voting needs the permission 'changes.vote'."
    if version.state != "submitted":
        return f"This change request is {version.state}: votes are taken on open requests only."
    if viewer.id in (version.created_by_id, version.submitted_by_id):
        return "You wrote or submitted this change: nobody votes on their own change."
    for vote in votes.plan_votes(session, version):
        if vote.voter_id == viewer.id:
            return f"You have voted ({vote.decision}) on this request; a vote is never changed."
    return None


def change_request(session: Session, viewer: Any, key: str, number: int) -> dict[str, Any]:
    """One change request: document, diff, lint, tests, impact, votes, and the viewer's
    voting position. Raises store.NotFound for an unknown version or one never submitted."""
    version = store.get_version(session, key, number)
    request = votes.change_request_of(session, version)
    if request is None:
        raise store.NotFound(f"{version.label} has no change request: it was never submitted.")
    plan = store.plan_of(version)
    old = _replaced_by_request(session, version, request)
    diff = diff_documents(store.plan_of(old).document if old else {}, plan.document)
    ballot = votes.plan_votes(session, version)
    people = names(
        session,
        [version.created_by_id, version.submitted_by_id] + [v.voter_id for v in ballot],
    )
    tally = votes.plan_tally(session, version)
    return {
        "version": version,
        "title": version.plan.title,
        "submission": request,
        "author": people.get(version.created_by_id, "system"),
        "submitter": people.get(version.submitted_by_id, "system"),
        "yaml": store.export_yaml(version),
        "replaced": old,
        "diff": diff.as_dict() if old else None,
        "lint": [p.as_dict() for p in lint_plan(plan)],
        "tests": request.tests,
        "impact": request.impact,
        "votes": [
            {"vote": v, "voter": people.get(v.voter_id, f"user {v.voter_id}")} for v in ballot
        ],
        "tally": tally.as_dict(),
        "rule_set": request.rule_set,
        "refusal": vote_refusal(session, viewer, version),
    }


# --------------------------------------------------------------------------- approval rules


def rules_vote_refusal(session: Session, viewer: Any, rule_set: Any) -> str | None:
    """Why `viewer` cannot vote on a rules proposal now (None: they can); mirrors
    `votes.cast_rules_vote`, which still decides when a vote is cast."""
    if not has_permission(viewer, "changes.vote"):
        return "Voting needs the permission 'changes.vote'."
    if rule_set.state != "submitted":
        return f"{rule_set.label} is {rule_set.state}: votes are taken on proposals only."
    if viewer.id == rule_set.created_by_id:
        return "You proposed these rules: nobody votes on their own proposal."
    for vote in votes.rule_set_votes(session, rule_set):
        if vote.voter_id == viewer.id:
            return f"You have voted ({vote.decision}) on this proposal; a vote is never changed."
    return None


def rules_overview(session: Session, viewer: Any = None) -> dict[str, Any]:
    """The rules in force, every version (newest first) and the open proposals with tallies
    (and, for a `viewer`, why they cannot vote on each, if they cannot)."""
    active = approval_rules.active_rule_set(session)
    history = sorted(approval_rules.list_rule_sets(session), key=lambda r: -r.number)
    people = names(session, [r.created_by_id for r in history])
    members = votes.eligible_voters(session, excluding=())  # once, not per proposal
    rows = []
    for rule_set in history:
        open_ = rule_set.state == "submitted"
        rows.append(
            {
                "rule_set": rule_set,
                "author": people.get(rule_set.created_by_id, "system"),
                "document": approval_rules.document_of(rule_set),
                "tally": votes.rule_set_tally(session, rule_set, members=members).as_dict()
                if open_
                else None,
                "refusal": rules_vote_refusal(session, viewer, rule_set)
                if open_ and viewer is not None
                else None,
            }
        )
    return {
        "active": active,
        "active_document": approval_rules.document_of(active),
        "versions": rows,
        "proposals": [r for r in rows if r["rule_set"].state == "submitted"],
    }


# --------------------------------------------------------------------------- plans


def plan_versions(session: Session, key: str) -> dict[str, Any]:
    plan = store.get_plan(session, key)
    people = names(session, [v.created_by_id for v in plan.versions])
    return {
        "plan": plan,
        "versions": [
            {"version": v, "author": people.get(v.created_by_id, "system")}
            for v in sorted(plan.versions, key=lambda v: -v.number)
        ],
    }


def version_diff(session: Session, key: str, old: int, new: int) -> dict[str, Any]:
    before, after = store.get_version(session, key, old), store.get_version(session, key, new)
    diff = diff_documents(store.plan_of(before).document, store.plan_of(after).document)
    return {"before": before, "after": after, "diff": diff.as_dict()}


# --------------------------------------------------------------------------- audit log


def _actor_ids(session: Session, actor: str) -> list[int] | None:
    """ "system" (None), a user id, or a part of a name or e-mail -> matching user ids."""
    text = actor.strip()
    if text.isdigit():
        return [int(text)]
    pattern = f"%{text.lower()}%"
    return list(
        session.scalars(
            select(User.id).where(
                or_(func.lower(User.name).like(pattern), func.lower(User.email).like(pattern))
            )
        )
    )


def audit_page(
    session: Session,
    *,
    object_type: str | None = None,
    actor: str | None = None,
    since: date | None = None,
    until: date | None = None,
    page: int = 1,
    per_page: int = 50,
) -> dict[str, Any]:
    """A page of the audit log, newest first. `since`/`until` are UTC days, inclusive;
    `actor` is "system", a user id, or part of a name or e-mail."""
    stmt = audit.list_records(session, object_type=object_type or None)
    if actor and actor.strip():
        if actor.strip().lower() == "system":
            stmt = stmt.where(AuditRecord.actor_id.is_(None))
        else:
            stmt = stmt.where(AuditRecord.actor_id.in_(_actor_ids(session, actor)))
    if since:
        stmt = stmt.where(AuditRecord.at >= datetime.combine(since, time.min, tzinfo=UTC))
    if until:
        end = datetime.combine(until + timedelta(days=1), time.min, tzinfo=UTC)
        stmt = stmt.where(AuditRecord.at < end)
    records, total = paged(session, stmt, offset=(page - 1) * per_page, limit=per_page)
    people = names(session, [r.actor_id for r in records])
    types = session.scalars(
        select(AuditRecord.object_type).distinct().order_by(AuditRecord.object_type)
    )
    return {
        "records": [
            {"record": audit.as_dict(r), "actor": people.get(r.actor_id, "system")} for r in records
        ],
        "total": total,
        "page": page,
        "per_page": per_page,
        "pages": max(1, -(-total // per_page)),
        "object_types": list(types),
    }


def audit_verification(session: Session) -> audit.Verification:
    return audit.verify(session)
