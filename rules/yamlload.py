"""Safe, exact loading of plan and data text (YAML or JSON) into plain Python values.

The result is made only of dict, list, str, int, Decimal, bool and None: only `true` and
`false` are booleans, numbers never go through float, dates stay text (so YAML and JSON
give the same document and hash), and duplicate keys, anchors, aliases and merges are
errors. Every problem is reported, with line and column, by raising `LoadError`, which
carries `Problem`s; callers wrap them into `InvalidPlan` or `InvalidData`.

What is read how, and why: docs/plan-validation.md, "Reading text".
"""

from __future__ import annotations

import json
import re
from decimal import Decimal, InvalidOperation
from typing import Any

import yaml
from yaml.constructor import ConstructorError
from yaml.events import AliasEvent
from yaml.nodes import MappingNode

from rules.problems import Problem

# Digits beyond this are refused: no plan or data value needs them, and unbounded numbers
# (`1e999999999`) would make canonical rendering allocate without limit.
MAX_DIGITS = 40
MAX_EXPONENT = 40

# Plans and data nest a handful of levels; anything deeper is refused before any recursive
# code (parsers, validators, canonical rendering) can run out of stack on it.
MAX_DEPTH = 64

_INT = re.compile(r"^[-+]?(?:0|[1-9][0-9]*)$")
_DECIMAL = re.compile(r"^[-+]?(?:(?:0|[1-9][0-9]*)(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?$")
_BOOL = re.compile(r"^(?:true|false)$")

_INT_TAG = "tag:yaml.org,2002:int"
_FLOAT_TAG = "tag:yaml.org,2002:float"
_BOOL_TAG = "tag:yaml.org,2002:bool"
# YAML 1.1 resolvers that misread pay-plan text; replaced by the strict ones above.
_DROPPED_TAGS = {
    _INT_TAG,
    _FLOAT_TAG,
    _BOOL_TAG,
    "tag:yaml.org,2002:timestamp",
    "tag:yaml.org,2002:merge",
}


class LoadError(Exception):
    """The text is not a well-formed document; `problems` says everything that is wrong."""

    def __init__(self, problems: list[Problem]):
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def exact_number(text: str) -> int | Decimal:
    """Read a number literal exactly: int without a fraction or exponent, else Decimal."""
    if len(text) > MAX_DIGITS + 10:
        raise ValueError(f"number {text[:20]}... is too long")
    if _INT.match(text):
        return int(text)
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"{text!r} is not a number") from None
    check_decimal_range(value)
    return value


def check_decimal_range(value: Decimal) -> None:
    """Refuse non-finite and absurdly large or precise decimals."""
    if not value.is_finite():
        raise ValueError(f"{value} is not a finite number")
    sign, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)  # finite, checked above
    if len(digits) > MAX_DIGITS or abs(exponent) > MAX_EXPONENT:
        raise ValueError(f"number {value} is too large or too precise")


def too_deep(value: Any, limit: int = MAX_DEPTH) -> bool:
    """True if lists/mappings nest more than `limit` levels (checked level by level, without
    recursion; only containers are visited, so a large flat document costs little)."""
    level = [value] if isinstance(value, (dict, list, tuple)) else []
    depth = 1
    while level:
        if depth > limit:
            return True
        below: list = []
        for item in level:
            children = item.values() if isinstance(item, dict) else item
            below.extend([c for c in children if isinstance(c, (dict, list, tuple))])
        level = below
        depth += 1
    return False


_TOO_DEEP = f"the document nests more than {MAX_DEPTH} levels deep"


