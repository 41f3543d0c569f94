"""Located problems: the one way `rules/` reports bad plans, bad data and failed evaluations.

Every problem says where it is (a JSON path such as `$.rates[2].when`, a CSV row, a rule
id, a column inside an expression) so the person who wrote the input can fix it without
reading code. Validation collects all problems before raising, never only the first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    path: str  # "$.rates[2].when", "$.deals[3].amount", "row 12, column amount"
    message: str
    rule: str | None = None  # the plan rule id, when the problem belongs to one
    position: int | None = None  # 1-based column inside a `when` expression
    severity: Severity = "error"

    def __str__(self) -> str:
        where = self.path
        if self.rule:
            where += f" (rule {self.rule})"
        if self.position is not None:
            where += f" at column {self.position}"
        return f"{self.severity}: {where}: {self.message}"

    def as_dict(self) -> dict:
        out = {"path": self.path, "message": self.message, "severity": self.severity}
        if self.rule is not None:
            out["rule"] = self.rule
        if self.position is not None:
            out["position"] = self.position
        return out


class ProblemsError(Exception):
    """Base: carries every problem found, in input order."""

    def __init__(self, problems: list[Problem] | tuple[Problem, ...]):
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class InvalidPlan(ProblemsError):
    """The plan document is malformed, has unknown keys, bad conditions or bad values."""


class InvalidData(ProblemsError):
    """The evaluation data (section 3 of the spec) is malformed or inconsistent."""


class EvaluationError(ProblemsError):
    """Valid input that cannot be evaluated: missing quota, missing FX rate, shares over 1."""
