"""The versioned policy store: plan versions, their lifecycle, and which version governs when.

draft -> submitted -> approved -> active -> superseded; submitted -> rejected; draft,
submitted or approved -> withdrawn (the diagram and the guarantees: docs/governance.md).

One function per transition. Each checks the actor's permission and the version's state,
changes the row, records the transition, and appends an audit record, all in the caller's
transaction (they flush; the request handler or CLI command commits). `actor=None` is the
system (an operator at the CLI, demo seeding): it is trusted and skips permission and
separation-of-duties checks, but its actions are audited like anyone's.

Every change to a plan or its versions bumps `PolicyPlan.revision` (SQLAlchemy's
`version_id_col`): callers pass the revision they read as `expected_revision`, and a
stale one, or a concurrent writer that got there first, raises `StaleEdit`.

Seams: `SUBMISSION_CHECKS` (lint, embedded tests, the impact simulation stored with the
change request), `_approval_gate` (approval is by committee vote, `governance.votes`) and
`_check_effective_date` (locked payout periods, once payout runs exist).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from governance import audit
from governance.permissions import has_permission
from models.base import utcnow
from models.policy import ALLOWED_TRANSITIONS, PlanTransition, PlanVersion, PolicyPlan
from rules.canonical import canonical_json
from rules.document import dump_plan_yaml, load_plan, plan_from_mapping
from rules.lint import lint_plan
from rules.model import Plan
from rules.problems import InvalidPlan, Problem

OBJECT_TYPE = "plan_version"


class PolicyError(Exception):
    """Base of the store's refusals; `problems` lists located details when there are any."""

    def __init__(self, message: str, problems: list[Problem] | tuple[Problem, ...] = ()):
        super().__init__(message)
        self.message = message
        self.problems = tuple(problems)


class NotFound(PolicyError):
    """No such plan or version."""


class NotAllowed(PolicyError):
    """The actor lacks the permission, or separation of duties forbids it."""


class InvalidTransition(PolicyError):
    """The version is not in a state this transition starts from."""


class Conflict(PolicyError):
    """The request clashes with the plan's current state (e.g. a draft is already open)."""


class StaleEdit(PolicyError):
    """The plan changed since the caller read it (expected revision is out of date)."""


class DocumentRejected(PolicyError):
    """The document does not validate, or lint found errors; `problems` says where."""


# --------------------------------------------------------------------------- reading


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
    document = json.loads(version.canonical_json, parse_float=Decimal)
    plan = plan_from_mapping(document)
    if plan.version != version.content_hash:  # pragma: no cover - would be a rules bug
        raise PolicyError(f"{version.label}: stored hash does not match its canonical JSON")
    return plan


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


# --------------------------------------------------------------------------- documents


def parse_document(text: str, *, source: str = "<plan>", base_dir=None) -> Plan:
    """Validate a plan text; `DocumentRejected` lists every problem (path, rule, column)."""
    try:
        return load_plan(text, source=source, base_dir=base_dir)
    except InvalidPlan as exc:
        raise DocumentRejected("The plan document is not valid.", exc.problems) from None


def _lint_errors(session: Session, version: PlanVersion, plan: Plan) -> list[Problem]:
    return [p for p in lint_plan(plan) if p.severity == "error"]


def _embedded_tests(session: Session, version: PlanVersion, plan: Plan) -> list[Problem]:
    from governance.change_requests import embedded_test_failures  # it imports this module

    return embedded_test_failures(session, version, plan)


def _impact_review(session: Session, version: PlanVersion, plan: Plan) -> list[Problem]:
    from governance.change_requests import attach_review

    return attach_review(session, version, plan)


# What a draft must pass before it can be submitted (each returns the problems that block
# submission): lint, the embedded tests, and last the impact simulation, which never
# blocks but is stored with the change request (governance/change_requests.py).
SUBMISSION_CHECKS: list[Callable[[Session, PlanVersion, Plan], list[Problem]]] = [
    _lint_errors,
    _embedded_tests,
    _impact_review,
]


# --------------------------------------------------------------------------- helpers


def _require(actor: Any | None, permission: str, doing: str) -> None:
    if actor is not None and not has_permission(actor, permission):
        raise NotAllowed(f"{doing} needs the permission {permission!r}.")


def _claim(session: Session, plan: PolicyPlan) -> None:
    """Write the plan's row first: `version_id_col` checks the revision read, and on
    PostgreSQL the row lock makes a concurrent change to the same plan wait, then fail."""
    key = plan.key  # read now: after a failed flush the session refuses to load anything
    plan.updated_at = utcnow()  # every change to a version changes its plan's row
    try:
        session.flush()
    except (StaleDataError, IntegrityError):
        # IntegrityError: a new plan's key inserted by a concurrent first draft.
        raise StaleEdit(
            f"Plan {key!r} was changed by someone else at the same time: reload it."
        ) from None


