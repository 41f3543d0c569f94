"""The ledger rule: every amount owed for a locked period is paid in exactly one run.

    owner = owning_draft(session, date(2026, 9, 30), before=date(2027, 1, 1), run_id=9)
    problems = carried_problems(session, run)       # [] when its adjustments still hold

A locked period's prior-period adjustments belong to the earliest draft run after it
(`owning_draft`): a later draft carries none of them while an earlier one is open. Each
adjustment line records what had been paid for its position when it was built (`old`);
a run is voted on and locked only while that is still what approved and locked runs
have paid (`carried_problems`), so two drafts never both pay one change: once one is
approved, the other's copy is stale and its re-run recomputes it against what was paid.

The rule and an example: docs/payout-close.md, "Exactly once".
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from governance.payouts import adjustments as payout_adjustments
from models.payouts import PayoutLine, PayoutRun

ZERO = Decimal("0.00")


def owning_draft(
    session: Session, period_end: date, *, before: date, run_id: int | None
) -> PayoutRun | None:
    """The earliest draft run (other than `run_id`) of a period after `period_end` and
    starting before `before`: the run that carries that locked period's adjustments."""
    stmt = (
        select(PayoutRun)
        .where(
            PayoutRun.state == "draft",
            PayoutRun.period_start > period_end,
            PayoutRun.period_start < before,
        )
        .order_by(PayoutRun.period_start, PayoutRun.id)
    )
    if run_id is not None:
        stmt = stmt.where(PayoutRun.id != run_id)
    return session.scalars(stmt.limit(1)).first()


def carried_problems(session: Session, run: PayoutRun) -> list[str]:
    """Why the prior-period adjustments `run` carries would no longer pay each change
    exactly once (empty: they still do). Checked on every vote and on the lock."""
    carried: dict[str, list[PayoutLine]] = defaultdict(list)
    for row in session.scalars(
        select(PayoutLine)
        .where(PayoutLine.run_id == run.id, PayoutLine.adjusts_period.is_not(None))
        .order_by(PayoutLine.id)
    ):
        carried[row.adjusts_period].append(row)
    problems: list[str] = []
    for period in sorted(carried):
        locked = session.scalars(
            select(PayoutRun).where(PayoutRun.period == period, PayoutRun.state == "locked")
        ).one()
        # Ownership is a draft's question: an approved run's adjustments already count as
        # paid for any draft built after its approval.
        owner = None
        if run.state == "draft":
            owner = owning_draft(session, locked.period_end, before=run.period_start, run_id=run.id)
        if owner is not None:
            problems.append(
                f"{period}'s adjustments belong to {owner.label}, the earliest draft after "
                f"{period}: re-run {run.period} to leave them to it"
            )
            continue
        problems.extend(_paid_since(session, run, locked, carried[period]))
    return problems


def _paid_since(
    session: Session, run: PayoutRun, locked: PayoutRun, rows: list[PayoutLine]
) -> list[str]:
    """The carried adjustments whose position approved or locked runs have paid
    differently since `run` was built."""
    people = {row.participant_id for row in rows}
    paid: dict[tuple, Decimal] = defaultdict(lambda: ZERO)
    for line in payout_adjustments.persisted_lines(session, locked, people):
        if line.status == "payable":
            paid[line.position] += line.amount
    # What each carried row adjusts, read once from its persisted form.
    adjusted = [
        payout_adjustments.persisted_position(payout_adjustments.paid_line(row))[1] for row in rows
    ]
    if run.state != "draft":  # persisted_lines counted the run's own lines: not "since"
        for row, line in zip(rows, adjusted, strict=True):
            if row.status == "payable":
                paid[line.position] -= Decimal(row.amount).quantize(ZERO)
    out = []
    for row, line in zip(rows, adjusted, strict=True):
        step = next(s for s in row.trace if s.get("step") == payout_adjustments.STEP)
        was, now = Decimal(step["old"]), paid[line.position]
        if was != now:
            what = f"{row.participant_id}'s {line.kind} line" + (
                f" on deal {row.deal_id}" if row.deal_id else ""
            )
            out.append(
                f"{locked.period}: {what} was built on {was:.2f} paid, approved or locked "
                f"runs have paid {now:.2f} since: re-run {run.period}"
            )
    return out
