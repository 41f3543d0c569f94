"""Notification events, recorded in the transaction of the change they announce.

`record(session, entry)` is called by `audit.record` for every audit record: the few
actions that announce something (`KIND_OF_ACTION`) add a `NotificationEvent` beside
their audit record, so an event exists exactly when its change committed (the outbox
pattern) and one change is announced once (unique audit record). Workers fan events out
(governance/notifications/outbox.py). This module imports only models: the audit log
depends on it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from models.notifications import NotificationEvent

# The audit actions that announce something, and the event kind each one is.
KIND_OF_ACTION = {
    "plan_version.submitted": "vote_requested",
    "approval_rules.submitted": "vote_requested",
    "payout_exception.submitted": "vote_requested",
    "payout_run.built": "run_ready",
    "plan_version.approved": "decision_made",
    "plan_version.rejected": "decision_made",
    "approval_rules.active": "decision_made",
    "approval_rules.rejected": "decision_made",
    "payout_exception.approved": "decision_made",
    "payout_exception.rejected": "decision_made",
    "payout_run.approved": "decision_made",
    "payout_run.rejected": "decision_made",
    "payout_run.locked": "run_locked",
    "payout_run.published": "run_published",  # when statement publishing lands (issue 15)
    "dispute.filed": "dispute_filed",
    "dispute.resolved_accepted": "dispute_answered",
    "dispute.resolved_rejected": "dispute_answered",
    "dispute.escalated": "dispute_overdue",
    # To the user alone, by e-mail; the link is derived when sent (governance/users.py).
    "user.password_reset_issued": "password_reset",
    # To the one webhook an admin tests (the webhooks page's "send test").
    "webhook.tested": "webhook_test",
}

# The payload keys an event keeps from its audit record (what messages quote).
KEPT = ("from", "to", "note", "decision", "comment", "period", "today", "reset_id")


def record(session: Session, entry: Any) -> NotificationEvent | None:
    """The event `entry` (an audit record, flushed) announces, added to the session;
    None when its action announces nothing."""
    kind = KIND_OF_ACTION.get(entry.action)
    if kind is None:
        return None
    payload = entry.payload or {}
    event = NotificationEvent(
        kind=kind,
        audit_record_id=entry.id,
        action=entry.action,
        object_type=entry.object_type,
        object_id=entry.object_id,
        actor_id=entry.actor_id,
        payload={k: payload[k] for k in KEPT if payload.get(k) is not None},
        created_at=entry.at,
    )
    session.add(event)
    return event
