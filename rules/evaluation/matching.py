"""Which of a plan's conditional rules hold: decided by the condition matcher.

A plan's conditions are split in two: the deal's (credit `when`s, which may only use
`deal.*`, plus any eligibility, rate, gate or spif condition that reads only `deal.*`
fields) and the line's (those that read participant, assignment or credit fields). When
no credit rule has a condition, the targets of a deal are known before anything is
matched, so its first credit line asserts one fact against every condition (`for_all`):
line facts hold the deal facts unchanged, so the deal's conditions are decided there as on
the deal alone. Its later lines assert the line conditions only. A deal thus costs one
fact, plus one per further line (docs/decisions.md, "Evaluate speed (issue 14)").
With conditional credit rules, the deal is asserted first (`for_deal`), to pick the
credit rules, then each line (`for_line`). A stage without conditions asserts nothing.
The evaluator asks about many facts at once (`many`: one durable-rules session for up to
256 facts, rules/evaluation/lines.py and docs/decisions.md, "Batched matching").
`engine="durable"` decides through durable-rules (via `rules.matcher`); `engine="python"`
calls `Condition.holds` directly, the plain-Python oracle the durable engine is checked
against.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from rules.matcher import Matcher, compile_matcher
from rules.model import Plan

Facts = Mapping[str, Any]
EMPTY: frozenset[str] = frozenset()
ENGINES = ("durable", "python")


def condition_text(condition: Any) -> str:
    """The source text of a condition, for naming the compiled matcher and for traces."""
    for name in ("text", "source", "expression"):
        value = getattr(condition, name, None)
        if isinstance(value, str):
            return value
    return str(condition)


def condition_fields(condition: Any) -> frozenset[str] | None:
    """The field paths a condition reads, when the condition can say (else None)."""
    for name in ("fields", "paths"):
        value = getattr(condition, name, None)
        if value is not None and not callable(value):
            return frozenset(value)
    return None


def _deal_only(condition: Any) -> bool:
    fields = condition_fields(condition)
    return fields is not None and all(f.startswith("deal.") for f in fields)


def plan_conditions(plan: Plan) -> dict[str, Any]:
    """Every conditional rule of the plan, keyed `stage:id`, in document order."""
    conditions: dict[str, Any] = {}
    for rule in plan.credit:
        if rule.when is not None:
            conditions["credit:" + rule.id] = rule.when
    for rule in plan.eligibility:
        conditions["eligibility:" + rule.id] = rule.when
    for stage, rules in (("rate", plan.rates), ("gate", plan.gates), ("spif", plan.spifs)):
        for rule in rules:
            if rule.when is not None:
                conditions[f"{stage}:{rule.id}"] = rule.when
    return conditions


_COMPILED: dict[str, Any] = {}


def _compile(conditions: Mapping[str, Any], stage: str, engine: str) -> Matcher | None:
    if not conditions:
        return None
    if engine == "python":
        return compile_matcher(dict(conditions), name=stage, engine=engine)
    digest = hashlib.sha256(
        "\n".join(f"{k}\t{condition_text(c)}" for k, c in conditions.items()).encode()
    ).hexdigest()[:20]
    name = f"accord_{stage}_{digest}"
    matcher = _COMPILED.get(name)
    if matcher is None:
        matcher = compile_matcher(dict(conditions), name=name, engine=engine)
        _COMPILED[name] = matcher
    return matcher


class PlanMatcher:
    """Matches a plan's conditions against deal facts and credit-line facts."""

    def __init__(self, plan: Plan, engine: str = "durable"):
        if engine not in ENGINES:
            raise ValueError(f"engine must be one of {ENGINES}, not {engine!r}")
        per_deal: dict[str, Any] = {}
        per_line: dict[str, Any] = {}
        for key, condition in plan_conditions(plan).items():
            if key.startswith("credit:") or _deal_only(condition):
                per_deal[key] = condition
            else:
                per_line[key] = condition
        self.deal_conditions = per_deal
        self.line_conditions = per_line
        self.deal_keys = frozenset(per_deal)
        # No conditional credit rule: a deal's first line decides every condition.
        self.combined = not any(key.startswith("credit:") for key in per_deal)
        self._deal = None if self.combined else _compile(per_deal, "deal", engine)
        self._line = _compile(per_line, "line", engine)
        self._all = _compile({**per_deal, **per_line}, "all", engine) if self.combined else None

    def for_deal(self, facts: Facts) -> frozenset[str]:
        return self._deal.matching(facts) if self._deal is not None else EMPTY

    def for_line(self, facts: Facts) -> frozenset[str]:
        return self._line.matching(facts) if self._line is not None else EMPTY

    def for_all(self, facts: Facts) -> frozenset[str]:
        """Every condition that holds on a credit line's facts (`combined` plans only)."""
        return self._all.matching(facts) if self._all is not None else EMPTY

    def many(self, stage: str, facts: Sequence[Facts]) -> list[frozenset[str]]:
        """`for_<stage>` ("deal", "line" or "all") of each of `facts`, asked together:
        the engine takes many facts per session (`Matcher.matching_many`)."""
        matcher = {"deal": self._deal, "line": self._line, "all": self._all}[stage]
        if matcher is None:
            return [EMPTY] * len(facts)
        return matcher.matching_many(facts)
