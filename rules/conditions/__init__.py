"""The `when` condition language (spec section 2): parse, type-check, evaluate.

    cond = parse_condition('deal.type == "new" and deal.amount >= 10000')
    cond.holds({"deal.type": "new", "deal.amount": Decimal("12000")})  # True

`Condition.holds` is the plain-Python oracle; `rules.matcher` compiles many conditions
into one durable-rules ruleset and must agree with it. Nothing here uses eval/exec.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from rules.conditions.analysis import canonical as _canonical
from rules.conditions.analysis import never_matches as _never_matches
from rules.conditions.errors import ConditionError
from rules.conditions.nodes import Node, fields_of
from rules.conditions.oracle import Predicate, compile_predicate
from rules.conditions.parser import parse

__all__ = ["ROOTS", "Condition", "ConditionError", "parse_condition"]

ROOTS = frozenset({"deal", "participant", "assignment", "credit"})


@dataclass(frozen=True)
class Condition:
    """A parsed, type-checked condition. Equal (and hashing equal) when the text is."""

    text: str
    fields: frozenset[str] = field(compare=False)
    node: Node = field(compare=False, repr=False)
    _predicate: Predicate = field(compare=False, repr=False)

    def holds(self, facts: Mapping[str, object]) -> bool:
        """The oracle: does the condition hold for these flat dotted-path facts?"""
        return self._predicate(facts)

    def canonical(self) -> str:
        """Normalised text: one spelling for layout, redundant parentheses and 0.20/0.2."""
        return _canonical(self.node)

    def never_matches(self) -> str | None:
        """Why no facts can satisfy the condition (given the field types), else None."""
        return _never_matches(self.node)


def parse_condition(text: str, allowed_roots: frozenset[str] = ROOTS) -> Condition:
    """Parse `text`; raise ConditionError (message, 1-based position) when it is invalid.

    `allowed_roots` restricts the fields: credit rules pass {"deal"}.
    """
    if not isinstance(text, str):
        raise ConditionError("a condition must be a string", 1, str(text))
    node = parse(text, frozenset(allowed_roots))
    return Condition(text, fields_of(node), node, compile_predicate(node))
