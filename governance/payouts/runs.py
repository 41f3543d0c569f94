"""Payout runs: evaluate a period over the database and persist lines and statements.

    run = start_run(session, actor, "2026-Q3", progress=lambda done, total: ...)
    session.commit()

`start_run` evaluates the plan versions governing the period's deals, with the approved
exceptions in force at its end, batch by batch (`payouts.batches`), and writes every line
with its trace and one statement per participant and plan in the caller's transaction:
nothing shows before its commit, a failure leaves nothing. Re-running a draft rebuilds
only what changed and keeps its votes when nothing did (`payouts.build_diff`); an
approved or locked run is never re-run.

What a run evaluates, batches, re-runs and concurrency: docs/payout-runs.md.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from governance.errors import NotFound
from governance.paging import Sort, ordered, page
from governance.payouts.run_steps import (
    OBJECT_TYPE,
    Progress,
    check_begun,
    evaluated_batches,
    finalize_run,
    lock_period,
    parse_period,
    plan_run,
)
from governance.permissions import Actor, has_permission, require
from models import PayoutLine, PayoutRun
from models.payouts import BUILDING
from rules.gcpause import paused_gc

__all__ = ["OBJECT_TYPE", "Progress", "check_begun", "get_run", "list_runs", "start_run"]


def can_read(actor: Actor) -> bool:
    return actor is None or any(
        has_permission(actor, p) for p in ("statements.read_all", "audit.read")
    )


# --------------------------------------------------------------------------- reading


def get_run(session: Session, run_id: int, *, lock: bool = False) -> PayoutRun:
    """The run; `lock`: SELECT ... FOR UPDATE, re-read (a copy in the session could be older)."""
    run = session.get(PayoutRun, run_id, with_for_update=lock or None, populate_existing=lock)
    if run is None or run.state == BUILDING:  # a first build's rows are not a run yet
        raise NotFound(f"No payout run {run_id}.")
    return run


RUN_COLUMNS = {
    "period": PayoutRun.period_start,
    "state": PayoutRun.state,
    "version": PayoutRun.version,
    "participants": PayoutRun.participant_count,
    "deals": PayoutRun.deal_count,
    "statements": PayoutRun.statement_count,
    "lines": PayoutRun.line_count,
    "started": PayoutRun.started_at,
}
RUN_SORT = Sort("period", descending=True)


def list_runs(
    session: Session,
    *,
    period: str | None = None,
    offset: int = 0,
    limit: int = 50,
    sort: Sort = RUN_SORT,
) -> tuple[list[PayoutRun], int]:
    """A page of the runs (newest period first, or by `sort`; then newest id first); a
    first build still being written is not a run yet."""
    stmt = select(PayoutRun).where(PayoutRun.state != BUILDING)
    if period:
        stmt = stmt.where(PayoutRun.period == period)
    return page(
        session, ordered(stmt, sort, RUN_COLUMNS, PayoutRun.id.desc()), offset=offset, limit=limit
    )


def run_lines(
    session: Session,
    run: PayoutRun,
    *,
    participant: str | None = None,
    offset: int = 0,
    limit: int = 100,
) -> tuple[list[PayoutLine], int]:
    stmt = select(PayoutLine).where(PayoutLine.run_id == run.id)
    if participant:
        stmt = stmt.where(PayoutLine.participant_id == participant)
    order = (PayoutLine.participant_id, PayoutLine.plan_key, PayoutLine.position)
    return page(session, stmt.order_by(*order), offset=offset, limit=limit)


# --------------------------------------------------------------------------- running


def start_run(
    session: Session,
    actor: Actor,
    period: str,
    *,
    progress: Progress | None = None,
    early: bool = False,
) -> PayoutRun:
    """Build (or re-build, for a draft) the period's run; flushes, the caller commits.
    `early`: run a period that has not begun (testing a close; audited).

    The three steps of `run_steps` in one process and one transaction: plan, evaluate
    each batch as it is written (memory bounded by a batch), finalize. The cyclic
    collector stays paused from the first batch to the last write: a batch's rows hold no
    cycles, and resuming it between a batch's evaluation and its write rescanned them
    (0.6 of ~10 CPU s at 100,000 deals; rules/gcpause.py)."""
    require(actor, "payouts.run", "Starting a payout run")
    target = parse_period(period)
    check_begun(target, early=early)
    lock_period(session, target)
    plan = plan_run(session, actor, period, early=early, lock=True, incremental=True)
    with paused_gc():
        return finalize_run(
            session, actor, plan, evaluated_batches(session, plan), progress=progress
        )
