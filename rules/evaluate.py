"""Evaluate compensation plans for one period: exact, explainable, deterministic.

`evaluate(plans, data, "2026-Q3")` returns the section-5 output of the plan-language
spec. Evaluating P replays every earlier period in the data (from the earliest
assignment start, close date or adjustment) so that holds, clawbacks and draw balances
carry over; any period that cannot be evaluated makes the whole evaluation fail with an
`EvaluationError` listing every problem. Conditions are decided by the matcher
(durable-rules by default, `engine="python"` for the plain-Python oracle); every amount is
computed with exact fractions and rounded once, to cents half-up, on its line.
"""

from __future__ import annotations

import gc
from collections.abc import Sequence
from typing import Any

from rules.evaluation.context import DataIndex, PlanContext
from rules.evaluation.ledger import Ledger
from rules.evaluation.numbers import exact_context
from rules.evaluation.output import statement_dict, to_json, to_table
from rules.evaluation.period import evaluate_period
from rules.model import Data, Plan
from rules.period import Period, PeriodError
from rules.problems import EvaluationError, Problem

__all__ = ["evaluate", "evaluate_text", "to_json", "to_table"]


def evaluate(
    plans: Sequence[Plan], data: Data, period: str, *, engine: str = "durable"
) -> dict[str, Any]:
    """The section-5 output for `period` over `plans`; raises `EvaluationError`."""
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

    # The evaluation allocates many small objects and no reference cycles: pausing the
    # cyclic garbage collector while it runs halves its time on large inputs (every
    # collection would rescan the whole input). The previous state is restored after.
    collecting = gc.isenabled()
    gc.disable()
    try:
        with exact_context():
            return _evaluate(plans, data, target, engine)
    finally:
        if collecting:
            gc.enable()


def _evaluate(plans: Sequence[Plan], data: Data, target: Period, engine: str) -> dict[str, Any]:
    problems: list[Problem] = []
    index = DataIndex(data)
    statements: list[dict[str, Any]] = []
    warnings: list[str] = []
    for plan in sorted(plans, key=lambda p: p.policy):
        context = PlanContext(plan, index, engine)
        ledger = Ledger()
        current = context.first_period(target)
        while True:
            context.warnings = []
            # Earlier periods are replayed for their ledger only: skip building traces.
            context.explain = current == target
            result = evaluate_period(context, ledger, current)
            for problem in context.problems:
                problems.append(_in_period(problem, current, target))
            context.problems = []
            if current == target:
                break
            current = current.next()
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
    """Say which earlier period failed: it makes the evaluation of `target` fail too."""
    if period == target:
        return problem
    return Problem(
        problem.path,
        f"in earlier period {period} (needed for {target}): {problem.message}",
        rule=problem.rule,
        position=problem.position,
    )


def evaluate_text(
    plans: Sequence[Plan], data: Data, period: str, *, engine: str = "durable", fmt="json"
) -> str:
    """The output as canonical JSON text (`fmt="json"`) or a statement table."""
    output = evaluate(plans, data, period, engine=engine)
    return to_json(output) if fmt == "json" else to_table(output)