def _transition(
    session: Session,
    actor: Any | None,
    version: PlanVersion,
    to_state: str,
    note: str | None,
    **payload: Any,
) -> None:
    from_state = version.state
    if (from_state, to_state) not in ALLOWED_TRANSITIONS:
        raise InvalidTransition(f"{version.label} is {from_state}: it cannot become {to_state}.")
    version.state = to_state
    session.add(
        PlanTransition(
            version=version,
            from_state=from_state,
            to_state=to_state,
            actor_id=getattr(actor, "id", None),
            note=note,
        )
    )
    audit.record(
        session,
        actor,
        f"{OBJECT_TYPE}.{to_state}",
        OBJECT_TYPE,
        version.label,
        before=version.content_hash,
        after=version.content_hash,
        payload={"from": from_state, "to": to_state, "note": note, **payload},
    )


def _load_plan(session: Session, key: str, expected_revision: int | None) -> PolicyPlan:
    plan = get_plan(session, key)
    if expected_revision is not None and plan.revision != expected_revision:
        raise StaleEdit(
            f"Plan {key!r} is at revision {plan.revision}, not {expected_revision}:"
            " reload it and apply your change again."
        )
    return plan


def _expect_state(version: PlanVersion, state: str, doing: str) -> None:
    if version.state != state:
        raise InvalidTransition(f"{version.label} is {version.state}: only {state} {doing}.")


# --------------------------------------------------------------------------- transitions


def create_draft(
    session: Session,
    actor: Any | None,
    text: str,
    *,
    source: str = "<plan>",
    base_dir=None,
    note: str | None = None,
) -> PlanVersion:
    """A new draft version of the plan the document names (creating the plan if new)."""
    _require(actor, "plans.edit", "Drafting a plan version")
    doc = parse_document(text, source=source, base_dir=base_dir)
    plan = session.get(PolicyPlan, doc.policy)
    if plan is None:
        plan = PolicyPlan(key=doc.policy, title=doc.title, latest_number=0)
        session.add(plan)
    elif plan.draft_number is not None:
        raise Conflict(
            f"Plan {plan.key!r} already has an open draft (version {plan.draft_number}):"
            " edit or withdraw it first."
        )
    plan.latest_number += 1
    plan.draft_number = plan.latest_number
    _claim(session, plan)
    version = PlanVersion(
        plan=plan,
        number=plan.latest_number,
        state="draft",
        document=text,
        canonical_json=canonical_json(doc.document),
        content_hash=doc.version,
        created_by_id=getattr(actor, "id", None),
    )
    session.add(version)
    session.add(
        PlanTransition(
            version=version,
            from_state=None,
            to_state="draft",
            actor_id=version.created_by_id,
            note=note,
        )
    )
    session.flush()
    audit.record(
        session,
        actor,
        f"{OBJECT_TYPE}.created",
        OBJECT_TYPE,
        version.label,
        after=version.content_hash,
        payload={"title": doc.title, "note": note},
    )
    return version


def update_draft(
    session: Session,
    actor: Any | None,
    key: str,
    number: int,
    text: str,
    *,
    expected_revision: int | None,
    source: str = "<plan>",
    base_dir=None,
) -> PlanVersion:
    """Replace a draft's document. Only a draft is editable; a stale revision is refused."""
    _require(actor, "plans.edit", "Editing a plan version")
    plan = _load_plan(session, key, expected_revision)
    version = get_version(session, key, number)
    _expect_state(version, "draft", "is editable")
    doc = parse_document(text, source=source, base_dir=base_dir)
    if doc.policy != key:
        raise DocumentRejected(
            "The document belongs to another plan.",
            [Problem(path="$.policy", message=f"this is a version of {key!r}, not {doc.policy!r}")],
        )
    before = version.content_hash
    version.document = text
    version.canonical_json = canonical_json(doc.document)
    version.content_hash = doc.version
    if plan.active_number is None:
        plan.title = doc.title  # a plan never active is known by its latest draft's title
    _claim(session, plan)
    audit.record(
        session,
        actor,
        f"{OBJECT_TYPE}.updated",
        OBJECT_TYPE,
        version.label,
        before=before,
        after=version.content_hash,
    )
    return version


def submit(
    session: Session,
    actor: Any | None,
    key: str,
    number: int,
    *,
    effective_from: date | None = None,
    note: str | None = None,
    expected_revision: int | None = None,
) -> PlanVersion:
    """Freeze a draft and put it up for approval, if it passes every submission check."""
    _require(actor, "plans.edit", "Submitting a plan version")
    plan = _load_plan(session, key, expected_revision)
    version = get_version(session, key, number)
    _expect_state(version, "draft", "can be submitted")
    doc = plan_of(version)
    problems = [p for check in SUBMISSION_CHECKS for p in check(session, version, doc)]
    if problems:
        raise DocumentRejected(f"{version.label} cannot be submitted.", problems)
    if effective_from is not None:
        version.effective_from = effective_from
    version.submitted_by_id = getattr(actor, "id", None)
    plan.draft_number = None
    _claim(session, plan)
    _transition(session, actor, version, "submitted", note, effective_from=effective_from)
    session.flush()
    return version


