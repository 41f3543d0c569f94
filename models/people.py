"""Participants (payees), their effective-dated plan assignments and their quotas."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, Json, Money, Timestamps


class Participant(Timestamps, Base):
    __tablename__ = "participants"

    # The id used in plans, CRM exports and statements ("ana", "E1042").
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    # The CRM's user id (Salesforce `005...`): how CRM exports name a deal's owner.
    crm_user_id: Mapped[str | None] = mapped_column(String(64), unique=True, index=True)
    hire_date: Mapped[date | None]
    region: Mapped[str | None] = mapped_column(String(64))
    manager_id: Mapped[str | None] = mapped_column(
        ForeignKey("participants.id", ondelete="SET NULL"), index=True
    )
    attributes: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)

    assignments: Mapped[list[Assignment]] = relationship(
        back_populates="participant",
        cascade="all, delete-orphan",
        order_by="Assignment.start_date",
    )


class Assignment(Base):
    """A participant on a plan from `start_date` to `end_date` (inclusive; NULL = open)."""

    __tablename__ = "assignments"
    __table_args__ = (
        UniqueConstraint("participant_id", "plan_key", "start_date"),
        CheckConstraint("end_date IS NULL OR end_date >= start_date", name="dates_ordered"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[str] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), index=True
    )
    plan_key: Mapped[str] = mapped_column(String(63), index=True)
    role: Mapped[str | None] = mapped_column(String(64))
    team: Mapped[str | None] = mapped_column(String(64))
    start_date: Mapped[date]
    end_date: Mapped[date | None]

    participant: Mapped[Participant] = relationship(back_populates="assignments")


class Quota(Base):
    __tablename__ = "quotas"
    __table_args__ = (
        UniqueConstraint("participant_id", "plan_key", "period"),
        CheckConstraint("amount >= 0", name="amount_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[str] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), index=True
    )
    plan_key: Mapped[str] = mapped_column(String(63))
    period: Mapped[str] = mapped_column(String(8))  # 2026-07, 2026-Q3, 2026
    amount: Mapped[Decimal] = mapped_column(Money)
