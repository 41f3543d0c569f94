"""Rows queued for a worker: the bookkeeping every kind of background work shares.

    ROWS = QueuedRows(PayoutRunJob, ACTIVE_STATES, "payout run job")
    ROWS.withdraw(sessions, row_id)        # the broker refused its task: the row goes
    ROWS.mark_published(sessions, row_id)  # the broker took it (best effort)
    ROWS.stranded(sessions)                # rows whose task may be lost: the sweep's
    ROWS.state(sessions, row_id)           # its state, "missing" when it is gone
    ROWS.mark_failed(session, row, message, problems, actor)  # failed and audited

A queued row is committed before its task is published (app/tasks/queueing.py). Its
table has `id`, `state` ("queued" first, then its kind's active states), `published_at`
and `created_at`. The methods given `sessions` are each a transaction of their own,
apart from the caller's; `mark_failed` flushes in the caller's. What is a kind's own
(its table, its work, its locks of a domain) stays with the kind.
Why one mechanism: docs/decisions.md, "One queueing mechanism (issue 13)".
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from governance import audit
from models.base import utcnow
from rules.problems import Problem

log = logging.getLogger(__name__)

# A queued row whose task was never published is published again after this long.
STRANDED_AFTER = timedelta(seconds=60)


class TryLater(Exception):
    """The work cannot be done now (its lock is held, the database is unreachable):
    the task is retried later; nothing was written."""


@dataclass(frozen=True)
class QueuedRows:
    """A table of queued work: `model`, the states in which a worker may still take a
    row (`active`), what logs call a row (`label`) and what the audit log calls it
    (`object_type`)."""

    model: Any
    active: tuple[str, ...]
    label: str
    object_type: str = ""

    def mark_published(self, sessions: sessionmaker, row_id: int) -> None:
        """The broker took the row's task (best effort: if this write fails, the sweep
        publishes it again, which is harmless). A statement, not a loaded row: a fast
        worker may have finished or deleted it already."""
        model = self.model
        try:
            with sessions() as session:
                session.execute(
                    update(model)
                    .where(model.id == row_id, model.published_at.is_(None))
                    .values(published_at=utcnow())
                )
                session.commit()
        except OperationalError:
            log.warning("%s %s: published, but not recorded as such", self.label, row_id)

    def withdraw(self, sessions: sessionmaker, row_id: int) -> None:
        """Delete a queued row whose task the broker refused: nothing is left written (a
        published row stays: a worker may have it)."""
        model = self.model
        with sessions() as session:
            session.execute(
                delete(model).where(
                    model.id == row_id, model.state == "queued", model.published_at.is_(None)
                )
            )
            session.commit()

    def state(self, sessions: sessionmaker, row_id: int) -> str:
        """The row's state, read in a session of its own ("missing" when it is gone)."""
        with sessions() as session:
            row = session.get(self.model, row_id)
            return row.state if row is not None else "missing"

    def mark_failed(
        self,
        session: Session,
        row: Any,
        message: str,
        problems: Iterable[Problem],
        actor: Any,
        **payload: Any,
    ) -> None:
        """Fail `row` with `message` and `problems`, finished now, audited as `actor`'s
        (`<object_type>.failed`, with `payload` besides); flushes."""
        row.state, row.message = "failed", message
        row.problems = [p.as_dict() for p in problems]
        row.finished_at = utcnow()
        audit.record(
            session,
            actor,
            f"{self.object_type}.failed",
            self.object_type,
            row.label,
            payload={**payload, "message": message, "problems": row.problems},
        )
        session.flush()

    def stranded(self, sessions: sessionmaker, *, everything_active: bool = False) -> list[int]:
        """Rows to publish again, oldest first: queued for STRANDED_AFTER and never
        published (the web process died between commit and publish); with
        `everything_active` every active row (a worker starting on a broker that does
        not redeliver: nothing else can be working on them)."""
        model = self.model
        stmt = select(model.id).where(model.state.in_(self.active))
        if not everything_active:
            stmt = stmt.where(
                model.state == "queued",
                model.published_at.is_(None),
                model.created_at < utcnow() - STRANDED_AFTER,
            )
        with sessions() as session:
            return list(session.scalars(stmt.order_by(model.id)))
