"""An admin's webhooks beyond adding one (preferences.add_webhook): turn on again, delete,
send a test, and read each one's recent delivery log with when a failed try is retried.

A test is an event like any other ("webhook.tested" audited, kind "webhook_test"), fanned
out by the workers to that one webhook and sent, signed and retried as every delivery
is: what the admin sees in the log is what the real events will get.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from governance import audit
from governance.errors import Conflict, NotFound
from governance.notifications.outbox import backoff
from governance.permissions import Actor, require
from models.base import utcnow
from models.notifications import DeliveryAttempt, NotificationDelivery, NotificationEvent, Webhook

MANAGE = "users.manage"


def find(session: Session, webhook_id: int) -> Webhook:
    hook = session.get(Webhook, webhook_id)
    if hook is None:
        raise NotFound(f"No webhook {webhook_id}.")
    return hook


def listed(session: Session) -> list[Webhook]:
    return list(session.scalars(select(Webhook).order_by(Webhook.name)))


def activate(session: Session, actor: Actor, webhook_id: int) -> Webhook:
    """Turn a webhook on again: it takes the events written from now on."""
    require(actor, MANAGE, "configure webhooks")
    hook = find(session, webhook_id)
    hook.active = True
    session.flush()
    audit.record(session, actor, "webhook.activated", "webhook", hook.id)
    return hook


def delete(session: Session, actor: Actor, webhook_id: int) -> str:
    """Remove a webhook; its delivery log stays (deliveries keep the URL, without the
    webhook), and deliveries still queued for it fail. Refused while one is being sent
    (the worker needs its secret): try again in a moment. The deleted webhook's name."""
    require(actor, MANAGE, "configure webhooks")
    hook = find(session, webhook_id)
    deliveries = list(
        session.scalars(
            select(NotificationDelivery).where(NotificationDelivery.webhook_id == hook.id)
        )
    )
    if any(d.state == "sending" for d in deliveries):
        raise Conflict(f"A delivery to webhook {hook.name!r} is being sent: try again shortly.")
    for delivery in deliveries:
        if delivery.state == "queued":
            delivery.state, delivery.finished_at = "failed", utcnow()
            delivery.message = "the webhook was deleted"
        delivery.webhook_id = None
    name = hook.name
    audit.record(
        session,
        actor,
        "webhook.deleted",
        "webhook",
        hook.id,
        payload={"name": name, "url": hook.url},
    )
    session.delete(hook)
    session.flush()
    return name


def send_test(session: Session, actor: Actor, webhook_id: int) -> NotificationEvent:
    """Queue a test message to this webhook (active or not): the workers send it."""
    require(actor, MANAGE, "configure webhooks")
    hook = find(session, webhook_id)
    entry = audit.record(session, actor, "webhook.tested", "webhook", hook.id)
    session.flush()
    return session.scalars(
        select(NotificationEvent).where(NotificationEvent.audit_record_id == entry.id)
    ).one()


@dataclass(frozen=True)
class Delivery:
    """One line of a webhook's delivery log."""

    id: int
    kind: str
    state: str
    attempts: int
    created_at: datetime
    last_status: int | None
    message: str | None
    next_retry: datetime | None


def log(
    session: Session, webhook_ids: list[int], *, retry_base: int, limit: int = 10
) -> dict[int, list[Delivery]]:
    """Each webhook's last `limit` deliveries, newest first, with the last try's HTTP
    status and, for a failed try to be retried, when (`retry_base`: NOTIFY_RETRY_SECONDS)."""
    found: dict[int, list[Delivery]] = {i: [] for i in webhook_ids}
    for webhook_id in webhook_ids:
        rows = session.execute(
            select(NotificationDelivery, NotificationEvent.kind)
            .join(NotificationEvent, NotificationEvent.id == NotificationDelivery.event_id)
            .where(NotificationDelivery.webhook_id == webhook_id)
            .order_by(NotificationDelivery.id.desc())
            .limit(limit)
        ).all()
        last = _last_attempts(session, [d.id for d, _ in rows])
        for delivery, kind in rows:
            attempt = last.get(delivery.id)
            retry = None
            if delivery.state == "queued" and attempt is not None and not attempt.ok:
                retry = attempt.at + timedelta(seconds=backoff(delivery.attempts, base=retry_base))
            found[webhook_id].append(
                Delivery(
                    delivery.id,
                    kind,
                    delivery.state,
                    delivery.attempts,
                    delivery.created_at,
                    attempt.status_code if attempt else None,
                    delivery.message,
                    retry,
                )  # fmt: skip
            )
    return found


def _last_attempts(session: Session, delivery_ids: list[int]) -> dict[int, DeliveryAttempt]:
    if not delivery_ids:
        return {}
    stmt = (
        select(DeliveryAttempt)
        .where(DeliveryAttempt.delivery_id.in_(delivery_ids))
        .order_by(DeliveryAttempt.id)
    )
    return {a.delivery_id: a for a in session.scalars(stmt)}
