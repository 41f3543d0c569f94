"""Builds of a payout run: what each build read, what changed since the one before, and
how each participant's payable moved.

- `PayoutBuild`: one build (first run or re-run) of a run: the plan versions by number,
  the exceptions in force, the hashes, what changed since the previous build, and
  whether the votes on the previous content were kept (nothing changed) or voided.
- `PayoutBuildChange`: one participant's payable in one currency before and after a
  build, for the participants whose payable moved.
- `ReplacedStatement` / `ReplacedLine`: the statements the latest build of a run
  replaced (with their lines, as they were) or added, so "what changed since the
  previous build" compares line by line. Kept for the run's latest build only.

Staleness, kept and voided votes, the diff: docs/payout-close.md, "Stale drafts".
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, Json, Money, Ratio, TraceJson, utcnow


class PayoutBuild(Base):
    __tablename__ = "payout_builds"
    __table_args__ = (UniqueConstraint("run_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("payout_runs.id", ondelete="CASCADE"))
    number: Mapped[int]  # 1, 2, ...: every build, identical or not
    run_version: Mapped[int]  # the run's version (its content) after this build
    built_at: Mapped[datetime] = mapped_column(default=utcnow)
    built_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The audit record of the build: later records are what happened since.
    audit_record_id: Mapped[int]
    # {plan key: [{"label": "ae-plan/2", "number": 2, "hash": "sha256:..."}]}
    plan_versions: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    # [[exception label, sha256 of its engine item]] in force at the period's end.
    exceptions: Mapped[list[Any]] = mapped_column(Json, default=list)
    input_data_hash: Mapped[str] = mapped_column(String(71))
    exceptions_hash: Mapped[str] = mapped_column(String(71))
    result_hash: Mapped[str | None] = mapped_column(String(71))
    # What differs from the previous build ([] on the first build and when identical).
    changes: Mapped[list[Any]] = mapped_column(Json, default=list)
    identical: Mapped[bool] = mapped_column(default=False)
    # Whether the statements it replaced were kept (`ReplacedStatement`): False for
    # builds recorded before revision 0034, compared per statement only.
    kept_replaced: Mapped[bool] = mapped_column(default=False, server_default=false())
    votes_kept: Mapped[int] = mapped_column(default=0)
    votes_voided: Mapped[int] = mapped_column(default=0)


class PayoutBuildChange(Base):
    __tablename__ = "payout_build_changes"
    __table_args__ = (UniqueConstraint("build_id", "participant_id", "currency"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    build_id: Mapped[int] = mapped_column(ForeignKey("payout_builds.id", ondelete="CASCADE"))
    participant_id: Mapped[str] = mapped_column(String(64))  # no foreign key: history
    currency: Mapped[str] = mapped_column(String(3))
    before: Mapped[Decimal | None] = mapped_column(Money)  # None: no statement before
    after: Mapped[Decimal | None] = mapped_column(Money)  # None: no statement after


class ReplacedStatement(Base):
    """A statement of a draft that a re-run replaced or removed (`replaced`, with its
    payable and lines as they were) or added (`added`). `build_id` is None while the
    build is being written and set when it is recorded."""

    __tablename__ = "payout_build_statements"
    __table_args__ = (Index("ix_payout_build_statements_run_build", "run_id", "build_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("payout_runs.id", ondelete="CASCADE"))
    build_id: Mapped[int | None] = mapped_column(ForeignKey("payout_builds.id", ondelete="CASCADE"))
    participant_id: Mapped[str] = mapped_column(String(64))  # no foreign key: history
    plan_key: Mapped[str] = mapped_column(String(63))
    change: Mapped[str] = mapped_column(String(8))  # replaced, added
    plan_version_hash: Mapped[str | None] = mapped_column(String(71))
    currency: Mapped[str | None] = mapped_column(String(3))
    payable: Mapped[Decimal | None] = mapped_column(Money)


class ReplacedLine(Base):
    """A line of a `ReplacedStatement`, copied as the replaced build wrote it."""

    __tablename__ = "payout_build_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    statement_id: Mapped[int] = mapped_column(
        ForeignKey("payout_build_statements.id", ondelete="CASCADE"), index=True
    )
    plan_key: Mapped[str] = mapped_column(String(63))
    plan_version_hash: Mapped[str] = mapped_column(String(71))
    kind: Mapped[str] = mapped_column(String(16))
    deal_id: Mapped[str | None] = mapped_column(String(64))
    rule: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16))
    share: Mapped[Decimal | None] = mapped_column(Ratio)
    credit: Mapped[Decimal | None] = mapped_column(Money)
    rate: Mapped[Decimal | None] = mapped_column(Ratio)
    amount: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    position: Mapped[int]
    trace: Mapped[list[Any]] = mapped_column(TraceJson, default=list)
    adjusts_period: Mapped[str | None] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)
