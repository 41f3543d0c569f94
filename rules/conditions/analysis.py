"""Canonical text and "can this ever match?" analysis of a checked condition.

`canonical` gives one spelling per meaning-preserving layout (spacing, redundant
parentheses, `0.20` vs `0.2`), so plan diffs show real changes only. `never_matches`
finds conditions that the field types make unsatisfiable; it is sound (a reason is only
given when nothing can match) but not complete.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

from rules.conditions.checker import kind_of_literal
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
    negation_normal_form,
)
from rules.conditions.types import NON_NEGATIVE

# -------------------------------------------------------------------- canonical text


def literal_text(value: Scalar) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return "0" if value == 0 else format(value.normalize(), "f")
    if isinstance(value, date):
        return f'"{value.isoformat()}"'
    return json.dumps(value, ensure_ascii=False)


def compare_text(node: Compare) -> str:
    if isinstance(node.value, tuple):
        value = "[" + ", ".join(literal_text(v) for v in node.value) + "]"
    else:
        value = literal_text(node.value)
    return f"{node.field} {node.op} {value}"


def canonical(node: Node) -> str:
    if isinstance(node, Compare):
        return compare_text(node)
    if isinstance(node, FieldCompare):
        return f"{node.field} {node.op} {node.other}"
    if isinstance(node, Const):
        return "true" if node.value else "false"
    if isinstance(node, Not):
        return f"not ({canonical(node.item)})"
    kind = type(node)
    parts: list[str] = []
    for item in node.items:
        if isinstance(item, kind):  # (a and b) and c == a and b and c
            parts.extend(canonical(i) for i in item.items)
        elif isinstance(node, And) and isinstance(item, Or):
            parts.append(f"({canonical(item)})")
        else:
            parts.append(canonical(item))
    return (" and " if isinstance(node, And) else " or ").join(parts)


# -------------------------------------------------------------------- never matches


def never_matches(node: Node) -> str | None:
    return _unsat(negation_normal_form(node))


def _unsat(node: Node) -> str | None:
    if isinstance(node, Const):
        return None if node.value else "the condition is always false"
    if isinstance(node, Compare):
        return _atom_unsat(node)
    if isinstance(node, Not | FieldCompare):
        # a negated comparison holds at least when its field is null; two fields: unknown
        return None
    if isinstance(node, Or):
        reasons = [_unsat(i) for i in node.items]
        if all(reasons):
            return "; ".join(dict.fromkeys(r for r in reasons if r))
        return None
    for item in node.items:
        reason = _unsat(item)
        if reason:
            return reason
    return _conjunction_unsat(node)


def _atom_unsat(node: Compare) -> str | None:
    text = compare_text(node)
    op, value, path = node.op, node.value, node.field
    if op == "in" and value == ():
        return f"{text} never holds: the list is empty"
    values = value if op == "in" else (value,) if op == "==" else ()
    numbers = [v for v in values if isinstance(v, Decimal)]
    integer_only = node.ftype == "integer" and numbers and len(numbers) == len(values)
    if integer_only and all(v != v.to_integral_value() for v in numbers):
        return f"{text} never holds: {path} is an integer"
    if path in NON_NEGATIVE and isinstance(value, Decimal | tuple):
        if (op == "<" and value <= 0) or (op in ("<=", "==") and value < 0):
            return f"{text} never holds: {path} is never negative"
        if op == "in" and numbers and all(v < 0 for v in numbers):
            return f"{text} never holds: {path} is never negative"
    return None


def _conjunction_unsat(node: And) -> str | None:
    by_field: dict[str, list[Compare]] = {}
    for item in node.items:
        if isinstance(item, Compare):
            by_field.setdefault(item.field, []).append(item)
    for atoms in by_field.values():
        reason = _field_unsat(atoms)
        if reason:
            return reason
    return None


def _field_unsat(atoms: list[Compare]) -> str | None:
    """Do the comparisons on one field, all required at once, contradict each other?"""
    texts = " and ".join(compare_text(a) for a in atoms)
    reason = f"{texts} cannot all hold"
    is_null = any(a.value is None and a.op == "==" for a in atoms)
    not_null = any(not (a.value is None and a.op == "==") for a in atoms)
    if is_null and not_null:
        return reason
    kinds = {kind_of_literal(v) for a in atoms for v in _literals(a)}
    if {"string", "date"} <= kinds:
        return None  # an attribute holding "2026-07-01" is both; do not guess
    allowed: set | None = None  # values allowed by == and in (None: unrestricted)
    excluded: set = set()
    lows: list[tuple[object, bool]] = []  # (bound, strict)
    highs: list[tuple[object, bool]] = []
    for a in atoms:
        if a.value is None or a.op == "contains":
            continue
        if a.op in ("==", "in"):
            vals = set(a.value) if a.op == "in" else {a.value}
            allowed = vals if allowed is None else allowed & vals
        elif a.op in ("!=", "not in"):
            excluded |= set(a.value) if a.op == "not in" else {a.value}
        elif a.op in ORDERING:
            bound = (a.value, a.op in ("<", ">"))
            (lows if a.op in (">", ">=") else highs).append(bound)

    def inside(v: object) -> bool:
        try:
            return all(v > b if s else v >= b for b, s in lows) and all(
                v < b if s else v <= b for b, s in highs
            )
        except TypeError:  # a number against a date bound: no value is both
            return False

    if allowed is not None:
        if not any(inside(v) and v not in excluded for v in allowed):
            return reason
        return None
    try:
        for lo, lo_strict in lows:
            for hi, hi_strict in highs:
                if lo > hi or (lo == hi and (lo_strict or hi_strict)):
                    return reason
                if atoms[0].ftype == "integer" and not _has_integer(lo, lo_strict, hi, hi_strict):
                    return reason
    except TypeError:
        return reason
    return None


def _literals(a: Compare) -> tuple:
    if a.value is None:
        return ()
    return a.value if isinstance(a.value, tuple) else (a.value,)


def _has_integer(lo: Decimal, lo_strict: bool, hi: Decimal, hi_strict: bool) -> bool:
    first = lo.to_integral_value(rounding="ROUND_CEILING")
    if lo_strict and first == lo:
        first += 1
    last = hi.to_integral_value(rounding="ROUND_FLOOR")
    if hi_strict and last == hi:
        last -= 1
    return first <= last
