"""A plan version's lifecycle: draft, update, submit, approve, activate, reject, withdraw.

One function per step; the state change itself is `workflow.transition`. Every change to
a plan or its versions bumps `PolicyPlan.revision`: callers pass the revision they read
as `expected_revision`, and a stale one (or a concurrent writer first) is `StaleEdit`.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from governance import audit
from governance.committee.quorum import Tally
from governance.errors import Conflict, DocumentRejected, InvalidTransition, StaleEdit
from governance.permissions import Actor, require
from governance.plans import gates
from governance.plans.change_requests import attach_review
from governance.plans.lookup import OBJECT_TYPE, get_plan, get_version, parse_document, plan_of
from governance.workflow import Workflow, transition
from models.base import utcnow
from models.policy import ALLOWED_TRANSITIONS, PlanTransition, PlanVersion, PolicyPlan
from rules.canonical import canonical_json
from rules.problems import Problem


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


def _history(version, from_state, to_state, actor: Actor, note) -> PlanTransition:
    return PlanTransition(
        version=version,
        from_state=from_state,
        to_state=to_state,
        actor_id=getattr(actor, "id", None),
        note=note,
    )


PLAN_VERSIONS = Workflow.of(OBJECT_TYPE, ALLOWED_TRANSITIONS, history=_history)


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
    actor: Actor,
    text: str,
    *,
    source: str = "<plan>",
    base_dir=None,
    note: str | None = None,
) -> PlanVersion:
    """A new draft version of the plan the document names (creating the plan if new)."""
    require(actor, "plans.edit", "Drafting a plan version")
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
    actor: Actor,
    key: str,
    number: int,
    text: str,
    *,
    expected_revision: int | None,
    source: str = "<plan>",
    base_dir=None,
) -> PlanVersion:
    """Replace a draft's document. Only a draft is editable; a stale revision is refused."""
    require(actor, "plans.edit", "Editing a plan version")
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
    actor: Actor,
    key: str,
    number: int,
    *,
    effective_from: date | None = None,
    note: str | None = None,
    expected_revision: int | None = None,
    retroactive: bool = False,
    impact_on_worker: bool = False,
) -> PlanVersion:
    """Freeze a draft and put it up for approval, if it passes every submission check.

    `effective_from` is required: the committee votes on the version together with the
    date it governs from (`change_requests.request_hash`). `retroactive`: the submitter
    says the version may take effect inside a period whose payout run is locked (stored
    on the change request, audited); without it such a date is refused, here and again
    at approval. `impact_on_worker`: the impact simulation is queued for a worker (the
    web's submissions; the caller publishes it once committed), not computed here.
    """

    require(actor, "plans.edit", "Submitting a plan version")
    plan = _load_plan(session, key, expected_revision)
    version = get_version(session, key, number)
    _expect_state(version, "draft", "can be submitted")
    doc = plan_of(version)
    problems = [p for check in gates.SUBMISSION_CHECKS for p in check(session, version, doc)]
    if effective_from is None:
        problems.append(Problem(path="effective_from", message=gates.DATE_REQUIRED))
    problems += gates.effective_date_problems(
        session, version, day=effective_from, retroactive=retroactive
    )
    if problems:
        raise DocumentRejected(f"{version.label} cannot be submitted.", problems)
    version.effective_from = effective_from
    version.submitted_by_id = getattr(actor, "id", None)
    plan.draft_number = None
    attach_review(
        session,
        version,
        doc,
        effective_from=effective_from,
        retroactive=retroactive,
        impact_on_worker=impact_on_worker,
        actor=actor,
    )
    _claim(session, plan)
    transition(
        session,
        actor,
        PLAN_VERSIONS,
        version,
        "submitted",
        note=note,
        effective_from=effective_from,
        retroactive=retroactive,
    )
    return version


