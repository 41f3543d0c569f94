"""Shared checks for plan documents and evaluation data: collect problems, never stop early.

A `Checker` walks a parsed document and records a located `Problem` for everything wrong
(JSON path, rule id), returning `None` for a value it could not read so that the caller can
go on checking the rest. Numbers are read exactly from int, Decimal, numeric text or (when a
caller hands us parsed JSON with floats) a float's shortest repr.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from rules.canonical import DecimalText, normalise_decimal, number_from_float
from rules.problems import Problem
from rules.text import LONE_SURROGATE, characters
from rules.yamlload import check_decimal_range

_NUMBER_TEXT = re.compile(r"^[-+]?(?:(?:0|[1-9][0-9]*)(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?$")
_PLAIN_NUMBER = re.compile(r"[-+]?(?:(?:0|[1-9][0-9]*)(?:\.[0-9]*)?|\.[0-9]+)\Z")
_SHORT = 40  # MAX_DIGITS and MAX_EXPONENT (rules/yamlload.py)
_BIG = 10**_SHORT  # ints below this have at most MAX_DIGITS digits
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")
_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def child(path: str, key: Any) -> str:
    """`$.rates` + 2 -> `$.rates[2]`; + "rate" -> `$.rates.rate`; odd keys are quoted."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    if isinstance(key, str) and _PLAIN_KEY.match(key):
        return f"{path}.{key}"
    return f'{path}["{key}"]'


