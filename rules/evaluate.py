"""Evaluate compensation plans for one period: exact, explainable, deterministic.

`evaluate(plans, data, "2026-Q3")` returns the section-5 output of the plan-language
spec. Evaluating P replays every earlier period in the data (from the earliest
assignment start, close date or adjustment) so that holds, clawbacks and draw balances
carry over; any period that cannot be evaluated makes the whole evaluation fail with an
`EvaluationError` listing every problem. Conditions are decided by the matcher
(durable-rules by default, `engine="python"` for the plain-Python oracle); every amount is
computed with exact fractions and rounded once, to cents half-up, on its line.
`payables_from(plans, data, "2026-Q3")` gives the payables of that period and every later
one the data still moves pay in (an exception's impact, held lines released later).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import suppress
from datetime import date
from decimal import Decimal
from typing import Any

from rules.evaluation.context import DataIndex, PlanContext
from rules.evaluation.ledger import Ledger
from rules.evaluation.numbers import exact_context, money
from rules.evaluation.output import statement_dict, to_json, to_table
from rules.evaluation.period import evaluate_period
from rules.gcpause import paused_gc
from rules.model import Data, Plan
from rules.period import Period, PeriodError
from rules.problems import EvaluationError, Problem

__all__ = ["evaluate", "evaluate_text", "payables_from", "to_json", "to_table"]


def evaluate(
    plans: Sequence[Plan],
    data: Data,
    period: str,
    *,
    engine: str = "durable",
    keep: list | None = None,
) -> dict[str, Any]:
    """The section-5 output for `period` over `plans`; raises `EvaluationError`.

    `keep`: a list its caller holds until the process ends (`accord evaluate`): the
    evaluation's own objects (index, ledgers, earlier periods' statements) go there
    instead of being freed one by one, 4% of the command's CPU at 100,000 deals."""
    try:
        target = Period.parse(period)
    except PeriodError as exc:
        raise EvaluationError([Problem("period", str(exc))]) from None
    problems: list[Problem] = []
    seen: set[str] = set()
    for plan in plans:
        if plan.period != target.kind:
            problems.append(
                Problem(
                    "period",
                    f"plan {plan.policy} pays by {plan.period}, but {target} is a {target.kind}",
                    rule=None,
                )
            )
        if plan.policy in seen:
            problems.append(
                Problem("plans", f"plan {plan.policy} is given twice; evaluate one version")
            )
        seen.add(plan.policy)
    if problems:
        raise EvaluationError(problems)

    # Many small objects, no reference cycles: the cyclic collector only costs time here.
    with paused_gc(), exact_context():
        return _evaluate(plans, data, target, engine, keep)


def _periods(
    context: PlanContext, ledger: Ledger, target: Period, problems: list[Problem], *, explain=True
) -> Iterator[tuple[Period, dict[str, Any]]]:
    """Each period from the plan's first on, evaluated in turn (the ledger carries over);
    the caller stops when it has what it needs."""
    current = context.first_period(target)
    while True:
        context.warnings = []
        # Earlier periods are replayed for their ledger only: skip building traces.
        context.explain = explain and current == target
        result = evaluate_period(context, ledger, current)
        for problem in context.problems:
            problems.append(_in_period(problem, current, target))
        context.problems = []
        yield current, result
        current = current.next()


def _evaluate(
    plans: Sequence[Plan], data: Data, target: Period, engine: str, keep: list | None
) -> dict[str, Any]:
    problems: list[Problem] = []
    index = DataIndex(data)
    if keep is not None:
        keep.append(index)
    statements: list[dict[str, Any]] = []
    warnings: list[str] = []
    for plan in sorted(plans, key=lambda p: p.policy):
        context = PlanContext(plan, index, engine)
        ledger = Ledger()
        for current, result in _periods(context, ledger, target, problems):
            if keep is not None:
                keep.append(result)
            if current == target:
                break
        if keep is not None:
            keep.extend((context, ledger))
        for participant in sorted(result):
            statements.append(statement_dict(result[participant], plan.policy, plan.currency))
        warnings.extend(context.warnings)
    if problems:
        raise EvaluationError(problems)
    return {
        "period": target.name,
        "plans": [
            {"policy": p.policy, "version": p.version}
            for p in sorted(plans, key=lambda p: p.policy)
        ],
        "statements": sorted(statements, key=lambda s: (s["participant"], s["plan"])),
        "warnings": list(dict.fromkeys(warnings)),
    }


def _in_period(problem: Problem, period: Period, target: Period) -> Problem:
    """Say which other period failed: an earlier one makes the evaluation of `target` fail
    too; a later one, a span from `target` on (`payables_from`)."""
    if period == target:
        return problem
    where = "earlier" if period < target else "later"
    return Problem(
        problem.path,
        f"in {where} period {period} (needed for {target}): {problem.message}",
        rule=problem.rule,
        position=problem.position,
    )


def evaluate_text(
    plans: Sequence[Plan], data: Data, period: str, *, engine: str = "durable", fmt="json"
) -> str:
    """The output as canonical JSON text (`fmt="json"`) or a statement table."""
    output = evaluate(plans, data, period, engine=engine)
    return to_json(output) if fmt == "json" else to_table(output)


# How far a dated hold is followed past the last close date, event or adjustment.
MAX_LATER_PERIODS = 12


def _data_end(context: PlanContext, index: DataIndex, first: Period) -> date:
    days = [first.end]
    if index.deals_in_order:
        days.append(index.deals_in_order[-1].close_date)
    if index.events:
        days.append(index.events[-1].date)
    for ex in context.adjustments:
        with suppress(PeriodError):  # first_period() reports it
            days.append(Period.parse(ex.period).end)
    return max(days)


def _more_to_come(ledger: Ledger, current: Period, data_end: date) -> bool:
    """Whether a later period can still move pay: data after it, or a held line waiting
    for a release dated after it."""
    if current.end < data_end:
        return True
    return any(
        not held.done and held.release is not None and held.release > current.end
        for held in ledger.held
    )


def payables_from(
    plans: Sequence[Plan], data: Data, first: str, *, engine: str = "durable"
) -> dict[str, dict[tuple[str, str], Decimal]]:
    """Each statement's `payable`, by period name then (participant, plan), in `first` and
    every later period in which the data can still move pay: up to the last close date,
    event or adjustment, and on while a held line waits for a dated release (at most
    `MAX_LATER_PERIODS` past the data). Raises `EvaluationError` as `evaluate` does."""
    try:
        start = Period.parse(first)
    except PeriodError as exc:
        raise EvaluationError([Problem("period", str(exc))]) from None
    problems: list[Problem] = []
    out: dict[str, dict[tuple[str, str], Decimal]] = {}
    index = DataIndex(data)
    with exact_context():
        for plan in sorted(plans, key=lambda p: p.policy):
            context = PlanContext(plan, index, engine)
            ledger = Ledger()
            data_end = _data_end(context, index, start)
            limit = Period.containing(data_end, start.kind)
            for _ in range(MAX_LATER_PERIODS):
                limit = limit.next()
            for current, result in _periods(context, ledger, start, problems, explain=False):
                if current < start:
                    continue
                payables = out.setdefault(current.name, {})
                for participant, statement in result.items():
                    # As the statement shows it (`statement_dict`): text with 2 decimals.
                    payables[(participant, plan.policy)] = Decimal(money(statement.payable))
                if current >= limit or not _more_to_come(ledger, current, data_end):
                    break
    if problems:
        raise EvaluationError(problems)
    return out
