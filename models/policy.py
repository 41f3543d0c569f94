"""The versioned policy store: one head row per plan, its versions and their transitions.

A `PlanVersion` moves through `draft -> submitted -> approved -> active -> superseded`,
or ends `rejected` / `withdrawn`. Only a draft's document may change; from submission on,
`document`, `canonical_json` and `content_hash` are frozen, and once a version has been
active its `effective_from` and `recorded_at` are history. Migration 0002 backs all of
this with triggers on both databases (the code checks first, the database refuses
anyway), and a partial unique index allows one `active` version per plan.

`PolicyPlan.revision` is SQLAlchemy's `version_id_col`: every change to a plan or any of
its versions bumps it, so an edit based on a stale read fails instead of being lost.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, Timestamps, sql_list, utcnow

VERSION_STATES = (
    "draft",
    "submitted",
    "approved",
    "active",
    "superseded",
    "rejected",
    "withdrawn",
)
# The only state changes the database accepts (the services check the same table first).
ALLOWED_TRANSITIONS = (
    ("draft", "submitted"),
    ("draft", "withdrawn"),
    ("submitted", "approved"),
    ("submitted", "rejected"),
    ("submitted", "withdrawn"),
    ("approved", "active"),
    ("approved", "withdrawn"),
    ("active", "superseded"),
)


class PolicyPlan(Timestamps, Base):
    """The head row of a plan: its key, title and a summary of where its versions stand."""

    __tablename__ = "plans"

    key: Mapped[str] = mapped_column(String(63), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    # Highest version number handed out (versions are numbered 1, 2, ... per plan).
    latest_number: Mapped[int] = mapped_column(default=0)
    active_number: Mapped[int | None]
    draft_number: Mapped[int | None]
    revision: Mapped[int] = mapped_column(default=1)

    versions: Mapped[list[PlanVersion]] = relationship(
        back_populates="plan", order_by="PlanVersion.number"
    )

    __mapper_args__ = {"version_id_col": revision}


class PlanVersion(Timestamps, Base):
    __tablename__ = "plan_versions"
    __table_args__ = (
        UniqueConstraint("plan_key", "number"),
        CheckConstraint(f"state IN ({sql_list(VERSION_STATES)})", name="state_known"),
        CheckConstraint("number > 0", name="number_positive"),
        CheckConstraint(
            "state NOT IN ('active', 'superseded')"
            " OR (effective_from IS NOT NULL AND recorded_at IS NOT NULL)",
            name="activated_has_times",
        ),
        # Two concurrent activations cannot both leave their version active.
        Index(
            "uq_plan_versions_one_active",
            "plan_key",
            unique=True,
            postgresql_where=text("state = 'active'"),
            sqlite_where=text("state = 'active'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_key: Mapped[str] = mapped_column(ForeignKey("plans.key"), index=True)
    number: Mapped[int]
    state: Mapped[str] = mapped_column(String(16), default="draft")
    # The text as written (YAML or JSON), kept so the author's comments and layout survive.
    document: Mapped[str] = mapped_column(Text)
    canonical_json: Mapped[str] = mapped_column(Text)
    # "sha256:<hex>" of canonical_json: the engine's `Plan.version`.
    content_hash: Mapped[str] = mapped_column(String(71), index=True)
    effective_from: Mapped[date | None]
    # Record time: when the store learned that this version governs from effective_from
    # (the moment it was activated). NULL until then.
    recorded_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    plan: Mapped[PolicyPlan] = relationship(back_populates="versions")
    transitions: Mapped[list[PlanTransition]] = relationship(
        back_populates="version", order_by="PlanTransition.id"
    )

    @property
    def label(self) -> str:
        return f"{self.plan_key}/{self.number}"


class PlanTransition(Base):
    """Who moved a version from one state to another, when, and why."""

    __tablename__ = "plan_transitions"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("plan_versions.id"), index=True)
    # NULL for the creation of the draft.
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    note: Mapped[str | None] = mapped_column(Text)

    version: Mapped[PlanVersion] = relationship(back_populates="transitions")


class PlanAcknowledgement(Base):
    """A user, for the participant they are, has read a plan version (once per version).

    `content_hash` is the hash of what they were shown: the version's, frozen since its
    submission. `plan_key`/`version_number` repeat the version's for lists without a join.
    """

    __tablename__ = "plan_acknowledgements"
    __table_args__ = (UniqueConstraint("user_id", "plan_version_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    participant_id: Mapped[str | None] = mapped_column(
        ForeignKey("participants.id", ondelete="SET NULL")
    )
    plan_version_id: Mapped[int] = mapped_column(ForeignKey("plan_versions.id"), index=True)
    plan_key: Mapped[str] = mapped_column(String(63))
    version_number: Mapped[int]
    content_hash: Mapped[str] = mapped_column(String(71))
    acknowledged_at: Mapped[datetime] = mapped_column(default=utcnow)
