"""Impact simulations computed off the request: queued, claimed, stored with their inputs.

    row = queue(session, "change_request", request.id, actor)   # in the submitting txn
    claim(session, row_id)          # a worker's delivery: running (None: nothing to do)
    finish(session, row_id, inputs, result)  # stored, or matched to an equal done row
    shown(session, "change_request", request.id)  # what pages and the API show

What a subject's impact is computed against (`inputs`: plan versions, window, a hash of
the engine data) is hashed (`inputs_hash`); a computation whose inputs equal a done
row's is not stored again: that row is marked current (`checked_at`) and the new row
deleted, so a retried or repeated task never writes a second result. The simulation
itself is the subject's own domain function (`plans.change_requests.compute_impact`).
Queued rows are published, withdrawn and swept by the one queueing mechanism (`ROWS`,
governance/queueing.py); what is the impacts' own: one pending row per subject, the
inputs hash.
Why: docs/decisions.md, "Impact simulations and escalation on workers (issue 13)".
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from governance import audit
from governance.permissions import Actor
from governance.queueing import QueuedRows
from models.base import utcnow
from models.identity import User
from models.impacts import PENDING_STATES, ImpactResult

MAX_ATTEMPTS = 3  # deliveries that claimed a row without finishing it: then it fails
# Published, withdrawn and swept as every queued work (governance/queueing.py).
ROWS = QueuedRows(ImpactResult, PENDING_STATES, "impact")


def _subject(subject_type: str, subject_id: int):
    return (ImpactResult.subject_type == subject_type, ImpactResult.subject_id == subject_id)


def pending(session: Session, subject_type: str, subject_id: int) -> ImpactResult | None:
    return session.scalars(
        select(ImpactResult)
        .where(*_subject(subject_type, subject_id), ImpactResult.state.in_(PENDING_STATES))
        .order_by(ImpactResult.id.desc())
        .limit(1)
    ).one_or_none()


def queue(
    session: Session, subject_type: str, subject_id: int, actor: Actor
) -> tuple[ImpactResult, bool]:
    """(a queued computation of the subject's impact, whether it is new): the one
    already pending, if any (two asks while one is queued compute once). Flushes; the
    caller commits, then publishes the task (app/tasks/queueing.py)."""
    found = pending(session, subject_type, subject_id)
    if found is not None:
        return found, False
    row = ImpactResult(
        subject_type=subject_type,
        subject_id=subject_id,
        state="queued",
        requested_by_id=getattr(actor, "id", None),
        attempts=0,
        created_at=utcnow(),
    )
    session.add(row)
    session.flush()
    return row, True


def _locked(session: Session, row_id: int) -> ImpactResult | None:
    return session.scalars(
        select(ImpactResult)
        .where(ImpactResult.id == row_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one_or_none()


def claim(session: Session, row_id: int) -> ImpactResult | None:
    """Mark the row running for this delivery; None when it is done, failed or gone (a
    duplicate delivery). A row claimed MAX_ATTEMPTS times without finishing fails."""
    row = _locked(session, row_id)
    if row is None or row.state not in PENDING_STATES:
        return None
    if row.attempts >= MAX_ATTEMPTS:
        _fail(row, f"given up after {row.attempts} attempts (the worker was lost each time)")
        return None
    row.state, row.attempts, row.started_at = "running", row.attempts + 1, utcnow()
    session.flush()
    return row


def finish(
    session: Session, row_id: int, inputs: dict[str, Any], result: dict[str, Any]
) -> ImpactResult | None:
    """Store a computed impact; the done row now current (None: another delivery did).

    Inputs equal to a done row's: that row is current again and this one is deleted;
    else this row is done. Audited as the user who asked (`impact.computed`)."""
    row = _locked(session, row_id)
    if row is None or row.state != "running":
        return None
    inputs_hash = audit.sha256_json(inputs)
    same = session.scalars(
        select(ImpactResult).where(
            *_subject(row.subject_type, row.subject_id),
            ImpactResult.inputs_hash == inputs_hash,
            ImpactResult.state == "done",
        )
    ).one_or_none()
    now = utcnow()
    if same is not None:
        same.checked_at = now
        session.delete(row)
        kept = same
    else:
        row.state, row.inputs_hash, row.inputs, row.result = "done", inputs_hash, inputs, result
        row.finished_at = row.checked_at = now
        kept = row
    actor = session.get(User, row.requested_by_id) if row.requested_by_id else None
    audit.record(
        session,
        actor,
        f"{row.subject_type}.impact_computed",
        row.subject_type,
        row.subject_id,
        after=audit.sha256_json(kept.result),
        payload={"inputs_hash": inputs_hash, "result": kept.id, "reused": same is not None},
    )
    session.flush()
    return kept


def _fail(row: ImpactResult, message: str) -> None:
    row.state, row.message, row.finished_at = "failed", message, utcnow()


def fail(session: Session, row_id: int, message: str) -> None:
    row = _locked(session, row_id)
    if row is not None and row.state in PENDING_STATES:
        _fail(row, message)
        session.flush()


def shown(session: Session, subject_type: str, subject_id: int) -> dict[str, Any]:
    """What to show of the subject's impact: the current done result (latest checked),
    and whether a computation is pending or the last one failed.

    `state`: done (a result to show; `recomputing` when another is pending), queued or
    running (nothing to show yet), failed, or none (never asked)."""
    rows = list(
        session.scalars(
            select(ImpactResult)
            .where(*_subject(subject_type, subject_id))
            .order_by(ImpactResult.id.desc())
        )
    )
    done = [r for r in rows if r.state == "done"]
    current = max(done, key=lambda r: (r.checked_at, r.id)) if done else None
    waiting = next((r for r in rows if r.state in PENDING_STATES), None)
    out: dict[str, Any] = {
        "state": "none",
        "result": None,
        "inputs_hash": None,
        "computed_at": None,
        "checked_at": None,
        "recomputing": False,
        "message": None,
    }
    if current is not None:
        out.update(
            state="done",
            result=current.result,
            inputs_hash=current.inputs_hash,
            computed_at=current.finished_at,
            checked_at=current.checked_at,
            recomputing=waiting is not None,
        )
    elif waiting is not None:
        out["state"] = waiting.state
    elif rows:
        out["state"] = "failed"
    if rows and rows[0].state == "failed":
        out["message"] = rows[0].message
    return out
