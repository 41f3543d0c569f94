"""Deals with their split table, team, marketing touchpoints and events; FX rates."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, Json, Money, Ratio, Timestamps, utcnow


class Deal(Timestamps, Base):
    __tablename__ = "deals"
    __table_args__ = (
        CheckConstraint("amount >= 0", name="amount_not_negative"),
        CheckConstraint("term_months IS NULL OR term_months >= 0", name="term_not_negative"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    account: Mapped[str | None] = mapped_column(String(200))
    type: Mapped[str | None] = mapped_column(String(64))
    amount: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    close_date: Mapped[date] = mapped_column(index=True)
    gross_margin: Mapped[Decimal | None] = mapped_column(Ratio)
    discount: Mapped[Decimal | None] = mapped_column(Ratio)
    term_months: Mapped[int | None] = mapped_column(Integer)
    region: Mapped[str | None] = mapped_column(String(64))
    products: Mapped[list[str]] = mapped_column(Json, default=list)
    owner_id: Mapped[str] = mapped_column(ForeignKey("participants.id"), index=True)
    cash_collected_date: Mapped[date | None]
    # True when the import gave an explicit split table (even a one-row one).
    has_splits: Mapped[bool] = mapped_column(default=False)
    attributes: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)

    splits: Mapped[list[DealSplit]] = relationship(
        cascade="all, delete-orphan", order_by="DealSplit.position", lazy="selectin"
    )
    team: Mapped[list[DealTeamMember]] = relationship(
        cascade="all, delete-orphan", order_by="DealTeamMember.position", lazy="selectin"
    )
    touchpoints: Mapped[list[DealTouchpoint]] = relationship(
        cascade="all, delete-orphan", order_by="DealTouchpoint.position", lazy="selectin"
    )
    events: Mapped[list[DealEvent]] = relationship(
        back_populates="deal", cascade="all, delete-orphan", order_by="DealEvent.event_date"
    )


class DealSplit(Base):
    __tablename__ = "deal_splits"
    __table_args__ = (
        UniqueConstraint("deal_id", "position"),
        CheckConstraint("share > 0 AND share <= 1", name="share_in_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[str] = mapped_column(ForeignKey("deals.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    participant_id: Mapped[str] = mapped_column(ForeignKey("participants.id"), index=True)
    share: Mapped[Decimal] = mapped_column(Ratio)


class DealTeamMember(Base):
    __tablename__ = "deal_team_members"
    __table_args__ = (UniqueConstraint("deal_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[str] = mapped_column(ForeignKey("deals.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    participant_id: Mapped[str] = mapped_column(ForeignKey("participants.id"), index=True)
    role: Mapped[str] = mapped_column(String(64))


class DealTouchpoint(Base):
    __tablename__ = "deal_touchpoints"
    __table_args__ = (UniqueConstraint("deal_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[str] = mapped_column(ForeignKey("deals.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    participant_id: Mapped[str] = mapped_column(ForeignKey("participants.id"), index=True)
    at: Mapped[date]
    channel: Mapped[str | None] = mapped_column(String(64))
    milestone: Mapped[str | None] = mapped_column(String(32))


class DealEvent(Base):
    """Cancellation, churn, downgrade...; (deal, kind, date) identifies an event on re-import."""

    __tablename__ = "deal_events"
    __table_args__ = (
        UniqueConstraint("deal_id", "kind", "event_date"),
        CheckConstraint("amount IS NULL OR amount >= 0", name="amount_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[str] = mapped_column(ForeignKey("deals.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(64))
    event_date: Mapped[date]
    amount: Mapped[Decimal | None] = mapped_column(Money)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    deal: Mapped[Deal] = relationship(back_populates="events")


class FxRate(Base):
    """`rate` units of `quote` per 1 `base` (spec key "EUR/USD" is base EUR, quote USD),
    in force from `effective_from` (null: from the beginning) until the pair's next date."""

    __tablename__ = "fx_rates"
    __table_args__ = (
        UniqueConstraint("base", "quote", "effective_from"),
        # A NULL date is distinct from every other in a unique constraint: one undated
        # rate per pair needs its own partial index (migration 0012).
        Index(
            "uq_fx_rates_undated",
            "base",
            "quote",
            unique=True,
            postgresql_where=text("effective_from IS NULL"),
            sqlite_where=text("effective_from IS NULL"),
        ),
        CheckConstraint("rate > 0", name="rate_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    base: Mapped[str] = mapped_column(String(3))
    quote: Mapped[str] = mapped_column(String(3))
    rate: Mapped[Decimal] = mapped_column(Ratio)
    effective_from: Mapped[date | None]