def describe(value: Any) -> str:
    """A short, human name for a wrong value in a message."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, DecimalText):
        return str(value)
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"the text {shown!r}"
    return repr(value) if not isinstance(value, (int, Decimal)) else str(value)


def read_decimal(value: Any) -> Decimal | None:
    """The exact Decimal of a number or numeric text, or None if it is not one."""
    if value.__class__ is str and len(value) <= _SHORT and _PLAIN_NUMBER.match(value):
        # Short text without exponent or spaces (the common case, read first): at most
        # 40 digits and a 40-place exponent, so within check_decimal_range's limits.
        return Decimal(value)
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, DecimalText):
        return Decimal(str(value))
    if isinstance(value, int):
        value = Decimal(value)
    if isinstance(value, float):
        value = number_from_float(value)
    if isinstance(value, str):
        if not _NUMBER_TEXT.match(value.strip()):
            return None
        try:
            value = Decimal(value.strip())
        except InvalidOperation:  # pragma: no cover - the pattern already excludes these
            return None
    if isinstance(value, Decimal):
        try:
            check_decimal_range(value)
        except ValueError:
            return None
        return value
    return None


def read_date(value: Any) -> date | None:
    """An ISO `YYYY-MM-DD` text or a date object (not a datetime), else None."""
    if isinstance(value, str):  # the common case, read first
        if not _ISO_DATE.match(value):
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    if isinstance(value, datetime):
        return None
    if isinstance(value, date):
        return value
    return None


def _not_a_number(value: Any) -> str:
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        return TOO_LARGE
    return f"expected a number, got {describe(value)}"


TOO_LARGE = "number is too large or too precise (at most 40 digits)"


class Checker:
    """Collects problems while reading values out of nested mappings."""

    def __init__(self, *, patch_numbers: bool = False):
        self.problems: list[Problem] = []
        # When the mapping being read is our own document copy, numbers read from text are
        # written back in normalised form so that "0.06" and 0.060 hash the same.
        self.patch_numbers = patch_numbers

    # ------------------------------------------------------------------ recording
    def error(self, path: str, message: str, rule: str | None = None, **kw: Any) -> None:
        problem = Problem(path=path, message=message, rule=rule, **kw)
        if problem not in self.problems:  # two checks may find the same thing
            self.problems.append(problem)

    def warn(self, path: str, message: str, rule: str | None = None, **kw: Any) -> None:
        self.problems.append(
            Problem(path=path, message=message, rule=rule, severity="warning", **kw)
        )

    def add(self, problems: Iterable[Problem], prefix: str | None = None) -> None:
        """Take problems found elsewhere; `prefix` replaces their leading `$`."""
        for p in problems:
            if prefix is not None and p.path.startswith("$"):
                p = Problem(
                    path=prefix + p.path[1:],
                    message=p.message,
                    rule=p.rule,
                    position=p.position,
                    severity=p.severity,
                )
            self.problems.append(p)

    @property
    def has_errors(self) -> bool:
        return any(p.severity == "error" for p in self.problems)

    # ------------------------------------------------------------------ structure
    def mapping(self, value: Any, path: str, what: str = "a mapping", rule: str | None = None):
        if isinstance(value, Mapping):
            return value
        self.error(path, f"expected {what}, got {describe(value)}", rule)
        return None

    def sequence(self, value: Any, path: str, what: str = "a list", rule: str | None = None):
        if isinstance(value, (list, tuple)):
            return value
        self.error(path, f"expected {what}, got {describe(value)}", rule)
        return None

    def keys(
        self,
        mapping: Mapping,
        path: str,
        required: Iterable[str] = (),
        optional: Iterable[str] = (),
        rule: str | None = None,
    ) -> bool:
        """Report missing required keys and unknown keys; True if there were none."""
        required = list(required)
        allowed = required + list(optional)
        if all(key in allowed for key in mapping) and all(key in mapping for key in required):
            return True  # the common case; a key that is not text is never `in allowed`
        ok = True
        for key in mapping:
            if not isinstance(key, str):
                self.error(path, f"key {describe(key)} is not text", rule)
                ok = False
            elif key not in allowed:
                hint = difflib.get_close_matches(key, allowed, n=1)
                suggestion = f"; did you mean {hint[0]!r}?" if hint else ""
                self.error(
                    child(path, key),
                    f"unknown key {key!r}{suggestion} (allowed: {', '.join(allowed)})",
                    rule,
                )
                ok = False
        for key in required:
            if key not in mapping:
                self.error(path, f"missing required key {key!r}", rule)
                ok = False
        return ok

    # ------------------------------------------------------------------ scalars
    def text(
        self,
        mapping: Mapping,
        key: str,
        path: str,
        *,
        rule: str | None = None,
        pattern: re.Pattern[str] | None = None,
        pattern_help: str = "",
        nullable: bool = False,
    ) -> str | None:
        if key not in mapping:
            return None
        value = mapping[key]
        if value is None and nullable:
            return None
        if value.__class__ is str and value.isascii() and value.strip() and pattern is None:
            return value  # the common case: plain ASCII text (no surrogates) needs no check
        where = child(path, key)
        if not isinstance(value, str) or isinstance(value, DecimalText):
            self.error(where, f"expected text, got {describe(value)}", rule)
            return None
        if not value.strip():
            self.error(where, "must not be empty", rule)
            return None
        value = characters(value)
        if value is None:
            self.error(where, f"the text {LONE_SURROGATE}", rule)
            return None
        if pattern is not None and not pattern.match(value):
            self.error(where, f"{value!r} is not {pattern_help or pattern.pattern}", rule)
            return None
        return value

    def decimal(
        self,
        mapping: Mapping,
        key: str,
        path: str,
        *,
        rule: str | None = None,
        minimum: Decimal | int | None = None,
        above: Decimal | int | None = None,
        maximum: Decimal | int | None = None,
        nullable: bool = False,
    ) -> Decimal | None:
        """A number (or numeric text); `minimum` is inclusive, `above` exclusive."""
        if key not in mapping:
            return None
        value = mapping[key]
        if value is None and nullable:
            return None
        number = read_decimal(value)
        if number is None:
            self.error(child(path, key), _not_a_number(value), rule)
            return None
        if minimum is not None and number < minimum:
            self.error(child(path, key), f"must be at least {minimum}, got {number}", rule)
            return None
        if above is not None and number <= above:
            self.error(child(path, key), f"must be more than {above}, got {number}", rule)
            return None
        if maximum is not None and number > maximum:
            self.error(child(path, key), f"must be at most {maximum}, got {number}", rule)
            return None
        if self.patch_numbers and isinstance(mapping, dict):
            text = normalise_decimal(number)
            mapping[key] = int(text) if "." not in text else DecimalText(text)
        return number

    def integer(
        self,
        mapping: Mapping,
        key: str,
        path: str,
        *,
        rule: str | None = None,
        minimum: int | None = None,
        nullable: bool = False,
    ) -> int | None:
        if key not in mapping:
            return None
        value = mapping[key]
        if value is None and nullable:
            return None
        if value.__class__ is int and -_BIG < value < _BIG:
            result = value  # the common case: an int read_decimal accepts, already whole
        else:
            number = read_decimal(value)
            if number is None or number != number.to_integral_value():
                self.error(
                    child(path, key), f"expected a whole number, got {describe(value)}", rule
                )
                return None
            result = int(number)
        if minimum is not None and result < minimum:
            self.error(child(path, key), f"must be at least {minimum}, got {result}", rule)
            return None
        if self.patch_numbers and isinstance(mapping, dict):
            mapping[key] = result
        return result

    def boolean(
        self, mapping: Mapping, key: str, path: str, *, rule: str | None = None
    ) -> bool | None:
        if key not in mapping:
            return None
        value = mapping[key]
        if isinstance(value, bool):
            return value
        self.error(child(path, key), f"expected true or false, got {describe(value)}", rule)
        return None

    def date(
        self,
        mapping: Mapping,
        key: str,
        path: str,
        *,
        rule: str | None = None,
        nullable: bool = False,
    ) -> date | None:
        if key not in mapping:
            return None
        value = mapping[key]
        if value is None and nullable:
            return None
        result = read_date(value)
        if result is None:
            self.error(child(path, key), f"expected a date YYYY-MM-DD, got {describe(value)}", rule)
        return result
