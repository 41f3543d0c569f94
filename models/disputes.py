"""Disputes: a rep's challenge of one line of a locked payout run, and its history.

A `Dispute` moves `open -> under_review -> resolved_accepted | resolved_rejected`; a
reviewer may also resolve an open dispute directly. Accepting files an `adjustment`
payout exception (`exception_id`); rejecting needs a written `resolution`. `due_on` is
when it should be resolved by; `escalated_at` is set once, when the daily escalation
finds it overdue. `version` is SQLAlchemy's `version_id_col`: every change bumps it, so a
transition based on a stale read fails instead of overwriting someone else's.

`DisputeEvent` is the history the rep, their manager and reviewers read: every filing,
transition, comment and escalation, who and when. Migration 0006 makes it append-only
and lets the database refuse state changes that are not in `ALLOWED_TRANSITIONS`.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, Json, Money, Timestamps, sql_list, utcnow
from models.identity import User
from models.payouts import PayoutLine
from models.people import Participant

DISPUTE_STATES = ("open", "under_review", "resolved_accepted", "resolved_rejected")
OPEN_STATES = ("open", "under_review")
ALLOWED_TRANSITIONS = (
    ("open", "under_review"),
    ("open", "resolved_accepted"),
    ("open", "resolved_rejected"),
    ("under_review", "resolved_accepted"),
    ("under_review", "resolved_rejected"),
)
EVENT_KINDS = ("filed", "review_started", "accepted", "rejected", "comment", "escalated")


class Dispute(Timestamps, Base):
    __tablename__ = "disputes"
    __table_args__ = (
        CheckConstraint(f"state IN ({sql_list(DISPUTE_STATES)})", name="state_known"),
        CheckConstraint(
            "state <> 'resolved_rejected'"
            " OR (resolution IS NOT NULL AND length(trim(resolution)) > 0)",
            name="rejection_has_reason",
        ),
        CheckConstraint(
            "state <> 'resolved_accepted' OR exception_id IS NOT NULL",
            name="acceptance_has_exception",
        ),
        CheckConstraint(
            "(state IN ('resolved_accepted', 'resolved_rejected')) = (resolved_at IS NOT NULL)",
            name="resolved_has_time",
        ),
        CheckConstraint("length(trim(reason)) > 0", name="reason_given"),
        CheckConstraint("claimed_amount IS NULL OR claimed_amount <> 0", name="claim_not_zero"),
        # One unresolved dispute per line: a second one waits for the first's outcome.
        Index(
            "uq_disputes_one_open_per_line",
            "payout_line_id",
            unique=True,
            postgresql_where=text("state IN ('open', 'under_review')"),
            sqlite_where=text("state IN ('open', 'under_review')"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    payout_line_id: Mapped[int] = mapped_column(ForeignKey("payout_lines.id"), index=True)
    # Copied from the line: visibility (rep, manager) is decided by it without a join.
    participant_id: Mapped[str] = mapped_column(ForeignKey("participants.id"), index=True)
    period: Mapped[str] = mapped_column(String(16))  # the locked run's period, "2026-Q3"
    filed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: system
    reason: Mapped[str] = mapped_column(Text)
    # [{"name": "email-from-cfo.txt", "text": "..."}]: evidence pasted as text.
    attachments: Mapped[list[dict[str, Any]]] = mapped_column(Json, default=list)
    # What the rep says the line should have paid more (or less); the reviewer may differ.
    claimed_amount: Mapped[Decimal | None] = mapped_column(Money)
    state: Mapped[str] = mapped_column(String(24), default="open", index=True)
    resolution: Mapped[str | None] = mapped_column(Text)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolved_at: Mapped[datetime | None]
    exception_id: Mapped[int | None] = mapped_column(
        ForeignKey("payout_exceptions.id"), unique=True
    )
    due_on: Mapped[date]
    escalated_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(default=1)

    events: Mapped[list[DisputeEvent]] = relationship(
        back_populates="dispute", order_by="DisputeEvent.id", lazy="selectin"
    )
    line: Mapped[PayoutLine] = relationship(viewonly=True, lazy="selectin")
    participant: Mapped[Participant] = relationship(viewonly=True, lazy="selectin")
    filed_by: Mapped[User | None] = relationship(foreign_keys=[filed_by_id], viewonly=True)

    __mapper_args__ = {"version_id_col": version}

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def overdue(self) -> bool:
        """Unresolved after its due day (UTC today; the due day itself is in time)."""
        return self.is_open and utcnow().date() > self.due_on


class DisputeEvent(Base):
    """One entry of a dispute's history; never changed or deleted (migration 0006)."""

    __tablename__ = "dispute_events"
    __table_args__ = (CheckConstraint(f"kind IN ({sql_list(EVENT_KINDS)})", name="kind_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dispute_id: Mapped[int] = mapped_column(ForeignKey("disputes.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    from_state: Mapped[str | None] = mapped_column(String(24))
    to_state: Mapped[str | None] = mapped_column(String(24))
    comment: Mapped[str | None] = mapped_column(Text)

    dispute: Mapped[Dispute] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship(viewonly=True, lazy="selectin")
