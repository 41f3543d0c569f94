"""Payout runs: one period's evaluation over the database, its lines and statements.

- `PayoutRun`: one run of one period: `draft` (re-run in place, `version` +1 per re-run
  that changed anything; its builds: models/payout_builds.py), `approved`, `locked`,
  `failed` or `discarded` (a draft set aside: it never pays, and never changes again); at
  most one holding run per period. It records the hashes of what it was computed from
  and of what it produced.
- `PayoutLine`: one statement line as the engine produced it, with its trace and a
  `line_key` stable across re-runs; prior-period adjustment lines name what they adjust.
- `Statement`: one participant's totals under one plan in a run, with `input_hash`.

States, hashes and re-runs: docs/payout-runs.md; approval, the lock and what migration
0005 guarantees: docs/payout-close.md.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, Json, Money, Ratio, TraceJson, sql_list, utcnow

RUN_STATES = ("draft", "approved", "locked", "failed", "discarded")
# States that hold their period: at most one run per period in one of these.
HOLDING_STATES = ("draft", "approved", "locked")
# A fanned-out first build whose batches write its statements and lines in parallel
# transactions: it holds its period, and no reader sees it (`finalize_run` makes it a
# draft in one transaction; a failed build is deleted). docs/payout-runs.md.
BUILDING = "building"
STORED_STATES = (BUILDING, *RUN_STATES)
RUN_TRANSITIONS = (
    ("draft", "approved"),
    ("draft", "failed"),
    ("approved", "locked"),
    ("approved", "draft"),  # approval withdrawn (inputs changed before the lock)
    ("draft", "discarded"),  # set aside: it never pays; the period can be run again
)
# The engine's line kinds (rules.evaluation.ledger.KINDS).
LINE_KINDS = (
    "commission",
    "spif",
    "release",
    "clawback",
    "forfeit",
    "adjustment",
    "draw",
    "draw_recovery",
)


class PayoutRun(Base):
    __tablename__ = "payout_runs"
    __table_args__ = (
        CheckConstraint(f"state IN ({sql_list(STORED_STATES)})", name="state_known"),
        CheckConstraint("version > 0", name="version_positive"),
        CheckConstraint("period_start <= period_end", name="period_ordered"),
        CheckConstraint("state <> 'locked' OR locked_at IS NOT NULL", name="locked_has_time"),
        Index(
            "uq_payout_runs_one_per_period",
            "period",
            unique=True,
            postgresql_where=text(f"state IN ({sql_list((BUILDING, *HOLDING_STATES))})"),
            sqlite_where=text(f"state IN ({sql_list((BUILDING, *HOLDING_STATES))})"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    period: Mapped[str] = mapped_column(String(16), index=True)  # "2026-Q3"
    period_start: Mapped[date]
    period_end: Mapped[date]
    state: Mapped[str] = mapped_column(String(16), default="draft")
    # 1 when built, +1 on every re-run of the draft that changed anything (its content).
    version: Mapped[int] = mapped_column(default=1)
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    # What the run was computed from ("sha256:<hex>").
    input_data_hash: Mapped[str] = mapped_column(String(71))
    plan_versions: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    exceptions_hash: Mapped[str] = mapped_column(String(71))
    # What it produced: sha256 over every line (kind, amounts, trace...) in line_key order.
    result_hash: Mapped[str | None] = mapped_column(String(71))
    participant_count: Mapped[int] = mapped_column(default=0)
    deal_count: Mapped[int] = mapped_column(default=0)
    line_count: Mapped[int] = mapped_column(default=0)
    statement_count: Mapped[int] = mapped_column(default=0)
    # Statements rewritten by the last build (all of them on the first, fewer on re-runs).
    recomputed_count: Mapped[int] = mapped_column(default=0)
    progress_done: Mapped[int] = mapped_column(default=0)
    progress_total: Mapped[int] = mapped_column(default=0)
    note: Mapped[str | None] = mapped_column(Text)
    # The change journal's revision the last build read, and every participant's input
    # hash (with or without statements): what an incremental re-run and the close's
    # re-check start from. NULL: not known (a fanned-out build): the next pass is full.
    # docs/decisions.md, "Incremental re-runs: the change journal".
    input_revision: Mapped[str | None] = mapped_column(Text)
    participant_hashes: Mapped[dict[str, str] | None] = mapped_column(Json)
    # For the close: approval and lock (who approved is in votes.payout_run_id).
    approved_at: Mapped[datetime | None]
    locked_at: Mapped[datetime | None]
    locked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Statement publishing (after the lock): reps see a run's statements only once set.
    published_at: Mapped[datetime | None]
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    failed_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    lines: Mapped[list[PayoutLine]] = relationship(
        back_populates="run", order_by="PayoutLine.id", lazy="raise_on_sql", viewonly=True
    )
    statements: Mapped[list[Statement]] = relationship(
        back_populates="run", order_by="Statement.id", lazy="raise_on_sql", viewonly=True
    )

    @property
    def label(self) -> str:
        return f"payout-run/{self.period}#{self.id}"


class PayoutLine(Base):
    __tablename__ = "payout_lines"
    __table_args__ = (
        UniqueConstraint("run_id", "line_key"),
        CheckConstraint(f"kind IN ({sql_list(LINE_KINDS)})", name="kind_known"),
        CheckConstraint(
            "kind = 'adjustment' OR adjusts_period IS NULL", name="adjusts_only_adjustments"
        ),
        Index("ix_payout_lines_run_participant", "run_id", "participant_id"),
        # Deleting a line checks the lines that adjust it (the self foreign key): without
        # this index, a table scan per deleted line (migration 0009). Few lines adjust one.
        Index(
            "ix_payout_lines_adjusts_line_id",
            "adjusts_line_id",
            postgresql_where=text("adjusts_line_id IS NOT NULL"),
            sqlite_where=text("adjusts_line_id IS NOT NULL"),
        ),
        # The close's re-check asks who carries adjustments for a locked period: without
        # it, a scan of every line of every run (the re-check would grow with history).
        Index(
            "ix_payout_lines_adjusts_period",
            "adjusts_period",
            postgresql_where=text("adjusts_period IS NOT NULL"),
            sqlite_where=text("adjusts_period IS NOT NULL"),
        ),
        # A run's carried adjustments (`ledger.carried_problems`, on every vote, lock and
        # "may I vote" check): without it, every line of the run is read (migration 0031).
        Index(
            "ix_payout_lines_run_adjusting",
            "run_id",
            "id",
            postgresql_where=text("adjusts_period IS NOT NULL"),
            sqlite_where=text("adjusts_period IS NOT NULL"),
        ),
        # The adjustment lines a build has not marked yet (`mark_adjustments`, after every
        # build): without it, every line of the run is read (migration 0037).
        Index(
            "ix_payout_lines_run_unmarked",
            "run_id",
            postgresql_where=text("kind = 'adjustment' AND adjusts_period IS NULL"),
            sqlite_where=text("kind = 'adjustment' AND adjusts_period IS NULL"),
        ),
        # An exception's adjustment lines, by its label (the disputes list's outcomes).
        Index(
            "ix_payout_lines_adjustment_rule",
            "rule",
            postgresql_where=text("kind = 'adjustment'"),
            sqlite_where=text("kind = 'adjustment'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("payout_runs.id", ondelete="CASCADE"))
    # Stable across re-runs of the same inputs: participant|plan|kind|deal|rule|n.
    line_key: Mapped[str] = mapped_column(String(400))
    participant_id: Mapped[str] = mapped_column(ForeignKey("participants.id"), index=True)
    # No foreign key: a locked line outlives a deal deleted later.
    deal_id: Mapped[str | None] = mapped_column(String(64), index=True)
    plan_key: Mapped[str] = mapped_column(String(63))
    plan_version_hash: Mapped[str] = mapped_column(String(71))
    kind: Mapped[str] = mapped_column(String(16))
    rule: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16))  # payable, held, blocked, ineligible
    share: Mapped[Decimal | None] = mapped_column(Ratio)
    credit: Mapped[Decimal | None] = mapped_column(Money)
    rate: Mapped[Decimal | None] = mapped_column(Ratio)
    amount: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    position: Mapped[int]  # order in the participant's statement
    trace: Mapped[list[Any]] = mapped_column(TraceJson, default=list)
    # Prior-period adjustments (the close): which locked period, what changed, which line.
    adjusts_period: Mapped[str | None] = mapped_column(String(16))
    adjusts_line_id: Mapped[int | None] = mapped_column(ForeignKey("payout_lines.id"))
    reason: Mapped[str | None] = mapped_column(Text)

    run: Mapped[PayoutRun] = relationship(back_populates="lines")


class Statement(Base):
    __tablename__ = "payout_statements"
    __table_args__ = (
        UniqueConstraint("run_id", "participant_id", "plan_key"),
        Index("ix_payout_statements_participant_id", "participant_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("payout_runs.id", ondelete="CASCADE"))
    participant_id: Mapped[str] = mapped_column(ForeignKey("participants.id"))
    plan_key: Mapped[str] = mapped_column(String(63))
    plan_version_hash: Mapped[str] = mapped_column(String(71))
    currency: Mapped[str] = mapped_column(String(3))
    quota: Mapped[Decimal | None] = mapped_column(Money)
    credited: Mapped[Decimal] = mapped_column(Money)
    attainment: Mapped[Decimal | None] = mapped_column(Ratio)
    # Totals: earned = payable commission and spif lines; held = lines held this period;
    # released/clawed_back = release and clawback+forfeit lines; draw = draw less
    # recoveries this period; payable = every payable line (the engine's `payable`).
    earned: Mapped[Decimal] = mapped_column(Money)
    held: Mapped[Decimal] = mapped_column(Money)
    released: Mapped[Decimal] = mapped_column(Money)
    clawed_back: Mapped[Decimal] = mapped_column(Money)
    draw: Mapped[Decimal] = mapped_column(Money)
    draw_balance: Mapped[Decimal] = mapped_column(Money)
    payable: Mapped[Decimal] = mapped_column(Money)
    line_count: Mapped[int]
    # sha256 of this participant's inputs (all plans) and of this statement's lines.
    input_hash: Mapped[str] = mapped_column(String(71))
    result_hash: Mapped[str] = mapped_column(String(71))

    run: Mapped[PayoutRun] = relationship(back_populates="statements")
