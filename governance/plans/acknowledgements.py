"""A participant's own plans, and their acknowledgement that they have read a version.

`own_plans` answers "which plan versions pay me": for each plan the user's participant
is assigned to, the version governing the day (else the active one). `acknowledge`
records that the user read one of them, with the content hash they were shown: once per
(user, version), audited once; a repeat answers the first record.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from governance import audit
from governance.accounts import names
from governance.errors import Conflict, InvalidTransition, NotAllowed
from governance.plans.lookup import OBJECT_TYPE, get_version, plan_of, version_governing
from models.identity import User
from models.people import Assignment
from models.policy import PlanAcknowledgement, PlanVersion, PolicyPlan
from rules.plan_words import describe_plan

IN_FORCE = ("active", "superseded")  # the versions that pay (or paid) someone


def _assignments(session: Session, user: User) -> list[Assignment]:
    if user.participant_id is None:
        return []
    stmt = (
        select(Assignment)
        .where(Assignment.participant_id == user.participant_id)
        .order_by(Assignment.plan_key, Assignment.start_date)
    )
    return list(session.scalars(stmt))


def _mine(session: Session, user: User, version_ids: list[int]) -> dict[int, PlanAcknowledgement]:
    if not version_ids:
        return {}
    stmt = select(PlanAcknowledgement).where(
        PlanAcknowledgement.user_id == user.id,
        PlanAcknowledgement.plan_version_id.in_(version_ids),
    )
    return {a.plan_version_id: a for a in session.scalars(stmt)}


def own_plans(session: Session, user: User, on: date) -> list[dict[str, Any]]:
    """The user's plans, one entry per plan they are assigned to: its assignments, the
    version governing `on` (else the active one; None when none is in force), that
    version in plain words, and the user's acknowledgement of it (or None)."""
    by_plan: dict[str, list[Assignment]] = {}
    for assignment in _assignments(session, user):
        by_plan.setdefault(assignment.plan_key, []).append(assignment)
    out = []
    for key, assignments in by_plan.items():
        plan = session.get(PolicyPlan, key)
        version = version_governing(session, key, on)
        if version is None and plan is not None and plan.active_number:
            version = get_version(session, key, plan.active_number)
        out.append(
            {
                "key": key,
                "title": plan.title if plan else key,
                "assignments": assignments,
                "version": version,
                "words": describe_plan(plan_of(version)) if version else [],
            }
        )
    acks = _mine(session, user, [e["version"].id for e in out if e["version"]])
    for entry in out:
        entry["acknowledgement"] = acks.get(entry["version"].id) if entry["version"] else None
    return out


def acknowledge(
    session: Session, user: User, key: str, number: int, content_hash: str
) -> tuple[PlanAcknowledgement, bool]:
    """Record that `user` read version `number` of `key` whose content is `content_hash`.
    Returns (the record, whether it is new). Refused: no assignment to the plan
    (NotAllowed), a version not in force (InvalidTransition), another hash (Conflict)."""
    if not any(a.plan_key == key for a in _assignments(session, user)):
        raise NotAllowed(f"Only a participant assigned to {key!r} acknowledges its versions.")
    version = get_version(session, key, number)
    if version.state not in IN_FORCE:
        raise InvalidTransition(
            f"{version.label} is {version.state}: only a version in force is acknowledged."
        )
    if content_hash != version.content_hash:
        raise Conflict(
            f"{version.label} has content {version.content_hash}, not {content_hash}:"
            " read it again before acknowledging it."
        )
    existing = _mine(session, user, [version.id]).get(version.id)
    if existing is not None:
        return existing, False
    record = PlanAcknowledgement(
        user_id=user.id,
        participant_id=user.participant_id,
        plan_version_id=version.id,
        plan_key=key,
        version_number=number,
        content_hash=version.content_hash,
    )
    try:
        with session.begin_nested():  # a concurrent click inserted it first: answer that one
            session.add(record)
    except IntegrityError:
        return _mine(session, user, [version.id])[version.id], False
    audit.record(
        session,
        user,
        f"{OBJECT_TYPE}.acknowledged",
        OBJECT_TYPE,
        version.label,
        after=version.content_hash,
        payload={"participant": user.participant_id},
    )
    return record, True


def of_user(session: Session, user: User) -> list[PlanAcknowledgement]:
    stmt = (
        select(PlanAcknowledgement)
        .where(PlanAcknowledgement.user_id == user.id)
        .order_by(PlanAcknowledgement.acknowledged_at.desc(), PlanAcknowledgement.id.desc())
    )
    return list(session.scalars(stmt))


def of_version(session: Session, version: PlanVersion) -> list[dict[str, Any]]:
    """Who acknowledged `version`, oldest first, with their names."""
    stmt = (
        select(PlanAcknowledgement)
        .where(PlanAcknowledgement.plan_version_id == version.id)
        .order_by(PlanAcknowledgement.acknowledged_at, PlanAcknowledgement.id)
    )
    rows = list(session.scalars(stmt))
    people = names(session, [r.user_id for r in rows])
    return [{"ack": r, "name": people.get(r.user_id, f"user {r.user_id}")} for r in rows]


def counts(session: Session, key: str) -> dict[int, int]:
    """Acknowledgements per version number of plan `key`."""
    stmt = (
        select(PlanAcknowledgement.version_number, func.count())
        .where(PlanAcknowledgement.plan_key == key)
        .group_by(PlanAcknowledgement.version_number)
    )
    return dict(session.execute(stmt).all())
