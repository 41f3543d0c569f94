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
Why: docs/decisions.md, "Impact simulations and escalation on workers (issue 13)".
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from governance import audit
from governance.permissions import Actor
from models.base import utcnow
from models.identity import User
from models.impacts import PENDING_STATES, ImpactResult

MAX_ATTEMPTS = 3  # deliveries that claimed a row without finishing it: then it fails
STRANDED_AFTER = timedelta(seconds=60)


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
    caller commits, then publishes the task (`published`)."""
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


def published(session: Session, row_id: int) -> None:
    """Its task is on the broker (a fast worker may have finished, or matched and
    deleted, the row already: a statement, not a loaded row)."""
    session.execute(
        update(ImpactResult)
        .where(ImpactResult.id == row_id, ImpactResult.published_at.is_(None))
        .values(published_at=utcnow())
    )


def withdraw(session: Session, row_id: int) -> None:
    """The broker refused the task: the queued, unpublished row goes (nothing computed)."""
    session.execute(
        delete(ImpactResult).where(
            ImpactResult.id == row_id,
            ImpactResult.state == "queued",
            ImpactResult.published_at.is_(None),
        )
    )


def stranded(session: Session, *, everything_pending: bool = False) -> list[int]:
    """Rows whose task may be lost: queued and never published for a minute (the web
    process died between commit and publish); every pending row if `everything_pending`
    (a starting worker on a broker that does not redeliver)."""
    stmt = select(ImpactResult.id).where(ImpactResult.state.in_(PENDING_STATES))
    if not everything_pending:
        stmt = stmt.where(
            ImpactResult.state == "queued",
            ImpactResult.published_at.is_(None),
            ImpactResult.created_at < utcnow() - STRANDED_AFTER,
        )
    return list(session.scalars(stmt.order_by(ImpactResult.id)))


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
