"""Syntax tree of a condition: comparisons joined by and / or / not.

Nodes are frozen and hashable so a parsed `Condition` can be a dict key and a field of
the frozen plan model. Literal values are `Decimal`, `str`, `bool`, `None` or (after type
checking, for date comparisons) `datetime.date`; lists are tuples.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

Scalar = Decimal | str | bool | date | None
ORDERING = frozenset({"<", "<=", ">", ">="})
NEGATED = {
    "==": "!=",
    "!=": "==",
    "<": ">=",
    ">=": "<",
    ">": "<=",
    "<=": ">",
    "in": "not in",
    "not in": "in",
}


@dataclass(frozen=True)
class Compare:
    """`field op value`; `value` is a tuple for `in` / `not in`."""

    field: str
    op: str  # == != < <= > >= in "not in" contains
    value: Scalar | tuple[Scalar, ...]
    position: int = 0  # column of the field
    op_position: int = 0
    value_position: int = 0
    ftype: str = ""  # filled by the checker: decimal integer string date list any


@dataclass(frozen=True)
class FieldCompare:
    """`field op other`: two fields (`participant.region == deal.region`)."""

    field: str
    op: str  # == != < <= > >=
    other: str
    position: int = 0
    op_position: int = 0
    other_position: int = 0


@dataclass(frozen=True)
class And:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    item: Node
    position: int = 0


@dataclass(frozen=True)
class Const:
    """A constant truth value; only produced by simplification (e.g. `x in []`)."""

    value: bool


Node = Compare | FieldCompare | And | Or | Not | Const


def fields_of(node: Node) -> frozenset[str]:
    if isinstance(node, Compare):
        return frozenset({node.field})
    if isinstance(node, FieldCompare):
        return frozenset({node.field, node.other})
    if isinstance(node, Not):
        return fields_of(node.item)
    if isinstance(node, And | Or):
        return frozenset().union(*(fields_of(i) for i in node.items))
    return frozenset()


def negation_normal_form(node: Node, negate: bool = False) -> Node:
    """Push every `not` down to the comparisons.

    `not` is the boolean negation of the whole expression under it, so a negated
    comparison is kept as `Not(Compare)` rather than flipped into the opposite operator:
    `not (x > 5)` holds for a null x, but `x <= 5` does not.
    """
    if isinstance(node, Not):
        return negation_normal_form(node.item, not negate)
    if isinstance(node, And | Or):
        items = tuple(negation_normal_form(i, negate) for i in node.items)
        becomes_or = isinstance(node, And) == negate  # De Morgan: not(a and b) = not a or not b
        return Or(items) if becomes_or else And(items)
    if isinstance(node, Const):
        return Const(node.value != negate)
    return Not(node) if negate else node
