"""Notifications: events recorded with the change they announce, and their outbox.

- `NotificationEvent`: one event ("vote_requested", "decision_made", ...) written in the
  same transaction as the audit record of the change (governance/notifications/events.py),
  so an event exists exactly when its change committed. A worker fans it out (queued ->
  fanned_out) into deliveries.
- `NotificationDelivery`: the outbox row, one per (event, channel, recipient), unique:
  the worker claims it (queued -> sending -> sent, or failed once its attempts are spent);
  a second delivery of the task finds it sent. `recipient` is "user:ID" (e-mail) or
  "webhook:ID".
- `DeliveryAttempt`: the delivery log, one row per try (status, error, duration).
- `NotificationPreference`: a user's e-mail choice per event kind (no row: on).
- `Webhook`: an outbound endpoint an admin configured (URL, signing secret, payload
  format "json" or "slack", the event kinds it wants; empty: every kind).
Migration 0026 (0032: the webhook test kind); why: docs/decisions.md, "Inbox and notifications".
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, Json, sql_list, utcnow

EVENT_KINDS = (
    "vote_requested",
    "decision_made",
    "run_ready",
    "run_locked",
    "run_published",
    "dispute_filed",
    "dispute_answered",
    "dispute_overdue",
)
# Kinds sent to one user alone, by e-mail only, whatever their choices and the webhooks.
PERSONAL_KINDS = ("password_reset",)
# An admin's "send test" (the webhooks page): one delivery to that webhook alone.
WEBHOOK_TEST = "webhook_test"
ALL_KINDS = (*EVENT_KINDS, *PERSONAL_KINDS, WEBHOOK_TEST)
EVENT_STATES = ("queued", "fanning_out", "fanned_out", "failed")
CHANNELS = ("email", "webhook")
DELIVERY_STATES = ("queued", "sending", "sent", "failed")
WEBHOOK_FORMATS = ("json", "slack")


class Queued:
    """The columns of a row queued for a worker (governance/queueing.py `QueuedRows`)."""

    state: Mapped[str] = mapped_column(String(16), default="queued")
    attempts: Mapped[int] = mapped_column(default=0)
    worker: Mapped[str | None] = mapped_column(String(200))
    message: Mapped[str | None] = mapped_column(Text)
    problems: Mapped[list[Any] | None] = mapped_column(Json)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]


class NotificationEvent(Queued, Base):
    __tablename__ = "notification_events"
    __table_args__ = (
        CheckConstraint(f"kind IN ({sql_list(ALL_KINDS)})", name="kind_known"),
        CheckConstraint(f"state IN ({sql_list(EVENT_STATES)})", name="state_known"),
        Index("ix_notification_events_state", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    # The audit record of the change (its action, object type and id name the subject).
    # No foreign key: nothing references the audit log, whose own guards (no UPDATE,
    # DELETE or TRUNCATE) must be what refuses a change to it.
    audit_record_id: Mapped[int] = mapped_column(unique=True)
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[str] = mapped_column(String(128))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    payload: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)

    @property
    def label(self) -> str:
        return f"notification-event/{self.kind}#{self.id}"


class NotificationDelivery(Queued, Base):
    __tablename__ = "notification_deliveries"
    __table_args__ = (
        UniqueConstraint("event_id", "channel", "recipient"),
        CheckConstraint(f"channel IN ({sql_list(CHANNELS)})", name="channel_known"),
        CheckConstraint(f"state IN ({sql_list(DELIVERY_STATES)})", name="state_known"),
        Index("ix_notification_deliveries_state", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("notification_events.id"))
    channel: Mapped[str] = mapped_column(String(16))
    recipient: Mapped[str] = mapped_column(String(64))  # "user:12", "webhook:3"
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    webhook_id: Mapped[int | None] = mapped_column(ForeignKey("webhooks.id"))
    address: Mapped[str] = mapped_column(String(2000))  # the e-mail address or the URL

    @property
    def label(self) -> str:
        return f"notification/{self.channel}#{self.id}"


class DeliveryAttempt(Base):
    """One try of a delivery: what the SMTP server or the webhook's endpoint answered."""

    __tablename__ = "notification_attempts"
    __table_args__ = (Index("ix_notification_attempts_delivery", "delivery_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("notification_deliveries.id"))
    number: Mapped[int]
    at: Mapped[datetime] = mapped_column(default=utcnow)
    ok: Mapped[bool]
    status_code: Mapped[int | None]
    error: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[int]


class NotificationPreference(Base):
    __tablename__ = "notification_preferences"
    __table_args__ = (
        UniqueConstraint("user_id", "kind"),
        CheckConstraint(f"kind IN ({sql_list(EVENT_KINDS)})", name="kind_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    email: Mapped[bool] = mapped_column(default=True)


class Webhook(Base):
    __tablename__ = "webhooks"
    __table_args__ = (
        UniqueConstraint("name"),
        CheckConstraint(f"format IN ({sql_list(WEBHOOK_FORMATS)})", name="format_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    url: Mapped[str] = mapped_column(String(2000))
    # The HMAC-SHA256 key the receiver verifies signatures with (docs/security.md).
    secret: Mapped[str] = mapped_column(String(200))
    format: Mapped[str] = mapped_column(String(16), default="json")
    kinds: Mapped[list[str]] = mapped_column(Json, default=list)  # empty: every kind
    active: Mapped[bool] = mapped_column(default=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