def approve(
    session: Session,
    actor: Actor,
    key: str,
    number: int,
    *,
    effective_from: date | None = None,
    note: str | None = None,
    expected_revision: int | None = None,
    tally: Tally | None = None,
) -> PlanVersion:
    """Approve a submitted version with the effective date it was voted on.
    `effective_from`: only for a request submitted before dates were voted on (it had
    none); another date than the voted one is refused (`gates.approval_date_problems`).
    `tally`: the committee's, when the deciding vote has just counted it."""
    plan = _load_plan(session, key, expected_revision)
    version = get_version(session, key, number)
    gates.approval_gate(session, actor, version, tally)
    _expect_state(version, "submitted", "can be approved")
    problems = gates.approval_date_problems(session, version, effective_from)
    if problems:
        raise DocumentRejected(f"{version.label}: the effective date was voted on.", problems)
    if effective_from is not None:
        version.effective_from = effective_from
    if version.effective_from is None:
        raise DocumentRejected(
            f"{version.label} needs an effective date to be approved.",
            [Problem(path="effective_from", message="required: the date it governs from")],
        )
    gates.check_effective_date(session, version)
    _claim(session, plan)
    transition(
        session,
        actor,
        PLAN_VERSIONS,
        version,
        "approved",
        note=note,
        effective_from=version.effective_from,
    )
    return version


def activate(
    session: Session,
    actor: Actor,
    key: str,
    number: int,
    *,
    note: str | None = None,
    expected_revision: int | None = None,
    tally: Tally | None = None,
) -> PlanVersion:
    """Put an approved version in force from its effective date; the active one is superseded.
    `tally`: the deciding vote's, when the approval rules that decided the version
    activate it on approval (`approval_rules.activates_on_approval`): the rules, not the
    voter's `plans.activate`, authorise it."""
    if tally is None or not tally.approved:
        require(actor, "plans.activate", "Activating a plan version")
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
        # (flushed: the one-active-per-plan index must see the old row leave first)
        transition(
            session,
            actor,
            PLAN_VERSIONS,
            previous,
            "superseded",
            note=f"superseded by version {number}",
            by=version.number,
        )
    version.recorded_at = utcnow()
    try:
        transition(
            session,
            actor,
            PLAN_VERSIONS,
            version,
            "active",
            note=note,
            effective_from=version.effective_from,
            supersedes=previous.number if previous else None,
        )
    except IntegrityError:  # the partial unique index: the last line of defence
        raise StaleEdit(f"Another version of {key!r} was activated at the same time.") from None
    return version


def reject(
    session: Session,
    actor: Actor,
    key: str,
    number: int,
    *,
    note: str,
    expected_revision: int | None = None,
    tally: Tally | None = None,
) -> PlanVersion:
    """Turn a submitted version down; a written reason is required. A user's rejection
    passes `gates.rejection_gate` (coherent with the committee's voting rules); `tally`:
    the committee's, when the deciding vote has just counted it."""
    require(actor, "plans.approve", "Rejecting a plan version")
    if not (note or "").strip():
        raise DocumentRejected(
            "A rejection needs a reason.", [Problem(path="note", message="required")]
        )
    plan = _load_plan(session, key, expected_revision)
    version = get_version(session, key, number)
    gates.rejection_gate(session, actor, version, tally)
    _expect_state(version, "submitted", "can be rejected")
    _claim(session, plan)
    transition(session, actor, PLAN_VERSIONS, version, "rejected", note=note)
    return version


def withdraw(
    session: Session,
    actor: Actor,
    key: str,
    number: int,
    *,
    note: str | None = None,
    expected_revision: int | None = None,
) -> PlanVersion:
    """The author side takes back a draft, a submitted or an approved (not yet active) version."""
    require(actor, "plans.edit", "Withdrawing a plan version")
    plan = _load_plan(session, key, expected_revision)
    version = get_version(session, key, number)
    if version.state not in ("draft", "submitted", "approved"):
        raise InvalidTransition(f"{version.label} is {version.state}: it cannot be withdrawn.")
    if version.state == "draft":
        plan.draft_number = None
    _claim(session, plan)
    transition(session, actor, PLAN_VERSIONS, version, "withdrawn", note=note)
    return version
