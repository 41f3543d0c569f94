"""The close's re-check of locked periods: the prior-period adjustments a run carries.

    lines = adjustments_for(session, period)        # for a run of `period`
    check = recheck_locked(session, locked_run)      # one locked period

Each locked period before the one being run is re-evaluated as its own run read it, in
the run's batches (`payouts.inputs`), and compared with what it paid
(`adjustments.compare_period`). Only the participants whose input hash differs from
their locked statement's, or who have adjustments carried for the period, are evaluated;
and only those the change journal says changed since the lock are read and hashed (every
batch when it cannot tell: `inputs.changed_people`). Changes to deals closed, or events
dated, after the locked period's end are not its inputs and are not asked about. A locked
period nothing changed since, with nothing carried, is not read at all.

The re-check, its cost and its limits: docs/payout-close.md, "Prior-period adjustments".
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from governance import changes
from governance.payouts import adjustments as payout_adjustments
from governance.payouts import ledger
from governance.payouts.inputs import (
    batch_input,
    batch_inputs,
    changed_people,
    evaluate_people,
    people_batches,
    period_inputs,
    unique,
)
from models.payouts import PayoutRun, Statement
from rules.period import Period
from rules.problems import EvaluationError, Problem


@dataclass
class Recheck:
    lines: list[dict[str, Any]]  # the adjustment lines for the locked period
    evaluated: set[str]  # the participants re-evaluated (their inputs changed)


def adjustments_for(
    session: Session, period: Period, run_id: int | None = None
) -> list[dict[str, Any]]:
    """Prior-period adjustment lines for a run of `period` (the draft `run_id`, on a
    re-run), oldest locked period first. A locked period whose adjustments belong to an
    earlier draft (`ledger.owning_draft`) is skipped: that draft carries them."""
    out: list[dict[str, Any]] = []
    for run in payout_adjustments.locked_periods_before(session, period.start):
        if ledger.owning_draft(session, run.period_end, before=period.start, run_id=run_id):
            continue
        out.extend(recheck_locked(session, run).lines)
    return out


def recheck_locked(session: Session, run: PayoutRun, *, full: bool = False) -> Recheck:
    """What the locked `run`'s period would pay today, less what it paid. `full`: read
    and hash every batch whatever the change journal says (the tests' reference)."""
    period = Period.parse(run.period)
    carried = payout_adjustments.carried_people(session, run.period)
    found = None if full else changes.changes_since(session, run.input_revision, up_to=period.end)
    if found is not None and found.empty and not carried:
        return Recheck([], set())
    inputs = period_inputs(session, period)
    people = None if found is None else changed_people(session, run, inputs, found)
    if people is None:
        items = batch_inputs(session, inputs)
    else:
        batches = people_batches(session, people | carried, inputs)
        items = (batch_input(session, inputs, batch) for batch in batches)
    paid_for = dict(
        session.execute(
            select(Statement.participant_id, Statement.input_hash)
            .where(Statement.run_id == run.id)
            .distinct()
        ).all()
    )
    problems: list[Problem] = []
    lines: list[dict[str, Any]] = []
    evaluated: set[str] = set()
    for item in items:
        changed = item.changed(paid_for, also=carried)
        if not changed:
            continue
        data, invalid = item.load()
        problems.extend(invalid)
        if data is None or problems:
            continue
        evaluated |= changed
        try:
            results = evaluate_people(data, item, changed, inputs)
        except EvaluationError as exc:
            problems.extend(exc.problems)
            continue
        finally:
            del item, data
        today = _paid_lines(results)
        paid = payout_adjustments.persisted_lines(session, run, changed)
        lines.extend(payout_adjustments.compare_period(run.period, paid, today))
    if problems:
        raise EvaluationError(_located(period, unique(problems)))
    return Recheck(lines, evaluated)


def _paid_lines(results: dict) -> list[payout_adjustments.PaidLine]:
    return [
        payout_adjustments.PaidLine(
            plan=plan,
            participant=participant,
            deal=ln["deal"],
            kind=ln["kind"],
            rule=ln["rule"],
            amount=Decimal(ln["amount"]),
            status=ln["status"],
            plan_version=ln.get("version"),
            currency=st["currency"],
            credit=ln["credit"],
            rate=ln["rate"],
            trace=ln["trace"],
        )
        for (participant, plan), st in results.items()
        for ln in st["lines"]
    ]


def _located(period: Period, problems: list[Problem]) -> list[Problem]:
    return [
        Problem(p.path, f"re-evaluating locked {period.name} for adjustments: {p.message}")
        for p in problems
    ]
