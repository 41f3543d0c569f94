"""One state machine for every governed object: plan versions, approval rule sets, payout
exceptions, disputes and payout runs.

`transition` is the only place where such a row changes state: it checks the move against
the object's table (declared once, in models/), stamps the row, adds the row's own history
record, flushes and appends the audit record, all in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from operator import attrgetter
from typing import Any

from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from governance import audit
from governance.errors import InvalidTransition, StaleEdit
from governance.permissions import Actor
from models.base import utcnow


def _no_stamp(row: Any, to_state: str, actor: Actor, note: str | None, now: datetime) -> None:
    return None


@dataclass(frozen=True)
class Workflow:
    """How one kind of governed object moves and how its moves are recorded."""

    object_type: str  # the audit log's object type, e.g. "plan_version"
    moves: frozenset[tuple[str, str]]  # the (from, to) states allowed
    label: Callable[[Any], str] = attrgetter("label")  # how messages name a row
    audit_id: Callable[[Any], Any] = attrgetter("label")  # the audit record's object id
    fingerprint: Callable[[Any], str] = attrgetter("content_hash")  # audit before/after
    # Columns set on entering a state (decided_at, locked_by_id...).
    stamp: Callable[[Any, str, Actor, str | None, datetime], None] = _no_stamp
    # The row's own history record (PlanTransition, DisputeEvent), or None.
    history: Callable[[Any, str, str, Actor, str | None], Any] | None = None
    note_key: str = "note"  # the note's key in the audit payload
    state_text: Callable[[str], str] = str  # a state in messages ("under review")

    @classmethod
    def of(cls, object_type: str, moves: Iterable[tuple[str, str]], **how: Any) -> Workflow:
        return cls(object_type, frozenset(moves), **how)


def transition(
    session: Session,
    actor: Actor,
    workflow: Workflow,
    row: Any,
    to_state: str,
    *,
    note: str | None = None,
    **payload: Any,
) -> None:
    """Move `row` to `to_state`, or refuse (`InvalidTransition`) when its table forbids it.

    A concurrent writer that changed the row first (its version counter moved) is a
    `StaleEdit`. `payload` adds to the audit record's `from`, `to` and note.
    """
    from_state, label = row.state, workflow.label(row)
    if (from_state, to_state) not in workflow.moves:
        shown = workflow.state_text
        raise InvalidTransition(
            f"{label} is {shown(from_state)}: it cannot become {shown(to_state)}."
        )
    before = workflow.fingerprint(row)
    row.state = to_state
    workflow.stamp(row, to_state, actor, note, utcnow())
    if workflow.history is not None:
        session.add(workflow.history(row, from_state, to_state, actor, note))
    try:
        session.flush()
    except StaleDataError:
        raise StaleEdit(
            f"{label} was changed by someone else at the same time: reload it."
        ) from None
    audit.record(
        session,
        actor,
        f"{workflow.object_type}.{to_state}",
        workflow.object_type,
        workflow.audit_id(row),
        before=before,
        after=workflow.fingerprint(row),
        payload={"from": from_state, "to": to_state, workflow.note_key: note, **payload},
    )
