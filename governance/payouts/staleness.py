"""Is a draft payout run stale? What changed in its inputs since its last build, in words.

    changes = stale_changes(session, run)     # [] when the draft is current
    text = stale_sentence(run, changes)       # the refusal a vote gets

A draft is stale when, since its last build (`models.PayoutBuild`): the plan versions
governing its period are not the ones it used, the approved exceptions in force at its
end differ, an accepted import changed pay data, or an earlier period was locked. Plans
and exceptions are compared exactly; an import counts whatever it touched (a re-run
that finds identical inputs keeps the votes, so a needless re-run costs nothing more).
Why and what it costs: docs/payout-close.md, "Stale drafts".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from governance.audit import sha256_json
from governance.auditing.data_changes import IMPORT_ACTION
from governance.exceptions.workflow import approved_exceptions
from governance.payouts.build import governing_versions
from models import Deal, PlanVersion
from models.audit import AuditRecord
from models.payout_builds import PayoutBuild
from models.payouts import PayoutRun
from rules.period import Period

LISTED = 10  # names listed in one change before "and N more"


def latest_build(session: Session, run: PayoutRun) -> PayoutBuild | None:
    stmt = select(PayoutBuild).where(PayoutBuild.run_id == run.id)
    return session.scalars(stmt.order_by(PayoutBuild.number.desc()).limit(1)).first()


def plan_labels(session: Session, plan_versions: Mapping[str, Sequence[str]]) -> dict:
    """{plan key: ["ae-plan/2", ...]} for a run's {plan key: [content hash]}; a hash no
    stored version has is shown shortened."""
    hashes = {h for hs in plan_versions.values() for h in hs}
    found: dict[tuple[str, str], PlanVersion] = {}
    if hashes:
        stmt = select(PlanVersion).where(PlanVersion.content_hash.in_(hashes))
        for v in session.scalars(stmt.order_by(PlanVersion.number)):
            found[(v.plan_key, v.content_hash)] = v  # the newest number of equal content
    return {
        key: [
            found[(key, h)].label if (key, h) in found else f"{key}@{h[7:19]}"
            for h in hashes_of_key
        ]
        for key, hashes_of_key in sorted(plan_versions.items())
    }


def exception_items(exceptions: Sequence[Mapping[str, Any]]) -> list[list[str]]:
    """[[exception id, sha256 of what the engine reads of it]]: what a build records."""
    return [[x["id"], sha256_json(x)] for x in exceptions]


def plan_changes(before: Mapping[str, list[str]], after: Mapping[str, list[str]]) -> list:
    """One change per plan whose versions differ ({plan key: [labels]} before and after)."""
    out = []
    for key in sorted(set(before) | set(after)):
        old, new = list(before.get(key, ())), list(after.get(key, ()))
        if sorted(old) != sorted(new):
            text = f"{key}: was {', '.join(old) or 'none'}, now {', '.join(new) or 'none'}"
            out.append(
                {"kind": "plan_versions", "plan": key, "before": old, "after": new, "text": text}
            )
    return out


def exception_changes(before: Sequence[Sequence[str]] | None, after: Sequence[Sequence[str]]):
    """The exceptions in force that were added, removed or changed (`exception_items`)."""
    if before is None:  # not recorded (a build before revision 0011)
        return [
            {
                "kind": "exceptions",
                "added": [],
                "removed": [],
                "changed": [],
                "text": "the exceptions in force changed",
            }
        ]
    old, new = dict(map(tuple, before)), dict(map(tuple, after))
    added = sorted(set(new) - set(old))
    removed = sorted(set(old) - set(new))
    changed = sorted(k for k in set(old) & set(new) if old[k] != new[k])
    if not (added or removed or changed):
        return []
    parts = [
        f"{word} {names(ids)}"
        for word, ids in (("now in force:", added), ("no longer:", removed), ("changed:", changed))
        if ids
    ]
    text = "exceptions " + "; ".join(parts)
    return [
        {"kind": "exceptions", "added": added, "removed": removed, "changed": changed, "text": text}
    ]


def imports_since(session: Session, record_id: int) -> list[dict[str, Any]]:
    """Accepted imports after the audit record `record_id` that changed pay data."""
    stmt = select(AuditRecord).where(
        AuditRecord.action == IMPORT_ACTION, AuditRecord.id > record_id
    )
    out = []
    for entry in session.scalars(stmt.order_by(AuditRecord.id)):
        kinds = list((entry.payload or {}).get("changed") or ())
        if not kinds:
            continue
        sources = ", ".join((entry.payload or {}).get("sources") or ()) or entry.object_id
        at = entry.at.strftime("%Y-%m-%d %H:%M UTC")
        out.append(
            {
                "kind": "data",
                "record": entry.id,
                "sources": sources,
                "changed": kinds,
                "text": f"data imported {at} ({sources}): {', '.join(kinds)} changed",
            }
        )
    return out


def names(ids: Sequence[str]) -> str:
    shown = ", ".join(ids[:LISTED])
    return shown + (f" and {len(ids) - LISTED} more" if len(ids) > LISTED else "")


def stale_changes(session: Session, run: PayoutRun) -> list[dict[str, Any]]:
    """What changed in the draft's inputs since its last build ([] when it is current, or
    not a draft, or built before builds were recorded)."""
    if run.state != "draft":
        return []
    build = latest_build(session, run)
    if build is None:
        return []
    period = Period.parse(run.period)
    days = session.scalars(
        select(Deal.close_date).where(Deal.close_date.between(period.start, period.end)).distinct()
    ).all()
    now = {
        key: [u.label for u in uses]
        for key, uses in governing_versions(session, period, days).items()
    }
    used = {key: [v["label"] for v in uses] for key, uses in (build.plan_versions or {}).items()}
    changes = plan_changes(used, now)
    in_force = exception_items(approved_exceptions(session, as_of=period.end))
    changes += exception_changes(build.exceptions, in_force)
    changes += imports_since(session, build.audit_record_id)
    changes += _locked_since(session, run, build)
    return changes


def _locked_since(session: Session, run: PayoutRun, build: PayoutBuild) -> list:
    """Earlier periods locked after the build: their adjustments are not in it."""
    stmt = select(PayoutRun.period).where(
        PayoutRun.state == "locked",
        PayoutRun.period_start < run.period_start,
        PayoutRun.locked_at > build.built_at,
    )
    return [
        {
            "kind": "locked_period",
            "period": p,
            "text": f"{p} was locked since: its prior-period adjustments are not in this build",
        }
        for p in session.scalars(stmt.order_by(PayoutRun.period_start))
    ]


def stale_sentence(run: PayoutRun, changes: Sequence[Mapping[str, Any]]) -> str:
    """The one sentence a vote on a stale draft is refused with."""
    what = "; ".join(c["text"] for c in changes)
    return (
        f"{run.label} is stale: its inputs changed since it was built ({what}). "
        f"Re-run {run.period} before voting on it."
    )
