"""Notifications on workers: fan an event out, then send each e-mail and webhook.

    accord.notifications.sweep()             # beat, every NOTIFY_SWEEP_SECONDS: publish
                                             # new events, release rows of lost workers
    accord.notifications.fan_out(event_id)   # the event's deliveries, each published
    accord.notifications.deliver(row_id)     # claim, send, log the try; retry w/ backoff

Events are written beside the audit record of their change (governance/notifications/
events.py), in its transaction; nothing on the request's path talks to the broker. The
sweep publishes them (queueing.publish_queued), a fan-out claims its event
(queueing.claim) and adds one delivery per (event, channel, recipient), unique; a
delivery is claimed (queued -> sending) before it is sent, so a duplicate task finds it
sending or sent. A failed send is logged (notification_attempts) and retried after
NOTIFY_RETRY_SECONDS, doubling, NOTIFY_MAX_ATTEMPTS tries in all; the database busy is
retried as every task's is (queueing.retrying). docs/notifications.md.
"""

from __future__ import annotations

import logging
import time

from celery import Celery
from celery.signals import worker_ready
from flask import current_app
from sqlalchemy.exc import OperationalError

from app.database import database, unit_of_work
from app.tasks import queueing
from governance.notifications import outbox
from governance.notifications.channels import SendFailed, SmtpSettings, post_webhook, send_email
from governance.queueing import TryLater
from models.base import utcnow

log = logging.getLogger(__name__)

FAN_OUT = "accord.notifications.fan_out"
DELIVER = "accord.notifications.deliver"
SWEEP = "accord.notifications.sweep"
MAX_FAN_OUT_ATTEMPTS = 5
LOST = "its workers were lost {n} times"


def schedule(seconds: int) -> dict:
    return {"task": SWEEP, "schedule": float(seconds)}


def smtp_settings() -> SmtpSettings | None:
    """The SMTP server of the app's config; None: e-mail is not sent."""
    config = current_app.config
    if not config.get("SMTP_HOST"):
        return None
    return SmtpSettings(
        host=config["SMTP_HOST"],
        port=int(config["SMTP_PORT"]),
        sender=config["SMTP_FROM"],
        username=config.get("SMTP_USERNAME"),
        password=config.get("SMTP_PASSWORD"),
        starttls=bool(config.get("SMTP_STARTTLS")),
    )


def _worker(task) -> str | None:
    return getattr(task.request, "hostname", None)


def _claimed(rows, row_id: int, worker: str | None, working: str, max_attempts: int):
    """queueing.claim with this kind's bookkeeping: the claim time restarts each try."""

    def taken(row):
        row.started_at = utcnow()
        return row.attempts

    return queueing.claim(
        database().sessionmaker,
        rows,
        row_id,
        worker,
        working=working,
        max_attempts=max_attempts,
        lose=lambda _s, row: outbox.fail(_s, row, LOST.format(n=row.attempts)),
        taken=taken,
    )


def fan_out(event_id: int, worker: str | None) -> str:
    claimed = _claimed(outbox.EVENTS, event_id, worker, "fanning_out", MAX_FAN_OUT_ATTEMPTS)
    if isinstance(claimed, str):
        return claimed
    with unit_of_work() as session:
        added = outbox.fan_out(session, event_id, email=smtp_settings() is not None)
    for delivery_id in added:
        queueing.publish_queued(outbox.DELIVERIES, DELIVER, delivery_id, None, withdraw=False)
    return f"{len(added)} deliveries"


def deliver(task, delivery_id: int) -> str:
    """Claim, send, log; "sent", "failed", a state found, or a retry raised."""
    config = current_app.config
    most = int(config["NOTIFY_MAX_ATTEMPTS"])
    claimed = _claimed(outbox.DELIVERIES, delivery_id, _worker(task), "sending", most + 1)
    if isinstance(claimed, str):
        return claimed
    with database().sessionmaker() as session:
        message = outbox.outgoing(
            session,
            delivery_id,
            base_url=config["BASE_URL"],
            now=int(time.time()),
            link_key=config["SECRET_KEY"],
        )
    started = time.monotonic()
    status, error = None, None
    try:
        if message.channel == "email":
            settings = smtp_settings()
            if settings is None:
                raise SendFailed("no SMTP server is configured (ACCORD_SMTP_HOST)")
            send_email(settings, message.to, message.subject, message.text)
        else:
            timeout = float(config["WEBHOOK_TIMEOUT_SECONDS"])
            status = post_webhook(message.to, message.body, message.headers, timeout=timeout)
    except SendFailed as exc:
        status, error = exc.status_code, str(exc)
    attempt = outbox.Attempt(
        ok=error is None,
        duration_ms=int((time.monotonic() - started) * 1000),
        status_code=status,
        error=error,
    )
    with unit_of_work() as session:
        outcome = outbox.finish(session, delivery_id, attempt, max_attempts=most)
    if outcome == "retry":
        delay = outbox.backoff(claimed, base=int(config["NOTIFY_RETRY_SECONDS"]))
        log.info(
            "notification %s: try %s failed (%s); again in %ss", delivery_id, claimed, error, delay
        )
        raise task.retry(countdown=delay, max_retries=most)
    return outcome


def sweep() -> dict[str, list[int]]:
    """Release rows of lost workers; publish new events and stranded deliveries."""
    with unit_of_work() as session:
        outbox.release_stale(session)
    with database().sessionmaker() as session:
        events = outbox.to_publish(session)
    for event_id in events:
        queueing.publish_queued(outbox.EVENTS, FAN_OUT, event_id, None, withdraw=False)
    deliveries = queueing.sweep(outbox.DELIVERIES, DELIVER)
    return {"events": events, "deliveries": deliveries}


def register(celery: Celery) -> None:
    """Define the tasks on `celery` (one Celery app per Flask app: not shared)."""

    @celery.task(name=FAN_OUT, bind=True, max_retries=queueing.MAX_RETRIES, shared=False)
    def fan_out_task(self, event_id: int, actor_id: int | None = None) -> str:
        outcome = queueing.retrying(
            self,
            outbox.EVENTS,
            event_id,
            lambda: fan_out(event_id, _worker(self)),
            lambda: None,  # left queued: the next sweep publishes it again
            busy=(TryLater, OperationalError),
        )
        log.info("notification event %s: %s", event_id, outcome)
        return outcome

    @celery.task(name=DELIVER, bind=True, max_retries=queueing.MAX_RETRIES, shared=False)
    def deliver_task(self, delivery_id: int, actor_id: int | None = None) -> str:
        return queueing.retrying(
            self,
            outbox.DELIVERIES,
            delivery_id,
            lambda: deliver(self, delivery_id),
            lambda: None,
            busy=(TryLater, OperationalError),
        )

    @celery.task(name=SWEEP, shared=False)
    def sweep_task() -> dict[str, list[int]]:
        return sweep()


@worker_ready.connect
def _on_worker_ready(sender=None, **_kwargs) -> None:
    """A starting worker sweeps once: events written while no worker ran go out now."""
    celery = sender.app
    if SWEEP in celery.tasks:
        celery.tasks[SWEEP].apply_async()
