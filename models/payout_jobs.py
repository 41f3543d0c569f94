"""Payout run jobs: a run of a period requested over the API and built in the background.

`PayoutRunJob` is what a client polls while its run is built: `queued`, `building` (with
`progress_done` / `progress_total`), `done` (`run_id` names the committed run) or
`failed` (`message`, `problems`). The run itself is still one transaction
(governance/payouts/runs.py); the job row is written in its own short transactions, so it
is visible while the run is not. A Celery worker runs it (app/tasks/): `published_at`
says the broker accepted its task, `attempts` counts the deliveries that claimed it,
`worker` names the worker that claimed it last; `early` runs a period not begun.

States, progress on each database, and the guarantees: docs/payout-runs.md, "Over the
API: a job to poll".
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, Json, Money, Ratio, TraceJson, sql_list, utcnow

JOB_STATES = ("queued", "building", "done", "failed")
# States that hold their period: at most one job per period in one of these.
ACTIVE_STATES = ("queued", "building")


class PayoutRunJob(Base):
    __tablename__ = "payout_run_jobs"
    __table_args__ = (
        CheckConstraint(f"state IN ({sql_list(JOB_STATES)})", name="state_known"),
        CheckConstraint("state <> 'done' OR run_id IS NOT NULL", name="done_has_run"),
        CheckConstraint(
            "progress_done >= 0 AND progress_total >= 0 AND progress_done <= progress_total",
            name="progress_bounded",
        ),
        Index(
            "uq_payout_run_jobs_one_active",
            "period",
            unique=True,
            postgresql_where=text(f"state IN ({sql_list(ACTIVE_STATES)})"),
            sqlite_where=text(f"state IN ({sql_list(ACTIVE_STATES)})"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    period: Mapped[str] = mapped_column(String(16), index=True)
    state: Mapped[str] = mapped_column(String(16), default="queued")
    progress_done: Mapped[int] = mapped_column(default=0)
    progress_total: Mapped[int] = mapped_column(default=0)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("payout_runs.id", ondelete="SET NULL"))
    # Why it failed: the refusal's message and its located problems [{path, message}].
    message: Mapped[str | None] = mapped_column(Text)
    problems: Mapped[list[dict[str, Any]]] = mapped_column(Json, default=list)
    # The kind of refusal that failed it (`Conflict`, ...; app/jobs.py `refusal_of`).
    refusal: Mapped[str | None] = mapped_column(String(32))
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    heartbeat_at: Mapped[datetime | None]
    worker: Mapped[str | None] = mapped_column(String(255))  # the Celery worker's name
    published_at: Mapped[datetime | None]  # the broker accepted its task
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    early: Mapped[bool] = mapped_column(default=False, server_default=false())  # not begun
    # A fanned-out build's plan (app/fanout.py): the draft and input hashes it was made
    # against, and its batch count. NULL for a job built in one task.
    plan: Mapped[dict[str, Any] | None] = mapped_column(Json)

    @property
    def label(self) -> str:
        return f"payout-run-job/{self.period}#{self.id}"


BATCH_STATES = ("pending", "running", "done")


class PayoutRunJobBatch(Base):
    """One participant batch of a fanned-out run (app/fanout.py): what its planner
    recorded (`batch`: people, credited, extra deals; `adjustments`: its people's
    prior-period adjustment lines) and its state. `attempts` counts the deliveries of
    its task that claimed it; its evaluated result is staged in `PayoutRunJobStaged`."""

    __tablename__ = "payout_run_job_batches"
    __table_args__ = (CheckConstraint(f"state IN ({sql_list(BATCH_STATES)})", name="state_known"),)

    job_id: Mapped[int] = mapped_column(
        ForeignKey("payout_run_jobs.id", ondelete="CASCADE"), primary_key=True
    )
    number: Mapped[int] = mapped_column(primary_key=True)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    people_count: Mapped[int] = mapped_column(default=0)
    batch: Mapped[dict[str, Any]] = mapped_column(Json)
    adjustments: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    finished_at: Mapped[datetime | None]


class PayoutRunJobStaged(Base):
    """A batch's evaluated result, written by the attempt that finished it: its summary
    here (`payouts.staging.summary`: people, input hashes, who was evaluated, problems),
    its statement and line rows in `STAGED_STATEMENTS` / `STAGED_LINES`. It belongs to
    no run: readers never see it; the finalizer moves it into the run and deletes it."""

    __tablename__ = "payout_run_job_staged"

    job_id: Mapped[int] = mapped_column(
        ForeignKey("payout_run_jobs.id", ondelete="CASCADE"), primary_key=True
    )
    number: Mapped[int] = mapped_column(primary_key=True)
    attempt: Mapped[int]
    document: Mapped[dict[str, Any]] = mapped_column(Json)


def _job_columns() -> list[Column]:
    return [
        Column(
            "job_id", Integer, ForeignKey("payout_run_jobs.id", ondelete="CASCADE"), nullable=False
        ),
        Column("number", Integer, nullable=False),
    ]


# A batch's statement and line rows as `statement_rows` makes them (run id left out),
# typed like `statements` and `payout_lines`: the finalizer moves them with INSERT ...
# SELECT. Core tables (no primary key: rows are only ever read and deleted by job).
STAGED_STATEMENTS = Table(
    "payout_run_job_statements",
    Base.metadata,
    *_job_columns(),
    Column("participant_id", String(64), nullable=False),
    Column("plan_key", String(63), nullable=False),
    Column("plan_version_hash", String(71), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("quota", Money),
    Column("credited", Money, nullable=False),
    Column("attainment", Ratio),
    Column("earned", Money, nullable=False),
    Column("held", Money, nullable=False),
    Column("released", Money, nullable=False),
    Column("clawed_back", Money, nullable=False),
    Column("draw", Money, nullable=False),
    Column("draw_balance", Money, nullable=False),
    Column("payable", Money, nullable=False),
    Column("line_count", Integer, nullable=False),
    Column("input_hash", String(71), nullable=False),
    Column("result_hash", String(71), nullable=False),
    Index("ix_payout_run_job_statements_job_number", "job_id", "number"),
)
STAGED_LINES = Table(
    "payout_run_job_lines",
    Base.metadata,
    *_job_columns(),
    Column("line_key", String(400), nullable=False),
    Column("participant_id", String(64), nullable=False),
    Column("deal_id", String(64)),
    Column("plan_key", String(63), nullable=False),
    Column("plan_version_hash", String(71), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("rule", String(200)),
    Column("status", String(16), nullable=False),
    Column("share", Ratio),
    Column("credit", Money),
    Column("rate", Ratio),
    Column("amount", Money, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("position", Integer, nullable=False),
    Column("trace", TraceJson, nullable=False),
    Index("ix_payout_run_job_lines_job_number", "job_id", "number"),
)
