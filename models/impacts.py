"""Impact simulations computed by workers, kept with what they were computed against.

`ImpactResult`: one computation of a subject's impact (today a change request:
`subject_type` "change_request", `subject_id` its id). Queued (`queued`, then `running`)
with the user who asked; done with the `inputs` it read (plan versions, window, a hash
of the engine data) and their `inputs_hash`, and the `result` (the simulation's JSON);
or `failed` with a message. One done row per (subject, inputs hash): a computation
whose inputs match a done row is not stored twice (the done row is `checked_at` again).
Migration 0021; why: docs/decisions.md, "Impact simulations and escalation on workers".
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, Json, sql_list, utcnow

IMPACT_STATES = ("queued", "running", "done", "failed")
PENDING_STATES = ("queued", "running")


class ImpactResult(Base):
    __tablename__ = "impact_results"
    __table_args__ = (
        UniqueConstraint("subject_type", "subject_id", "inputs_hash"),
        CheckConstraint(f"state IN ({sql_list(IMPACT_STATES)})", name="state_known"),
        Index("ix_impact_results_subject", "subject_type", "subject_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[int]
    state: Mapped[str] = mapped_column(String(16), default="queued")
    # Known once computed (NULL while queued): sha256 of `inputs`.
    inputs_hash: Mapped[str | None] = mapped_column(String(71))
    inputs: Mapped[dict[str, Any] | None] = mapped_column(Json)
    result: Mapped[dict[str, Any] | None] = mapped_column(Json)
    message: Mapped[str | None] = mapped_column(Text)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    checked_at: Mapped[datetime | None]  # last found current (computed or matched)
