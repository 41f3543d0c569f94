"""The outbox: an event fanned out to deliveries, and each delivery's bookkeeping.

    EVENTS, DELIVERIES                      # QueuedRows of governance/queueing.py
    fan_out(session, event_id, email=...)   # the deliveries of an event (new ones' ids)
    outgoing(session, delivery_id, ...)     # what to send, read after the claim
    finish(session, delivery_id, attempt)   # log the try: sent, queued again, or failed
    to_publish(session) / release_stale(session)  # the sweep's selections

One delivery per (event, channel, recipient), unique in the database: an event fanned
out twice adds nothing, and a delivery is claimed (queued -> sending) before it is
sent, so a duplicate task finds it sending or sent. Recipients are read when the event
is fanned out (who may vote now, by the ballot's own refusal).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from governance import users
from governance.committee.ballots import refusal
from governance.notifications import messages, subjects
from governance.notifications.preferences import email_wanted, webhooks_for
from governance.permissions import has_permission
from governance.queueing import QueuedRows
from models.base import utcnow
from models.identity import User
from models.notifications import (
    PERSONAL_KINDS,
    WEBHOOK_TEST,
    DeliveryAttempt,
    NotificationDelivery,
    NotificationEvent,
    Webhook,
)
from models.payouts import Statement

EVENTS = QueuedRows(NotificationEvent, ("queued",), "notification event", "notification_event")
DELIVERIES = QueuedRows(NotificationDelivery, ("queued",), "notification", "notification")
# A row claimed this long ago and still working lost its worker: it is queued again.
LEASE = timedelta(minutes=10)
# A queued event published this long ago and not taken yet is published again.
REPUBLISH_AFTER = timedelta(minutes=5)


def _active_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).where(User.is_active.is_(True)).order_by(User.id)))


def _reps_of(session: Session, run: Any) -> set[str]:
    """The participants with a statement in `run` (a published run's reps)."""
    return set(session.scalars(select(Statement.participant_id).where(Statement.run_id == run.id)))


def recipients(session: Session, event: NotificationEvent, row: Any) -> list[User]:
    """Who hears of `event` (never its own actor):
    a vote requested or a run ready: whoever may cast a vote on it now;
    a decision, a lock: the subject's authors and voters; a publication: those and the
    run's reps (whoever has a statement in it);
    a dispute filed: its reviewers; answered: the rep who filed it; overdue: both."""
    users = [u for u in _active_users(session) if u.id != event.actor_id]
    ballot = subjects.ballot_of(event.object_type, row)
    if event.kind in ("vote_requested", "run_ready"):
        return [u for u in users if ballot and refusal(session, u, ballot) is None]
    if ballot is not None:
        involved = set(ballot.authors()) | {v.voter_id for v in ballot.votes(session)}
        reps = _reps_of(session, row) if event.kind == "run_published" else set()
        return [u for u in users if u.id in involved or u.participant_id in reps]
    rep = {row.filed_by_id}
    reviewers = event.kind in ("dispute_filed", "dispute_overdue")
    return [
        u
        for u in users
        if (reviewers and has_permission(u, "disputes.review"))
        or (
            event.kind != "dispute_filed"
            and (u.id in rep or u.participant_id == row.participant_id)
        )
    ]


def fan_out(session: Session, event_id: int, *, email: bool) -> list[int]:
    """Add the event's deliveries (e-mail to recipients who want it, when `email`: an SMTP
    server is configured; every active webhook that takes its kind), mark it fanned out;
    the ids of the deliveries added (none twice)."""
    event = session.get(NotificationEvent, event_id)
    if event.kind in PERSONAL_KINDS:
        return _fan_out_personal(session, event, email=email)
    if event.kind == WEBHOOK_TEST:
        return _fan_out_test(session, event)
    row = subjects.find(session, event.object_type, event.object_id)
    wanted: list[tuple[str, str, dict[str, Any]]] = []
    if row is not None and email:
        for user in recipients(session, event, row):
            if email_wanted(session, user.id, event.kind):
                wanted.append(
                    ("email", f"user:{user.id}", {"user_id": user.id, "address": user.email})
                )
    for hook in webhooks_for(session, event.kind):
        wanted.append(
            ("webhook", f"webhook:{hook.id}", {"webhook_id": hook.id, "address": hook.url})
        )
    have = set(
        session.execute(
            select(NotificationDelivery.channel, NotificationDelivery.recipient).where(
                NotificationDelivery.event_id == event_id
            )
        ).all()
    )
    added = []
    for channel, recipient, fields in wanted:
        if (channel, recipient) in have:
            continue
        delivery = NotificationDelivery(
            event_id=event_id, channel=channel, recipient=recipient, **fields
        )
        session.add(delivery)
        added.append(delivery)
    event.state, event.finished_at = "fanned_out", utcnow()
    event.message = f"{len(wanted)} deliveries" if row is not None else "its subject is gone"
    session.flush()
    return [d.id for d in added]


def _fan_out_one(
    session: Session, event: NotificationEvent, channel: str, recipient: str | None, **fields
) -> list[int]:
    """An event for one recipient alone (None: nobody): its delivery, unless it has one."""
    added = []
    if recipient is not None:
        have = session.scalar(
            select(NotificationDelivery.id).where(
                NotificationDelivery.event_id == event.id,
                NotificationDelivery.recipient == recipient,
            )
        )
        if have is None:
            delivery = NotificationDelivery(
                event_id=event.id, channel=channel, recipient=recipient, **fields
            )
            session.add(delivery)
            added.append(delivery)
    event.state, event.finished_at = "fanned_out", utcnow()
    event.message = f"{len(added)} deliveries"
    session.flush()
    return [d.id for d in added]


def _fan_out_personal(session: Session, event: NotificationEvent, *, email: bool) -> list[int]:
    """A personal kind (a password-reset link): one e-mail to the user the event is
    about, if active, whatever their choices; never to a webhook."""
    user = session.get(User, int(event.object_id)) if event.object_id.isdigit() else None
    if user is None or not user.is_active or not email:
        return _fan_out_one(session, event, "email", None)
    return _fan_out_one(
        session, event, "email", f"user:{user.id}", user_id=user.id, address=user.email
    )


def _fan_out_test(session: Session, event: NotificationEvent) -> list[int]:
    """An admin's test: one delivery to the webhook it names (if not deleted since)."""
    hook = subjects.find(session, event.object_type, event.object_id)
    if hook is None:
        return _fan_out_one(session, event, "webhook", None)
    return _fan_out_one(
        session, event, "webhook", f"webhook:{hook.id}", webhook_id=hook.id, address=hook.url
    )


@dataclass(frozen=True)
class Outgoing:
    """One message to send: by e-mail (`to`, `subject`, `text`) or to a webhook (`url`,
    `body`, signed `headers`)."""

    channel: str
    to: str
    subject: str = ""
    text: str = ""
    body: bytes = b""
    headers: dict[str, str] | None = None


def outgoing(
    session: Session, delivery_id: int, *, base_url: str, now: int, link_key: str = ""
) -> Outgoing:
    """What delivery `delivery_id` sends, rendered now (`now`: the signature's Unix time;
    `link_key`: the app's secret key, from which a reset link is derived)."""
    delivery = session.get(NotificationDelivery, delivery_id)
    event = session.get(NotificationEvent, delivery.event_id)
    if event.kind == "password_reset":
        reset_id = int((event.payload or {})["reset_id"])
        subject, text = users.reset_mail(session, reset_id, key=link_key, base_url=base_url)
        return Outgoing("email", delivery.address, subject=subject, text=text)
    row = subjects.find(session, event.object_type, event.object_id)
    about = messages.About.of(event, row, base_url)
    if delivery.channel == "email":
        subject, text = messages.email(about)
        return Outgoing("email", delivery.address, subject=subject, text=text)
    hook = session.get(Webhook, delivery.webhook_id)
    document = messages.slack(about) if hook.format == "slack" else messages.document(about)
    body = messages.body(document)
    headers = messages.signed_headers(hook.secret, body, now, event, delivery.id)
    return Outgoing("webhook", hook.url, body=body, headers=headers)


@dataclass(frozen=True)
class Attempt:
    ok: bool
    duration_ms: int
    status_code: int | None = None
    error: str | None = None


def finish(session: Session, delivery_id: int, attempt: Attempt, *, max_attempts: int) -> str:
    """Log the try; the delivery sent, queued again for a retry ("retry"), or failed once
    `max_attempts` tries failed. Its new state ("sent", "retry", "failed")."""
    delivery = session.get(NotificationDelivery, delivery_id)
    session.add(
        DeliveryAttempt(
            delivery_id=delivery_id,
            number=delivery.attempts,
            ok=attempt.ok,
            status_code=attempt.status_code,
            error=attempt.error,
            duration_ms=attempt.duration_ms,
        )
    )
    if attempt.ok:
        delivery.state, delivery.finished_at, delivery.message = "sent", utcnow(), None
    elif delivery.attempts >= max_attempts:
        delivery.state, delivery.finished_at = "failed", utcnow()
        delivery.message = f"given up after {delivery.attempts} tries: {attempt.error}"
    else:
        delivery.state, delivery.message = "queued", attempt.error
    session.flush()
    return "retry" if delivery.state == "queued" else delivery.state


def backoff(attempts: int, *, base: int, ceiling: int = 3600) -> int:
    """Seconds before try `attempts + 1`: base, 2 base, 4 base... at most `ceiling`."""
    return min(base * 2 ** max(attempts - 1, 0), ceiling)


def fail(session: Session, row: Any, message: str) -> None:
    """A row whose workers were lost too often (`claim`'s `lose`): failed, visibly."""
    row.state, row.message, row.finished_at = "failed", message, utcnow()


def to_publish(session: Session) -> list[int]:
    """Queued events never published, or published long ago and not taken (the worker
    lost the task): the sweep publishes them."""
    stmt = select(NotificationEvent.id).where(
        NotificationEvent.state == "queued",
        or_(
            NotificationEvent.published_at.is_(None),
            NotificationEvent.published_at < utcnow() - REPUBLISH_AFTER,
        ),
    )
    return list(session.scalars(stmt.order_by(NotificationEvent.id)))


def release_stale(session: Session) -> int:
    """Rows claimed more than LEASE ago and still working (their worker was lost): queued
    again and unpublished, for the sweep; how many."""
    released = 0
    for model, working in ((NotificationEvent, "fanning_out"), (NotificationDelivery, "sending")):
        result = session.execute(
            update(model)
            .where(model.state == working, model.started_at < utcnow() - LEASE)
            .values(state="queued", published_at=None)
        )
        released += result.rowcount or 0
    return released