def _at(mark: Any) -> str:
    return f"line {mark.line + 1}, column {mark.column + 1}"


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader with exact numbers, strict booleans, no dates, no duplicate keys, no aliases."""

    def __init__(self, stream: str):
        super().__init__(stream)
        self.problems: list[Problem] = []

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(AliasEvent):
            event = self.peek_event()
            raise ConstructorError(
                None,
                None,
                "anchors and aliases (&name, *name) are not allowed; write the value out",
                event.start_mark,
            )
        return super().compose_node(parent, index)

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict:
        seen: dict[Any, Any] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                hash(key)
            except TypeError:
                raise ConstructorError(
                    None, None, "a mapping key must be a plain value", key_node.start_mark
                ) from None
            if key in seen:
                self.problems.append(
                    Problem(
                        path=_at(key_node.start_mark),
                        message=f"duplicate key {key!r} (first at {_at(seen[key])})",
                    )
                )
            else:
                seen[key] = key_node.start_mark
        return super().construct_mapping(node, deep=deep)

    def construct_exact_number(self, node: Any) -> int | Decimal:
        text = self.construct_scalar(node)
        try:
            return exact_number(text)
        except ValueError as exc:
            raise ConstructorError(None, None, str(exc), node.start_mark) from None

    def construct_strict_bool(self, node: Any) -> bool:
        return self.construct_scalar(node) == "true"


_StrictLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in _DROPPED_TAGS]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_StrictLoader.add_implicit_resolver(_BOOL_TAG, _BOOL, list("tf"))
_StrictLoader.add_implicit_resolver(_INT_TAG, _DECIMAL, list("-+0123456789."))
# The explicit tags (!!int, !!float) go through the same exact reader.
_StrictLoader.add_constructor(_INT_TAG, _StrictLoader.construct_exact_number)
_StrictLoader.add_constructor(_FLOAT_TAG, _StrictLoader.construct_exact_number)
_StrictLoader.add_constructor(_BOOL_TAG, _StrictLoader.construct_strict_bool)
# An explicit !!timestamp would build a datetime; keep it as text like every other date.
_StrictLoader.add_constructor("tag:yaml.org,2002:timestamp", yaml.SafeLoader.construct_yaml_str)


def load_yaml(text: str) -> Any:
    """Parse one YAML document strictly; raise `LoadError` listing every problem."""
    try:
        # The reader checks every character before anything is parsed (in the constructor).
        loader = _StrictLoader(text)
    except yaml.reader.ReaderError as exc:
        raise LoadError([_unreadable(text, exc)]) from None
    try:
        value = loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = _at(mark) if mark is not None else "$"
        message = exc.problem or str(exc)
        if exc.context and exc.problem:
            message = f"{exc.problem} ({exc.context})"
        raise LoadError([*loader.problems, Problem(path=where, message=message)]) from None
    except yaml.YAMLError as exc:
        raise LoadError([*loader.problems, Problem(path="$", message=str(exc))]) from None
    except RecursionError:
        raise LoadError([Problem(path="$", message=_TOO_DEEP)]) from None
    finally:
        loader.dispose()
    if loader.problems:
        raise LoadError(loader.problems)
    if too_deep(value):
        raise LoadError([Problem(path="$", message=_TOO_DEEP)])
    return value


def _unreadable(text: str, exc: yaml.reader.ReaderError) -> Problem:
    """A character YAML refuses in its text (a control character such as BEL or NUL)."""
    position = exc.position if isinstance(exc.position, int) else 0
    line = text.count("\n", 0, position) + 1
    column = position - (text.rfind("\n", 0, position) + 1) + 1
    return Problem(
        path=f"line {line}, column {column}",
        message=f"character U+{exc.character:04X} is not allowed in YAML text: remove it "
        f'(or write it as the escape "\\u{exc.character:04X}" inside double quotes)',
    )


def load_json(text: str) -> Any:
    """Parse JSON exactly (Decimal, no NaN/Infinity); raise `LoadError` on duplicate keys too.

    A number refused (`NaN`, `-Infinity`, `1e309`, too many digits) is kept in place while
    parsing, so that the error names its JSON path (`$.deals[3].amount`), not just `$`.
    """
    problems: list[Problem] = []
    refusals: list[_Refused] = []  # any at all? then walk the document to locate them

    def pairs(items: list[tuple[str, Any]]) -> dict:
        out = dict(items)
        if len(out) == len(items):  # no duplicate key: the common case, at C speed
            return out
        out = {}
        for key, value in items:
            if key in out:
                keys = ", ".join(sorted({k for k, _ in items}))
                problems.append(
                    Problem(path="$", message=f"duplicate key {key!r} in the object {{{keys}}}")
                )
            out[key] = value
        return out

    try:
        value = json.loads(
            text,
            parse_float=_noting(_json_number, refusals),
            parse_int=_noting(_json_int, refusals),
            parse_constant=_noting(_reject_constant, refusals),
            object_pairs_hook=pairs,
        )
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"
        raise LoadError([*problems, Problem(path=where, message=exc.msg)]) from None
    except (ValueError, ArithmeticError) as exc:
        raise LoadError([*problems, Problem(path="$", message=str(exc))]) from None
    except RecursionError:
        raise LoadError([Problem(path="$", message=_TOO_DEEP)]) from None
    if problems:
        raise LoadError(_locate_json_duplicates(text) or problems)
    if too_deep(value):
        raise LoadError([Problem(path="$", message=_TOO_DEEP)])
    if refusals:
        raise LoadError(_refused_numbers(value))
    return value


def _noting(parse: Any, refusals: list) -> Any:
    """`parse`, noting every `_Refused` it returns in `refusals`."""

    def noted(text: str) -> Any:
        value = parse(text)
        if value.__class__ is _Refused:
            refusals.append(value)
        return value

    return noted


class _Refused:
    """A number the JSON parser refused, left where it was found until its path is known."""

    __slots__ = ("message",)

    def __init__(self, message: str) -> None:
        self.message = message


_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


def json_path(parent: str, key: str | int) -> str:
    """`$.deals[3].amount`; a key that is not a plain name is quoted: `$["a b"]`."""
    if isinstance(key, int):
        return f"{parent}[{key}]"
    if _PLAIN_KEY.match(key):
        return f"{parent}.{key}"
    return f"{parent}[{json.dumps(key)}]"


def _refused_numbers(value: Any) -> list[Problem]:
    """Every `_Refused` in a parsed document, located, in document order (no recursion)."""
    found: list[Problem] = []
    stack: list[tuple[str, Any]] = [("$", value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, _Refused):
            found.append(Problem(path=path, message=item.message))
        elif isinstance(item, dict):
            stack.extend((json_path(path, k), v) for k, v in reversed(item.items()))
        elif isinstance(item, list):
            stack.extend((json_path(path, i), v) for i, v in reversed(list(enumerate(item))))
    return found


def _reject_constant(name: str) -> _Refused:
    return _Refused(f"{name} is not a number a plan or data file may contain")


def _json_number(text: str) -> Decimal | _Refused:
    try:
        value = Decimal(text)
        check_decimal_range(value)
    except (ValueError, ArithmeticError) as exc:
        return _Refused(str(exc))
    return value


def _json_int(text: str) -> int | _Refused:
    if len(text) > MAX_DIGITS + 1:
        return _Refused(f"number {text[:20]}... is too long")
    return int(text)


def _locate_json_duplicates(text: str) -> list[Problem]:
    """JSON is (almost always) YAML flow syntax: let the YAML reader give duplicates a line."""
    try:
        load_yaml(text)
    except LoadError as exc:
        if all(p.message.startswith("duplicate key") for p in exc.problems):
            return list(exc.problems)
    return []


def load_text(text: str | bytes, *, source: str = "<text>") -> Any:
    """Parse plan or data text: JSON for `.json` sources or text starting with `{`, else YAML.

    Text that starts with `{` but is not valid JSON is tried as YAML (a flow mapping) before
    the JSON error is reported.
    """
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise LoadError([Problem(path="$", message=f"not UTF-8 text: {exc.reason}")]) from None
    text = text.removeprefix("\ufeff")
    lowered = source.lower()
    if lowered.endswith(".json"):
        return load_json(text)
    if lowered.endswith((".yaml", ".yml")):
        return load_yaml(text)
    if text.lstrip().startswith("{"):
        try:
            return load_json(text)
        except LoadError as json_error:
            try:
                return load_yaml(text)
            except LoadError:
                raise json_error from None
    return load_yaml(text)
