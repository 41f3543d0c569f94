"""The plain-Python meaning of a condition: the oracle every engine must agree with.

A condition is compiled once into nested closures (no eval). A missing or null field, or
a value of another type, makes a comparison false (only `== null` / `!= null` look at
nullness); `not` negates the whole expression under it; a float is refused (TypeError):
money and ratios reach the rules as Decimal only.

The semantics (spec section 2, and Accord's decisions): docs/conditions.md, "Types" and
"Null semantics".
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal

from rules.conditions.checker import parse_iso_date
from rules.conditions.nodes import (
    ORDERING,
    And,
    Compare,
    Const,
    FieldCompare,
    Node,
    Not,
    Or,
    Scalar,
)

Predicate = Callable[[Mapping[str, object]], bool]

_CMP = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def classify(path: str, value: object) -> tuple[str, object]:
    """(kind, normalised value): kind is null, bool, number, date, string, list or other."""
    if value is None:
        return "null", None
    if isinstance(value, bool):
        return "bool", value
    if isinstance(value, int):
        return "number", Decimal(value)
    if isinstance(value, Decimal):
        return ("number", value) if value.is_finite() else ("other", value)
    if isinstance(value, float):
        raise TypeError(f"{path} is a float ({value!r}); pass Decimal values to conditions")
    if isinstance(value, datetime):
        return "other", value  # a timestamp is not a date; the data model has none
    if isinstance(value, date):
        return "date", value
    if isinstance(value, str):
        return "string", value
    if isinstance(value, list | tuple):
        return "list", tuple(value)
    return "other", value


def comparable(literal: Scalar, kind: str, value: object) -> object | None:
    """The value converted to the literal's type, or None when the types do not match."""
    if isinstance(literal, bool):
        return value if kind == "bool" else None
    if isinstance(literal, Decimal):
        return value if kind == "number" else None
    if isinstance(literal, date):
        if kind == "date":
            return value
        return parse_iso_date(value) if kind == "string" else None
    if isinstance(literal, str):
        if kind == "string":
            return value
        return value.isoformat() if kind == "date" else None
    return None


def _compare(node: Compare) -> Predicate:
    path, op, literal = node.field, node.op, node.value
    if literal is None:
        if op == "==":
            return lambda facts: facts.get(path) is None
        return lambda facts: facts.get(path) is not None
    if op == "contains":

        def contains(facts: Mapping[str, object]) -> bool:
            kind, value = classify(path, facts.get(path))
            return kind == "list" and any(isinstance(e, str) and e == literal for e in value)

        return contains
    if op in ("in", "not in"):
        items = tuple(literal)
        negated = op == "not in"
        field_kind = node.ftype

        def member(facts: Mapping[str, object]) -> bool:
            kind, value = classify(path, facts.get(path))
            if kind == "null":
                return False
            if not items:
                # `x not in []`: true for any present value of the field's type.
                return negated and _kind_fits(field_kind, kind, value)
            converted = comparable(items[0], kind, value)
            if converted is None:
                return False  # mismatched types: false for `in` and `not in` alike
            found = any(converted == item for item in items)
            return found != negated

        return member
    compare = _CMP[op]

    def scalar(facts: Mapping[str, object]) -> bool:
        kind, value = classify(path, facts.get(path))
        converted = comparable(literal, kind, value)
        return converted is not None and compare(converted, literal)

    return scalar


def _field_compare(node: FieldCompare) -> Predicate:
    """Two fields: false when either is null or their kinds differ (a "YYYY-MM-DD" string
    reads as a date beside a date); ordering needs numbers or dates."""
    left, op, right = node.field, node.op, node.other
    compare = _CMP[op]
    ordering = op in ORDERING

    def both(facts: Mapping[str, object]) -> bool:
        kind_a, a = classify(left, facts.get(left))
        kind_b, b = classify(right, facts.get(right))
        if "date" in (kind_a, kind_b) or (ordering and kind_a == kind_b == "string"):
            a, b = comparable(date.min, kind_a, a), comparable(date.min, kind_b, b)
            kind_a = kind_b = "date" if a is not None and b is not None else "other"
        if kind_a != kind_b or kind_a not in ("number", "date", "string", "bool"):
            return False
        if ordering and kind_a not in ("number", "date"):
            return False
        return compare(a, b)

    return both


def _kind_fits(ftype: str, kind: str, value: object) -> bool:
    if ftype in ("decimal", "integer"):
        return kind == "number"
    if ftype == "string":
        return kind == "string"
    if ftype == "date":
        return kind == "date" or (kind == "string" and parse_iso_date(value) is not None)
    return kind != "null"


def compile_predicate(node: Node) -> Predicate:
    """Compile a checked syntax tree into a closure over a flat facts mapping."""
    if isinstance(node, Compare):
        return _compare(node)
    if isinstance(node, FieldCompare):
        return _field_compare(node)
    if isinstance(node, Not):
        inner = compile_predicate(node.item)
        return lambda facts: not inner(facts)
    if isinstance(node, And):
        parts = tuple(compile_predicate(i) for i in node.items)
        return lambda facts: all(p(facts) for p in parts)
    if isinstance(node, Or):
        parts = tuple(compile_predicate(i) for i in node.items)
        return lambda facts: any(p(facts) for p in parts)
    if isinstance(node, Const):
        value = node.value
        return lambda facts: value
    raise TypeError(f"not a condition node: {node!r}")
