"""Payout exceptions filed by the deal desk.

A `PayoutException` asks to treat one case differently from the plan (`waive_gate`,
`waive_clawback`, `override_split`, `adjustment`), with a justification, the impact the
engine estimated at filing and the route that impact chose under the pinned approval
rules (`rule_set_id`). States: submitted -> approved | rejected | withdrawn; expiry
(`expires_on`) is a date, not a state. The content is frozen and hashed
(`content_hash`); `version` counts transitions, for stale-read checks.

The kinds, the states and what migration 0004 guarantees: docs/exceptions.md.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.approvals import ApprovalRuleSet
from models.base import Base, Json, Money, sql_list, utcnow

EXCEPTION_KINDS = ("waive_gate", "waive_clawback", "override_split", "adjustment")
EXCEPTION_STATES = ("submitted", "approved", "rejected", "withdrawn")
EXCEPTION_TRANSITIONS = (
    ("submitted", "approved"),
    ("submitted", "rejected"),
    ("submitted", "withdrawn"),
)
ROUTES = ("below", "committee")


# What each kind needs, enforced by the database as well as by governance/exceptions/fields.py.
TARGETS_COMPLETE = (
    "(kind IN ('waive_gate', 'waive_clawback') AND deal_id IS NOT NULL AND rule_id IS NOT NULL)"
    " OR (kind = 'override_split' AND deal_id IS NOT NULL AND plan_key IS NOT NULL"
    " AND credits IS NOT NULL)"
    " OR (kind = 'adjustment' AND participant_id IS NOT NULL AND plan_key IS NOT NULL"
    " AND period IS NOT NULL AND amount IS NOT NULL AND currency IS NOT NULL)"
)


class PayoutException(Base):
    __tablename__ = "payout_exceptions"
    __table_args__ = (
        CheckConstraint(f"kind IN ({sql_list(EXCEPTION_KINDS)})", name="kind_known"),
        CheckConstraint(f"state IN ({sql_list(EXCEPTION_STATES)})", name="state_known"),
        CheckConstraint(f"route IN ({sql_list(ROUTES)})", name="route_known"),
        CheckConstraint(TARGETS_COMPLETE, name="targets_complete"),
        CheckConstraint("version > 0", name="version_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16), default="submitted", index=True)
    # Targets (which ones are set depends on the kind; see TARGETS_COMPLETE).
    participant_id: Mapped[str | None] = mapped_column(ForeignKey("participants.id"), index=True)
    deal_id: Mapped[str | None] = mapped_column(ForeignKey("deals.id"), index=True)
    plan_key: Mapped[str | None] = mapped_column(String(63))
    rule_id: Mapped[str | None] = mapped_column(String(63))  # gate or clawback id
    period: Mapped[str | None] = mapped_column(String(8))
    amount: Mapped[Decimal | None] = mapped_column(Money)
    currency: Mapped[str | None] = mapped_column(String(3))
    # override_split: [{"participant": "ana", "share": "0.5"}, ...], shares as text.
    credits: Mapped[list[dict[str, str]] | None] = mapped_column(Json)
    justification: Mapped[str] = mapped_column(Text)
    # The engine's estimate at filing: payable total with minus without the exception,
    # summed over the affected participants, in the plan currency.
    estimated_impact: Mapped[Decimal] = mapped_column(Money)
    impact_currency: Mapped[str] = mapped_column(String(3))
    # {"period": ..., "plan": ..., "participants": [{participant, before, after, delta}]}
    impact: Mapped[dict[str, Any]] = mapped_column(Json)
    route: Mapped[str] = mapped_column(String(16))
    # The approval rules in force at filing decide this exception (pinned, like plans).
    rule_set_id: Mapped[int] = mapped_column(ForeignKey("approval_rule_sets.id"))
    expires_on: Mapped[date | None]
    content_hash: Mapped[str] = mapped_column(String(71))
    filed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # A dispute accepted files an adjustment (foreign key added by migration 0006).
    # use_alter: disputes.exception_id points back here; the two tables form a cycle.
    dispute_id: Mapped[int | None] = mapped_column(
        ForeignKey("disputes.id", use_alter=True), index=True
    )
    version: Mapped[int] = mapped_column(default=1)
    decision_note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]

    rule_set: Mapped[ApprovalRuleSet] = relationship()

    @property
    def label(self) -> str:
        """The id evaluations and traces use ("EX-12")."""
        return f"EX-{self.id}"

    def expired(self, on: date) -> bool:
        return self.expires_on is not None and on > self.expires_on
