"""Reading the policy store: plans, versions, a version's engine Plan and its YAML, and
which version governs a date as known at a time (bitemporal: effective vs record time).

Nothing here writes; the transitions are in governance/plans/lifecycle.py.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import lru_cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from governance.errors import DocumentRejected, GovernanceError, NotFound
from models.policy import PlanVersion, PolicyPlan
from rules.document import dump_plan_yaml, load_plan, plan_from_mapping
from rules.model import Plan
from rules.problems import InvalidPlan

OBJECT_TYPE = "plan_version"


def list_plans(session: Session) -> list[PolicyPlan]:
    return list(session.scalars(select(PolicyPlan).order_by(PolicyPlan.key)))


def get_plan(session: Session, key: str) -> PolicyPlan:
    plan = session.get(PolicyPlan, key)
    if plan is None:
        raise NotFound(f"No plan {key!r}.")
    return plan


def get_version(session: Session, key: str, number: int) -> PlanVersion:
    version = session.scalar(
        select(PlanVersion).where(PlanVersion.plan_key == key, PlanVersion.number == number)
    )
    if version is None:
        raise NotFound(f"No version {number} of plan {key!r}.")
    return version


def plan_of(version: PlanVersion) -> Plan:
    """The engine's Plan for a stored version, from its frozen canonical JSON.

    The canonical JSON is self-contained (test data files were inlined when the document
    was loaded), unlike the text as written, which may name files beside it.
    """
    plan = _parsed(version.canonical_json)
    if plan.version != version.content_hash:  # pragma: no cover - would be a rules bug
        raise GovernanceError(f"{version.label}: stored hash does not match its canonical JSON")
    return plan


@lru_cache(maxsize=64)
def _parsed(canonical_json: str) -> Plan:
    """A frozen Plan per canonical document: a version never changes once stored, and
    pages ask for the same few (the run page and the inbox: about 10 ms a parse)."""
    return plan_from_mapping(json.loads(canonical_json, parse_float=Decimal))


def export_yaml(version: PlanVersion) -> str:
    """Deterministic YAML of a version: the same bytes every time, loading to the same hash."""
    return dump_plan_yaml(json.loads(version.canonical_json, parse_float=Decimal))


def version_governing(
    session: Session, plan_key: str, on: date, as_of: datetime | None = None
) -> PlanVersion | None:
    """The version that governs `on` (effective time), as the store knew it at `as_of`.

    Each activation says "from effective_from on, this version governs" and is recorded
    at `recorded_at`. The answer is the latest-recorded activation (up to `as_of`, or all
    of them) whose effective_from is on or before `on`: a later activation overrides
    earlier ones from its effective date forward, and leaves earlier dates alone, so each
    version ends where the next begins. None when no version governs that date yet.
    """
    stmt = select(PlanVersion).where(
        PlanVersion.plan_key == plan_key,
        PlanVersion.state.in_(("active", "superseded")),
        PlanVersion.effective_from <= on,
    )
    if as_of is not None:
        stmt = stmt.where(PlanVersion.recorded_at <= _utc(as_of))
    stmt = stmt.order_by(PlanVersion.recorded_at.desc(), PlanVersion.id.desc()).limit(1)
    return session.scalar(stmt)


def _utc(value: datetime) -> datetime:
    # SQLite compares stored UTC text: a time in another zone must be converted first.
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def parse_document(text: str, *, source: str = "<plan>", base_dir=None) -> Plan:
    """Validate a plan text; `DocumentRejected` lists every problem (path, rule, column)."""
    try:
        return load_plan(text, source=source, base_dir=base_dir)
    except InvalidPlan as exc:
        raise DocumentRejected("The plan document is not valid.", exc.problems) from None
