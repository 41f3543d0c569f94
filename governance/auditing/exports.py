"""Auditor exports, as CSV or JSON (read-only): the log itself (`export_records`), the plan
versions and the decisions on them, the diffs between consecutive plan versions, and
every committee vote with the tally of its subject.

    export_plan_diffs(session, "csv")   one row per change, versions N-1 -> N of each plan
    export_approvals(session, "json")   one row per vote, with its subject's tally

Rows are flat so that CSV and JSON carry the same thing (nested values, e.g. a rule added
whole, are compact JSON text in a CSV cell). `EXPORTS` names every export for the API and
the CLI.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from governance import audit
from governance.audit import AuditError, as_dict, timestamp_text
from governance.committee import approval_rules
from governance.committee.quorum import Tally, eligible_voters
from governance.exceptions.workflow import exception_tally
from governance.payouts.close import run_tally
from governance.plans.diff import diff_documents
from governance.plans.lookup import plan_of
from governance.plans.tally import plan_tally
from models.approvals import ApprovalRuleSet, Vote
from models.audit import AuditRecord
from models.exceptions import PayoutException
from models.payouts import PayoutRun
from models.policy import PlanTransition, PlanVersion

DIFF_FIELDS = (
    "plan",
    "from_number",
    "to_number",
    "from_hash",
    "to_hash",
    "section",
    "change",
    "rule",
    "path",
    "before",
    "after",
)
APPROVAL_FIELDS = (
    "subject_type",
    "subject",
    "subject_state",
    "vote_id",
    "voter_id",
    "decision",
    "content_hash",
    "functions",
    "roles",
    "comment",
    "at",
    "outcome",
    "approvals",
    "rejections",
    "missing",
    "summary",
)


# --------------------------------------------------------------------------- diffs


def plan_diff_rows(old: PlanVersion, new: PlanVersion) -> list[dict[str, Any]]:
    """The structural diff of two versions as flat rows (one "unchanged" row if none)."""
    result = diff_documents(plan_of(old).document, plan_of(new).document)
    base = {
        "plan": new.plan_key,
        "from_number": old.number,
        "to_number": new.number,
        "from_hash": old.content_hash,
        "to_hash": new.content_hash,
    }

    def row(section, change, rule=None, path=None, before=None, after=None):
        return base | {
            "section": section,
            "change": change,
            "rule": rule,
            "path": path,
            "before": before,
            "after": after,
        }

    rows = [row(None, "field", None, f.path, f.before, f.after) for f in result.fields]
    for name, section in result.sections.items():
        rows += [row(name, "added", a["id"], after=a.get("rule")) for a in section.added]
        rows += [row(name, "removed", r["id"], before=r.get("rule")) for r in section.removed]
        for changed in section.changed:
            rows += [
                row(name, "changed", changed.id, f.path, f.before, f.after) for f in changed.fields
            ]
        if section.reordered:
            rows.append(row(name, "reordered", None, None, *section.reordered))
    return rows or [row(None, "unchanged")]


def export_plan_diffs(session: Session, fmt: str) -> str:
    """For every plan, the diff of each version against the one before it (by number)."""
    stmt = select(PlanVersion).order_by(PlanVersion.plan_key, PlanVersion.number)
    rows: list[dict[str, Any]] = []
    previous: PlanVersion | None = None
    for version in session.scalars(stmt):
        if previous is not None and previous.plan_key == version.plan_key:
            rows += plan_diff_rows(previous, version)
        previous = version
    return render(rows, DIFF_FIELDS, fmt)


# --------------------------------------------------------------------------- approvals


def _subject(
    session: Session, vote: Vote, members: dict[int, set[str]]
) -> tuple[str, str, str, Tally | None]:
    """(type, label, state, tally) of what a vote is on; the tally as its module counts it
    (`members`: the committee, `quorum.eligible_voters`, read once for the export)."""
    if vote.plan_version_id is not None:
        version = session.get(PlanVersion, vote.plan_version_id)
        tally = plan_tally(session, version, members=members)
        return "plan_version", version.label, version.state, tally
    if vote.rule_set_id is not None:
        rule_set = session.get(ApprovalRuleSet, vote.rule_set_id)
        tally = (
            approval_rules.rule_set_tally(session, rule_set, members=members)
            if rule_set.decided_under
            else None
        )
        return "approval_rules", rule_set.label, rule_set.state, tally
    if vote.exception_id is not None:
        exc = session.get(PayoutException, vote.exception_id)
        return "exception", exc.label, exc.state, exception_tally(session, exc)

    run = session.get(PayoutRun, vote.payout_run_id)
    return "payout_run", run.label, run.state, run_tally(session, run)


def export_approvals(session: Session, fmt: str) -> str:
    """Every committee vote, oldest first, each with the current tally of its subject."""
    subjects: dict[tuple, tuple[str, str, str, Tally | None]] = {}
    members = eligible_voters(session, excluding=())
    rows = []
    for vote in session.scalars(select(Vote).order_by(Vote.id)):
        key = (vote.plan_version_id, vote.rule_set_id, vote.exception_id, vote.payout_run_id)
        if key not in subjects:
            subjects[key] = _subject(session, vote, members)
        kind, label, state, tally = subjects[key]
        rows.append(
            {
                "subject_type": kind,
                "subject": label,
                "subject_state": state,
                "vote_id": vote.id,
                "voter_id": vote.voter_id,
                "decision": vote.decision,
                "content_hash": vote.content_hash,
                "functions": list(vote.functions or ()),
                "roles": list(vote.roles or ()),
                "comment": vote.comment,
                "at": audit.timestamp_text(vote.at),
                "outcome": tally.outcome if tally else None,
                "approvals": len(tally.approvals) if tally else None,
                "rejections": len(tally.rejections) if tally else None,
                "missing": list(tally.missing) if tally else None,
                "summary": tally.summary() if tally else None,
            }
        )
    return render(rows, APPROVAL_FIELDS, fmt)


EXPORT_FIELDS = (
    "id",
    "at",
    "actor_id",
    "action",
    "object_type",
    "object_id",
    "before_hash",
    "after_hash",
    "payload",
    "prev_hash",
    "record_hash",
)


def export_records(session: Session, fmt: str, stmt=None) -> str:
    """The whole log (or `stmt`'s records) oldest first, as CSV or JSON text.

    An export has what `verify` needs: a reader can recompute every hash from it.
    """
    if stmt is None:
        stmt = select(AuditRecord)
    stmt = stmt.order_by(None).order_by(AuditRecord.id)
    return render([as_dict(e) for e in session.scalars(stmt)], EXPORT_FIELDS, fmt)


VERSION_FIELDS = (
    "plan",
    "number",
    "state",
    "content_hash",
    "effective_from",
    "recorded_at",
    "created_by_id",
    "submitted_by_id",
    "created_at",
    "updated_at",
)


TRANSITION_FIELDS = (
    "plan",
    "number",
    "content_hash",
    "from_state",
    "to_state",
    "actor_id",
    "at",
    "note",
)


def _time(value: datetime | None) -> str | None:
    return None if value is None else timestamp_text(value)


def export_plan_versions(session: Session, fmt: str) -> str:
    """Every plan version (not its text: `plans export` gives that), by plan and number."""
    stmt = select(PlanVersion).order_by(PlanVersion.plan_key, PlanVersion.number)
    rows = [
        {
            "plan": v.plan_key,
            "number": v.number,
            "state": v.state,
            "content_hash": v.content_hash,
            "effective_from": v.effective_from.isoformat() if v.effective_from else None,
            "recorded_at": _time(v.recorded_at),
            "created_by_id": v.created_by_id,
            "submitted_by_id": v.submitted_by_id,
            "created_at": _time(v.created_at),
            "updated_at": _time(v.updated_at),
        }
        for v in session.scalars(stmt)
    ]
    return render(rows, VERSION_FIELDS, fmt)


def export_plan_transitions(session: Session, fmt: str) -> str:
    """Every decision on every version (submissions, approvals, rejections...), in order."""
    stmt = (
        select(PlanTransition, PlanVersion)
        .join(PlanVersion, PlanTransition.version_id == PlanVersion.id)
        .order_by(PlanTransition.id)
    )
    rows = [
        {
            "plan": v.plan_key,
            "number": v.number,
            "content_hash": v.content_hash,
            "from_state": t.from_state,
            "to_state": t.to_state,
            "actor_id": t.actor_id,
            "at": _time(t.at),
            "note": t.note,
        }
        for t, v in session.execute(stmt)
    ]
    return render(rows, TRANSITION_FIELDS, fmt)


def render(rows: list[dict[str, Any]], fields: tuple[str, ...], fmt: str) -> str:
    """Rows as pretty JSON or as CSV (nested values as compact JSON text in their cell)."""
    if fmt == "json":
        return json.dumps(rows, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow(
                {
                    k: json.dumps(v, sort_keys=True, separators=(",", ":"))
                    if isinstance(v, dict | list)
                    else v
                    for k, v in row.items()
                }
            )
        return out.getvalue()
    raise AuditError(f"unknown export format {fmt!r}: csv or json")


EXPORTS = {
    "log": export_records,
    "plan-versions": export_plan_versions,
    "plan-transitions": export_plan_transitions,
    "plan-diffs": export_plan_diffs,
    "approvals": export_approvals,
}
