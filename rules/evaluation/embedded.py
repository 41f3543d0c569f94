"""Running a plan's embedded tests (spec section 7).

`rules.plantests` validates the `tests` section when the plan is loaded; this module runs
each case: it evaluates the case's data for its period with the plan alone, then compares
every expected key of every expected statement with the actual one. Amounts compare by
value (`"0.00"` equals `0`), `attainment` and `quota` may expect null. Expected `lines`
are partial lines: each must match a distinct actual line of that statement on every key
it gives (in any order). A case whose data is invalid or whose evaluation fails is a
failure that lists the problems.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from rules.data import load_data
from rules.evaluate import evaluate
from rules.model import Plan, PlanTest
from rules.problems import EvaluationError, InvalidData

LINE_NUMBERS = ("share", "credit", "rate", "amount")


@dataclass
class CaseResult:
    plan: str
    name: str
    passed: bool
    differences: list[str] = field(default_factory=list)
    invalid: bool = False  # the case's data could not be read


def _same(expected: Any, actual: Any) -> bool:
    if expected is None or actual is None:
        return expected is None and actual is None
    if isinstance(expected, bool) or isinstance(actual, bool):
        return expected == actual
    try:
        return Decimal(str(expected)) == Decimal(str(actual))
    except (InvalidOperation, ValueError):
        return str(expected) == str(actual)


def _show(value: Any) -> str:
    return "null" if value is None else str(value)


def _line_matches(expected: dict, line: dict) -> bool:
    for key, want in expected.items():
        got = line.get(key)
        if key in LINE_NUMBERS:
            if not _same(want, got):
                return False
        elif _show(want) != _show(got):
            return False
    return True


def _compare(expect: dict, statement: dict | None, who: str) -> list[str]:
    if statement is None:
        return [f"{who}: expected a statement, got none"]
    diffs = []
    for key, want in expect.items():
        if key in ("participant", "plan"):
            continue
        if key == "lines":
            unmatched = list(statement["lines"])
            for n, partial in enumerate(want):
                hit = next((ln for ln in unmatched if _line_matches(partial, ln)), None)
                if hit is None:
                    shown = ", ".join(f"{k}={_show(v)}" for k, v in partial.items())
                    actual = "; ".join(
                        ", ".join(f"{k}={_show(ln.get(k))}" for k in partial)
                        for ln in statement["lines"]
                    )
                    diffs.append(
                        f"{who} lines[{n}]: expected a line with {shown}, got "
                        f"[{actual or 'no lines'}]"
                    )
                else:
                    unmatched.remove(hit)
            continue
        got = statement.get(key)
        if not _same(want, got):
            diffs.append(f"{who} {key}: expected {_show(want)}, got {_show(got)}")
    return diffs


def run_case(plan: Plan, case: PlanTest, *, engine: str = "durable") -> CaseResult:
    result = CaseResult(plan.policy, case.name, passed=False)
    try:
        data = load_data(dict(case.data))
    except InvalidData as exc:
        result.invalid = True
        result.differences = [f"invalid data: {p}" for p in exc.problems]
        return result
    try:
        output = evaluate([plan], data, case.period, engine=engine)
    except EvaluationError as exc:
        result.differences = [f"evaluation error: {p}" for p in exc.problems]
        return result
    statements = {(s["participant"], s["plan"]): s for s in output["statements"]}
    for expect in case.expect:
        who = str(expect["participant"])
        statement = statements.get((who, str(expect.get("plan", plan.policy))))
        result.differences.extend(_compare(dict(expect), statement, who))
    result.passed = not result.differences
    return result


def run_plan_tests(plan: Plan, *, engine: str = "durable") -> list[CaseResult]:
    """Every embedded test of `plan`, in document order."""
    return [run_case(plan, case, engine=engine) for case in plan.tests]