def _approval_gate(session: Session, actor: Any | None, version: PlanVersion) -> None:
    """Approval is the committee's decision by vote (`governance.votes`): a user may record
    it only once the version's votes satisfy the approval rules that decide it, which the
    deciding vote does itself, in the same transaction. A direct approval by a user is
    therefore refused (`Conflict`), naming what the votes still lack.

    `actor=None` (the system) passes: no request or CLI command acts as the system on an
    approval; it is there for seeding history (the demo) and data repair at the shell, and
    is audited as the system (docs/governance.md).
    """
    if actor is None:
        return
    _require(actor, "plans.approve", "Approving a plan version")
    if actor.id in (version.created_by_id, version.submitted_by_id):
        raise NotAllowed(f"{version.label}: nobody approves their own change.")
    if version.state != "submitted":
        return  # approve() refuses the state itself, with the error that names it
    from governance.votes import plan_tally  # votes imports this module

    result = plan_tally(session, version)
    if not result.approved:
        # 409, not 403: the actor may approve; the votes do not allow it (yet).
        raise Conflict(
            f"{version.label} is approved by committee vote (POST .../votes): {result.summary()}."
        )


def approve(
    session: Session,
    actor: Any | None,
    key: str,
    number: int,
    *,
    effective_from: date | None = None,
    note: str | None = None,
    expected_revision: int | None = None,
) -> PlanVersion:
    """Approve a submitted version; `effective_from` here overrides the submitted one."""
    plan = _load_plan(session, key, expected_revision)
    version = get_version(session, key, number)
    _approval_gate(session, actor, version)
    _expect_state(version, "submitted", "can be approved")
    if effective_from is not None:
        version.effective_from = effective_from
    if version.effective_from is None:
        raise DocumentRejected(
            f"{version.label} needs an effective date to be approved.",
            [Problem(path="effective_from", message="required: the date it governs from")],
        )
    _check_effective_date(session, version)
    _claim(session, plan)
    _transition(session, actor, version, "approved", note, effective_from=version.effective_from)
    session.flush()
    return version


def _check_effective_date(session: Session, version: PlanVersion) -> None:
    """To do with the payout-run issue: refuse dates inside a period whose payout run is
    locked, unless the change request is explicitly retroactive. Payout runs do not exist
    yet, so there is nothing to check against."""


def activate(
    session: Session,
    actor: Any | None,
    key: str,
    number: int,
    *,
    note: str | None = None,
    expected_revision: int | None = None,
) -> PlanVersion:
    """Put an approved version in force from its effective date; the active one is superseded."""
    _require(actor, "plans.activate", "Activating a plan version")
    plan = _load_plan(session, key, expected_revision)
    version = get_version(session, key, number)
    _expect_state(version, "approved", "can be activated")
    plan.active_number = version.number
    plan.title = plan_of(version).title
    _claim(session, plan)  # from here on, a concurrent activation of this plan waits
    previous = session.scalar(
        select(PlanVersion).where(PlanVersion.plan_key == key, PlanVersion.state == "active")
    )
    if previous is not None:
        _transition(
            session,
            actor,
            previous,
            "superseded",
            f"superseded by version {number}",
            by=version.number,
        )
        # The one-active-per-plan index must see the old row leave before the new arrives.
        session.flush()
    version.recorded_at = utcnow()
    _transition(
        session,
        actor,
        version,
        "active",
        note,
        effective_from=version.effective_from,
        supersedes=previous.number if previous else None,
    )
    try:
        session.flush()
    except IntegrityError:  # the partial unique index: the last line of defence
        raise StaleEdit(f"Another version of {key!r} was activated at the same time.") from None
    return version


def reject(
    session: Session,
    actor: Any | None,
    key: str,
    number: int,
    *,
    note: str,
    expected_revision: int | None = None,
) -> PlanVersion:
    """Turn a submitted version down; a written reason is required."""
    _require(actor, "plans.approve", "Rejecting a plan version")
    if not (note or "").strip():
        raise DocumentRejected(
            "A rejection needs a reason.", [Problem(path="note", message="required")]
        )
    plan = _load_plan(session, key, expected_revision)
    version = get_version(session, key, number)
    _expect_state(version, "submitted", "can be rejected")
    _claim(session, plan)
    _transition(session, actor, version, "rejected", note)
    session.flush()
    return version


def withdraw(
    session: Session,
    actor: Any | None,
    key: str,
    number: int,
    *,
    note: str | None = None,
    expected_revision: int | None = None,
) -> PlanVersion:
    """The author side takes back a draft, a submitted or an approved (not yet active) version."""
    _require(actor, "plans.edit", "Withdrawing a plan version")
    plan = _load_plan(session, key, expected_revision)
    version = get_version(session, key, number)
    if version.state not in ("draft", "submitted", "approved"):
        raise InvalidTransition(f"{version.label} is {version.state}: it cannot be withdrawn.")
    if version.state == "draft":
        plan.draft_number = None
    _claim(session, plan)
    _transition(session, actor, version, "withdrawn", note)
    session.flush()
    return version
