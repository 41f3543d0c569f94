"""The daily dispute escalation, run by Celery beat (it was a cron line).

    accord.disputes.escalate()              # beat, daily at DISPUTE_ESCALATION_HOUR UTC
    accord.disputes.escalate("2026-11-11")  # judged as of that day (tests, catching up)

It runs `governance.disputes.workflow.escalate_overdue` in one unit of work as the
system (actor None), exactly as `accord disputes escalate` does: each unresolved dispute
past its due day is escalated once, with its history entry and audit record, so a
duplicate delivery or a second run the same day changes nothing. A busy database is
retried (the transaction rolled back: nothing half-written).
"""

from __future__ import annotations

import logging
from datetime import date

from celery import Celery
from celery.schedules import crontab

from app.database import unit_of_work
from governance.disputes import workflow as disputes
from governance.errors import Conflict
from models.base import utcnow

log = logging.getLogger(__name__)

ESCALATE = "accord.disputes.escalate"
RETRY_DELAY = 60
MAX_RETRIES = 30


def schedule(hour: int) -> dict:
    """The beat entry: every day at `hour`:05 UTC (after midnight's due days turn over)."""
    return {"task": ESCALATE, "schedule": crontab(minute=5, hour=hour)}


def escalate_now(today: date) -> list[int]:
    """Escalate what is overdue on `today`, as the system; the escalated disputes' ids."""
    with unit_of_work() as session:
        escalated = disputes.escalate_overdue(session, today)
        return [d.id for d in escalated]


def register(celery: Celery) -> None:
    """Define the task on `celery` (one Celery app per Flask app: not shared)."""

    @celery.task(name=ESCALATE, bind=True, max_retries=MAX_RETRIES, shared=False)
    def escalate(self, today: str | None = None) -> list[int]:
        """Escalate overdue disputes as of `today` (ISO date; default: today, UTC)."""
        day = date.fromisoformat(today) if today else utcnow().date()
        try:
            ids = escalate_now(day)
        except Conflict:  # the database is busy (SQLite's write lock): later
            raise self.retry(countdown=RETRY_DELAY) from None
        log.info("dispute escalation as of %s: %s escalated %s", day, len(ids), ids)
        return ids
