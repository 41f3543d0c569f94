"""Type checking of one comparison against the field catalogue.

Returns the comparison with its field type recorded and its literals converted to the
values the oracle and the matcher compare: date strings become `datetime.date` when the
field is a date (or when an attribute is ordered against a date string).
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from decimal import Decimal

from rules.conditions.errors import ConditionError
from rules.conditions.nodes import ORDERING, Compare, FieldCompare, Scalar
from rules.conditions.types import ATTRIBUTE_ROOTS, TYPE_NAMES, field_type, suggest

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")  # ASCII digits: not `\d`
ALL_ROOTS = frozenset({"deal", "participant", "assignment", "credit"})


def parse_iso_date(text: str) -> date | None:
    """The date written strictly as YYYY-MM-DD, else None (no other ISO forms)."""
    if not _ISO_DATE.match(text):
        return None
    try:
        return date(int(text[:4]), int(text[5:7]), int(text[8:10]))
    except ValueError:
        return None


def describe(value: Scalar) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return f"the number {value}"
    return f'the string "{value}"'


def kind_of_literal(value: Scalar) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, Decimal):
        return "number"
    if isinstance(value, date):
        return "date"
    if value is None:
        return "null"
    return "string"


def _check_field(path: str, position: int, text: str, roots: frozenset[str]) -> str:
    root = path.split(".")[0]
    ftype = field_type(path)
    if ftype is None:
        if path.count(".") == 1 and path.endswith(".attributes") and root in ATTRIBUTE_ROOTS:
            raise ConditionError(f"{path} needs a name: {path}.NAME", position, text)
        hint = suggest(path, roots)
        message = f"unknown field {path}"
        if hint:
            message += f" (did you mean {hint}?)"
        raise ConditionError(message, position, text)
    if root not in roots:
        allowed = ", ".join(f"{r}.*" for r in sorted(roots))
        raise ConditionError(
            f"{path} cannot be used here; only {allowed} fields are allowed", position, text
        )
    return ftype


# Field types that can be compared with each other ("any": an attribute, known at run time).
_FAMILY = {"decimal": "number", "integer": "number", "string": "string", "date": "date"}


def check_field_compare(node: FieldCompare, text: str, roots: frozenset[str]) -> FieldCompare:
    """Two fields compared: same family of type (numbers, strings, dates; an attribute
    goes with any), ordering on numbers and dates only, lists never."""
    left = _check_field(node.field, node.position, text, roots)
    right = _check_field(node.other, node.other_position, text, roots)
    for path, ftype, position in (
        (node.field, left, node.position),
        (node.other, right, node.other_position),
    ):
        if ftype == "list":
            raise ConditionError(
                f"{path} is a list of strings: use 'contains' with a \"string\"", position, text
            )
        if node.op in ORDERING and ftype == "string":
            raise ConditionError(
                f"'{node.op}' applies to numbers and dates, {path} is a string",
                node.op_position,
                text,
            )
    if "any" not in (left, right) and _FAMILY[left] != _FAMILY[right]:
        raise ConditionError(
            f"{node.field} is {TYPE_NAMES[left]} and {node.other} is {TYPE_NAMES[right]}: "
            "they cannot be compared",
            node.op_position,
            text,
        )
    return node


def check_compare(node: Compare, text: str, roots: frozenset[str]) -> Compare:
    """Validate `node` and return it typed; raise ConditionError at the offending column."""
    ftype = _check_field(node.field, node.position, text, roots)
    op, path = node.op, node.field
    tname = TYPE_NAMES[ftype]

    def fail_op(message: str) -> ConditionError:
        return ConditionError(message, node.op_position, text)

    def fail_value(message: str) -> ConditionError:
        return ConditionError(message, node.value_position, text)

    if node.value is None:
        if op not in ("==", "!="):
            raise fail_value(f"null can only be compared with == or !=, not '{op}'")
        return replace(node, ftype=ftype)
    if op == "contains":
        if ftype not in ("list", "any"):
            raise fail_op(f"'contains' applies to lists, {path} is {tname}")
        if not isinstance(node.value, str):
            raise fail_value(f"'contains' needs a string value, not {describe(node.value)}")
        return replace(node, ftype=ftype)
    if ftype == "list":
        raise fail_op(f"{path} is a list of strings: use 'contains', not '{op}'")
    if op in ORDERING:
        if ftype == "string":
            raise fail_op(f"'{op}' applies to numbers and dates, {path} is a string")
        value = _convert(node.value, op, path, ftype, fail_value)
        return replace(node, value=value, ftype=ftype)
    if op in ("in", "not in"):
        assert isinstance(node.value, tuple)
        values = tuple(_convert(v, op, path, ftype, fail_value) for v in node.value)
        kinds = {kind_of_literal(v) for v in values}
        if len(kinds) > 1:
            raise fail_value("a list must hold values of one type (numbers, strings or booleans)")
        return replace(node, value=values, ftype=ftype)
    return replace(node, value=_convert(node.value, op, path, ftype, fail_value), ftype=ftype)


def _convert(value: Scalar, op: str, path: str, ftype: str, fail) -> Scalar:
    """Check one literal against the field type and convert date strings to dates."""
    tname = TYPE_NAMES[ftype]
    ordering = op in ORDERING
    if ftype in ("decimal", "integer"):
        if not isinstance(value, Decimal) or isinstance(value, bool):
            raise fail(f"{path} is {tname}; compare it with a number, not {describe(value)}")
        return value
    if ftype == "string":
        if not isinstance(value, str):
            raise fail(f'{path} is a string; compare it with a "string", not {describe(value)}')
        return value
    if ftype == "date":
        parsed = parse_iso_date(value) if isinstance(value, str) else None
        if parsed is None:
            if isinstance(value, str):
                raise fail(f'{path} is a date; "{value}" is not a valid date (write "YYYY-MM-DD")')
            raise fail(f'{path} is a date; compare it with "YYYY-MM-DD", not {describe(value)}')
        return parsed
    # ftype == "any": an attribute; any literal, but ordering needs a number or a date.
    if ordering:
        if isinstance(value, Decimal):
            return value
        parsed = parse_iso_date(value) if isinstance(value, str) else None
        if parsed is None:
            raise fail(f"'{op}' applies to numbers and dates, not {describe(value)}")
        return parsed
    return value
