"""`accord.disputes.escalate`: beat's daily escalation, the CLI's function on a worker.

Tasks run eagerly here (TestConfig's TASKS_EAGER), in their own app context and unit of
work, on both databases; the beat schedule entry is read from the Celery app.
"""

from __future__ import annotations

from datetime import date

from celery.schedules import crontab
from sqlalchemy import select

from app.tasks import EXTENSION
from app.tasks.disputes import ESCALATE
from config import TestConfig
from governance.disputes import workflow as disputes
from models import AuditRecord
from models.disputes import Dispute, DisputeEvent
from tests.support.disputes import participants, run_with_lines


def _escalate(app, today: str | None) -> list[int]:
    task = app.extensions[EXTENSION].tasks[ESCALATE]
    return task.apply_async(args=[today] if today else []).get()


def test_the_task_escalates_each_overdue_dispute_once_as_the_system(app, db):
    _mia, ana, bob = participants(db)
    lines = run_with_lines(db, ana, bob)
    late = disputes.file(db, None, lines.ana.id, reason="late", today=date(2026, 10, 26))
    fresh = disputes.file(db, None, lines.bob.id, reason="fresh", today=date(2026, 11, 9))
    db.commit()

    assert _escalate(app, "2026-11-11") == [late.id]
    assert _escalate(app, "2026-11-11") == []  # a duplicate delivery: nothing twice
    assert _escalate(app, "2026-11-12") == []  # the next day: still once

    db.expire_all()
    assert db.get(Dispute, late.id).escalated_at is not None
    assert db.get(Dispute, fresh.id).escalated_at is None
    records = db.scalars(select(AuditRecord).where(AuditRecord.action == "dispute.escalated")).all()
    assert [(r.object_id, r.actor_id) for r in records] == [(str(late.id), None)]
    assert records[0].payload["today"] == "2026-11-11"
    events = db.scalars(
        select(DisputeEvent).where(
            DisputeEvent.dispute_id == late.id, DisputeEvent.kind == "escalated"
        )
    ).all()
    assert len(events) == 1 and events[0].actor_id is None


def test_without_a_day_it_judges_today(app, db):
    _mia, ana, bob = participants(db, "-t")
    lines = run_with_lines(db, ana, bob)
    long_ago = disputes.file(db, None, lines.ana.id, reason="old", today=date(2020, 1, 6))
    db.commit()
    assert long_ago.id in _escalate(app, None)


def test_beat_runs_it_daily_at_the_configured_hour():
    from app import create_app

    schedule = create_app(TestConfig).extensions[EXTENSION].conf.beat_schedule
    entry = schedule["escalate-overdue-disputes"]
    assert entry["task"] == ESCALATE
    assert entry["schedule"] == crontab(minute=5, hour=0)
    later = create_app(TestConfig, {"DISPUTE_ESCALATION_HOUR": 6})
    assert later.extensions[EXTENSION].conf.beat_schedule["escalate-overdue-disputes"][
        "schedule"
    ] == crontab(minute=5, hour=6)
