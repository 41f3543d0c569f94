"""Compile conditions into durable-rules JSON rulesets and encode facts for them.

    plan = compile_ruleset({"rates/new": cond, ...})  # plan.chunks, plan.encoder(sid)

Everything durable-rules gets wrong (../shared/notes/durable-rules.md) is designed out
here, before a value reaches the engine: numbers as "doubled fixed-point" integers, one
property per field and kind, `contains "x"` as a 0/1 property computed here, a negation
as "absent OR opposite", a discriminator on every rule, and rules packed into rulesets
within the engine's bounds (`shape`), split at a top-level `or` or left to the oracle.

The encoding and the engine limits it works around: docs/conditions.md, "How conditions
reach durable-rules (maintainers)".
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from rules.conditions import Condition
from rules.conditions.nodes import (
    And,
    Compare,
    Const,
    FieldCompare,
    Node,
    Not,
    Or,
    negation_normal_form,
)
from rules.conditions.oracle import classify, comparable, compile_predicate
from rules.text import has_surrogates

TAG = "accord_fact"  # the discriminator property on every fact and in every rule
# Numbers the facts asserted together in one session: the engine refuses a second fact
# with the same text in a session (code 2, "observed"), and no rule reads it.
INDEX = "accord_n"
LIMIT = 2**62  # encoded literals stay within +/-LIMIT; clamped values go one beyond
MAX_SCALE = 15
MAX_GROUPS = 15  # durable-rules: MAX_SEQUENCE_EXPRESSIONS 32, two entries per $and/$or
MAX_PROPERTIES = 240  # durable-rules: MAX_OBJECT_PROPERTIES 255 per fact, with sid, id, tag, index
MAX_STRING = 1000
CHUNK_STACK = 48  # stack entries one fact may need in a ruleset (the engine has 64)
CHUNK_PATHS = 256  # branch combinations one fact may make the engine walk in a ruleset
CHUNK_TESTS = 300  # tests in one ruleset (create_ruleset hangs beyond ~512 alpha nodes)
_TRUE = {TAG: 1}
_FALSE = {"$nex": {TAG: 1}}
_OPS = {"<": "$lt", "<=": "$lte", ">": "$gt", ">=": "$gte", "!=": "$neq"}
_OPPOSITE = {"==": "!=", "!=": "==", "<": ">=", ">=": "<", ">": "<=", "<=": ">"}


class Inexpressible(Exception):
    """The engine cannot decide this condition exactly; the oracle will."""


def fnv1a32(text: str) -> int:
    """The engine's hash of property names (json.c getStringAndHash)."""
    h = 0x811C9DC5
    for byte in text.encode():
        h = ((h ^ byte) * 0x01000193) & 0xFFFFFFFF
    return h


def literal_places(value: Decimal) -> int:
    return max(0, -value.as_tuple().exponent)


def encode_number(value: Decimal, scale: int) -> int:
    """2*floor(v*10^scale) (+1 when not whole), clamped beyond +/-LIMIT."""
    if value.is_zero():
        return 0
    positive = value > 0
    magnitude = value.adjusted() + scale
    if magnitude > 19:
        return LIMIT + 1 if positive else -LIMIT - 1
    if magnitude < -2:  # |v*10^scale| < 0.01: strictly between 0 and the next step
        return 1 if positive else -1
    numerator, denominator = value.as_integer_ratio()  # exact, and fast in C
    whole, rest = divmod(numerator * 10**scale, denominator)
    doubled = 2 * whole + (1 if rest else 0)
    return max(-LIMIT - 1, min(LIMIT + 1, doubled))


def encode_literal_number(value: Decimal, scale: int) -> int:
    if literal_places(value) > scale:
        raise Inexpressible(f"{value} has more than {scale} decimal places")
    doubled = encode_number(value, scale)
    if abs(doubled) > LIMIT:
        raise Inexpressible(f"{value} is too large for 64-bit fixed point")
    return doubled


def encode_string(value: str) -> str:
    # Digests keep long strings (and strings that look like digests) equal iff equal.
    # Surrogate halves in a fact too: ASCII escapes would spell "\ud83d\ude42" like 🙂.
    if (
        len(value) > MAX_STRING
        or value[:1] in ("\x01", "\x02")
        or (not value.isascii() and has_surrogates(value))  # isascii: the fast path
    ):
        return "\x01" + hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()
    return value


# "Or absent" slots: the value when it has the kind, else a sentinel beyond every literal
# on the side that makes the negated comparison true (h: above, l: below; encoded
# literals are even, so odd sentinels also differ from all of them). A negation then
# is one test instead of "absent OR opposite", which keeps rules free of $or branches.
SENTINELS: dict[str, object] = {
    "nh": LIMIT + 3,
    "nl": -LIMIT - 3,
    "dh": 10**8,  # date.max is day 3,652,059
    "dl": -1,
    "sh": "\x02",  # encode_string never yields it: strings starting with it are digested
    "bh": 2,
}


def _slot_encoder(kind: str, arg: object) -> Callable[[str, object], object]:
    """fn(value kind, value) -> the property value of one slot, or None when absent."""
    if kind in SENTINELS:
        base, sentinel = _slot_encoder(kind[0], arg), SENTINELS[kind]

        def or_sentinel(value_kind: str, value: object) -> object:
            encoded = base(value_kind, value)
            return sentinel if encoded is None else encoded

        return or_sentinel
    if kind == "p":
        return lambda value_kind, value: 1
    if kind == "c":
        return lambda value_kind, value: int(
            value_kind == "list" and any(isinstance(e, str) and e == arg for e in value)
        )
    if kind == "n":
        return lambda value_kind, value: (
            encode_number(value, arg) if value_kind == "number" else None
        )
    if kind == "b":
        return lambda value_kind, value: int(value) if value_kind == "bool" else None

    def day_or_text(value_kind: str, value: object) -> object:
        if kind == "d":
            day = comparable(date.min, value_kind, value)
            return day.toordinal() if day is not None else None
        text = comparable("", value_kind, value)  # kind "s"
        return encode_string(text) if text is not None else None

    return day_or_text


@dataclass
class Plan:
    """The compiled ruleset: rule JSON by rule name, and how to build a fact."""

    rules: dict[str, dict] = field(default_factory=dict)
    chunks: list[list[str]] = field(default_factory=list)  # rule names per ruleset
    rule_keys: dict[str, str] = field(default_factory=dict)  # rule name -> caller's key
    never: set[str] = field(default_factory=set)  # keys whose condition is constant false
    fallback: dict[str, str] = field(default_factory=dict)  # key -> why the oracle decides
    slots: dict[tuple[str, str, object], str] = field(default_factory=dict)
    scales: dict[str, int] = field(default_factory=dict)

    def encoder(self, sid: str) -> Callable[..., dict]:
        by_path: dict[str, list[tuple[str, Callable]]] = {}
        when_null: dict[str, dict[str, object]] = {}
        derived: list[tuple[str, Callable]] = []  # field-versus-field: 0/1 from the oracle
        for (path, kind, arg), name in self.slots.items():
            if kind == "f":
                derived.append((name, compile_predicate(arg)))
                continue
            if kind[0] == "n":
                arg = self.scales.get(path, 0)
            by_path.setdefault(path, []).append((name, _slot_encoder(kind, arg)))
            if kind == "c":  # `contains` is false, and its negation true, on a null list
                when_null.setdefault(path, {})[name] = 0
            elif kind in SENTINELS:
                when_null.setdefault(path, {})[name] = SENTINELS[kind]
        plan = tuple((path, tuple(slots), when_null.get(path)) for path, slots in by_path.items())

        def properties(path: str, slots: tuple, value: object) -> dict[str, object]:
            value_kind, value = classify(path, value)
            out = {}
            for name, slot in slots:
                encoded = slot(value_kind, value)
                if encoded is not None:
                    out[name] = encoded
            return out

        def encode(facts: Mapping[str, object], memo: dict | None = None) -> dict:
            """The fact for `facts`. With `memo` (one per batch of facts), a value met
            before on the same path, of the same type, is not encoded again."""
            fact: dict[str, object] = {"sid": sid, TAG: 1}
            for path, slots, null_fill in plan:
                value = facts.get(path)
                if value is None:
                    if null_fill:
                        fact.update(null_fill)
                    continue
                if memo is not None:
                    key = (path, type(value), value)  # True == 1 == Decimal(1): not alike
                    try:
                        known = memo.get(key)
                    except TypeError:  # unhashable: a list
                        known = key = None
                    if known is None:
                        known = properties(path, slots, value)
                        if key is not None:
                            memo[key] = known
                    fact.update(known)
                    continue
                # `properties` inlined: without a memo a call and a dict per field cost
                # one-fact matching (bench/evaluate.py's baseline) 6% (measured).
                value_kind, value = classify(path, value)
                for name, slot in slots:
                    encoded = slot(value_kind, value)
                    if encoded is not None:
                        fact[name] = encoded
            for name, holds in derived:
                fact[name] = int(holds(facts))
            return fact

        return encode


class _Compiler:
    def __init__(self, plan: Plan):
        self.plan = plan
        self.pending: dict[tuple[str, str, object], str] = {}

    def slot(self, path: str, kind: str, arg: object = None) -> str:
        key = (path, kind, arg)
        name = self.plan.slots.get(key) or self.pending.get(key)
        if name is None:
            taken = {fnv1a32(n) for n in (*self.plan.slots.values(), *self.pending.values())}
            taken |= {fnv1a32(n) for n in ("sid", "id", TAG, INDEX)}
            name = f"v{len(self.plan.slots) + len(self.pending)}{kind}"
            while fnv1a32(name) in taken:  # the engine looks properties up by this hash
                name += "_"
            self.pending[key] = name
        return name

    def value_slot(self, node: Compare, literal: object, variant: str = "") -> tuple[str, object]:
        """(property name, encoded literal); `variant` "h"/"l" picks an or-absent slot."""
        path = node.field
        if isinstance(literal, bool):
            kind, encoded = "b", int(literal)
        elif isinstance(literal, Decimal):
            kind, encoded = "n", encode_literal_number(literal, self.plan.scales[path])
        elif isinstance(literal, date):
            kind, encoded = "d", literal.toordinal()
        else:
            kind, encoded = "s", encode_string(literal)
        if variant == "l" and kind in ("s", "b"):
            variant = "h"  # only != reaches these; any non-literal sentinel serves
        return self.slot(path, kind + variant), encoded

    def typed_slot(self, node: Compare) -> str:
        kind = {"decimal": "n", "integer": "n", "string": "s", "date": "d"}.get(node.ftype, "p")
        return self.slot(node.field, kind)

    def atom(self, node: Compare | FieldCompare, negated: bool) -> dict:
        if isinstance(node, FieldCompare):  # two fields: a 0/1 property, as `contains`
            return {self.slot(f"{node.field} {node.op} {node.other}", "f", node): int(not negated)}
        op, literal = node.op, node.value
        if literal is None:
            present = (op == "!=") != negated
            return {"$ex" if present else "$nex": {self.slot(node.field, "p"): 1}}
        if op == "contains":
            return {self.slot(node.field, "c", literal): 0 if negated else 1}
        if op in ("in", "not in"):
            return self.membership(node, negated)
        if negated and op == "!=":  # not (x != a): x == a or x absent
            name, encoded = self.value_slot(node, literal)
            return _or([{"$nex": {name: 1}}, {name: encoded}])
        if negated:  # absent or mismatched reads as the sentinel, which passes
            opposite = _OPPOSITE[op]
            variant = "l" if opposite in ("<", "<=") else "h"
            name, encoded = self.value_slot(node, literal, variant)
            return _test(opposite, name, encoded)
        name, encoded = self.value_slot(node, literal)
        return _test(op, name, encoded)

    def membership(self, node: Compare, negated: bool) -> dict:
        items = node.value
        if not items:
            if node.op == "in":
                return _TRUE if negated else _FALSE
            name = self.typed_slot(node)
            return {"$nex" if negated else "$ex": {name: 1}}
        encoded = [self.value_slot(node, item) for item in items]
        name = encoded[0][0]
        equal = _or([{name: e} for _, e in encoded])
        if node.op == "in" and negated:  # absent reads as the sentinel: differs from all
            high = self.value_slot(node, items[0], "h")[0]
            return _and([{"$neq": {high: e}} for _, e in encoded])
        if node.op == "in":
            return equal
        differ = _and([{"$neq": {name: e}} for _, e in encoded])
        return _or([{"$nex": {name: 1}}, equal]) if negated else differ

    def expression(self, node: Node) -> dict:
        if isinstance(node, Const):
            return _TRUE if node.value else _FALSE
        if isinstance(node, Compare | FieldCompare):
            return self.atom(node, negated=False)
        if isinstance(node, Not):
            return self.atom(node.item, negated=True)  # NNF: only comparisons are negated
        parts = [self.expression(i) for i in node.items]
        return _and(parts) if isinstance(node, And) else _or(parts)


def _test(op: str, name: str, encoded: object) -> dict:
    return {name: encoded} if op == "==" else {_OPS[op]: {name: encoded}}


def _and(parts: list[dict]) -> dict:
    flat: list[dict] = []
    for p in parts:
        if p == _FALSE:
            return _FALSE
        if p != _TRUE:
            flat.extend(p.get("$and", [p]))
    return _TRUE if not flat else flat[0] if len(flat) == 1 else {"$and": flat}


def _or(parts: list[dict]) -> dict:
    flat: list[dict] = []
    for p in parts:
        if p == _TRUE:
            return _TRUE
        if p != _FALSE:
            flat.extend(p.get("$or", [p]))
    return _FALSE if not flat else flat[0] if len(flat) == 1 else {"$or": flat}


def count_groups(expr: object) -> int:
    if isinstance(expr, dict):
        own = sum(1 for k in expr if k in ("$and", "$or"))
        return own + sum(count_groups(v) for v in expr.values())
    if isinstance(expr, list):
        return sum(count_groups(v) for v in expr)
    return 0


def _rule(expr: dict) -> dict:
    if expr == _TRUE:
        return {"all": [{"m": dict(_TRUE)}]}
    tests = expr.get("$and", [expr])
    return {"all": [{"m": {"$and": [dict(_TRUE), *tests]}}]}


def shape(expr: dict) -> tuple[int, int, int]:
    """(tests, stack, paths) of `expr` in the engine's alpha network, measured in probes.

    The engine walks every combination of passing branches: along an $and each passing
    $or branch multiplies the paths (time) and adds to the entries its 64-entry stack
    holds (error 303 beyond). Branches of an $or are exclusive, and count once, when
    they test one property for distinct values or its absence (an `in` list).
    """
    if "$and" in expr:
        parts = [shape(e) for e in expr["$and"]]
        paths = 1
        for _, _, p in parts:
            paths *= p
        return sum(t for t, _, _ in parts), 1 + sum(st - 1 for _, st, _ in parts), paths
    if "$or" in expr:
        parts = [shape(e) for e in expr["$or"]]
        tests = sum(t for t, _, _ in parts) + 1  # the engine adds a forward node per $or
        if _exclusive(expr["$or"]):
            return tests, max(st for _, st, _ in parts), max(p for _, _, p in parts)
        return tests, sum(st for _, st, _ in parts), sum(p for _, _, p in parts)
    return 1, 1, 1


def _exclusive(branches: list[dict]) -> bool:
    names, values = set(), set()
    for branch in branches:
        ((key, value),) = branch.items()
        if key == "$nex":
            names.add(next(iter(value)))
            values.add("$nex")
        elif key.startswith("$"):
            return False
        else:
            names.add(key)
            values.add(repr(value))
    return len(names) == 1 and len(values) == len(branches)


def _split(expr: dict) -> list[dict]:
    """Rules for `expr`, each within the engine's bounds; raise Inexpressible otherwise."""
    tests, stack, paths = shape(_rule(expr)["all"][0]["m"])
    fits = tests <= CHUNK_TESTS and stack <= CHUNK_STACK and paths <= CHUNK_PATHS
    if fits and count_groups(_rule(expr)) <= MAX_GROUPS:
        return [expr]
    if "$or" not in expr:
        raise Inexpressible(
            f"too large for one durable-rules rule ({tests} tests, {stack} stack entries, "
            f"{paths} paths, {count_groups(_rule(expr))} and/or groups)"
        )
    return [part for branch in expr["$or"] for part in _split(branch)]


def compile_ruleset(conditions: Mapping[str, Condition]) -> Plan:
    plan = Plan()
    nodes = {key: negation_normal_form(c.node) for key, c in conditions.items()}
    for node in nodes.values():
        for atom in _atoms(node):
            for v in atom.value if isinstance(atom.value, tuple) else (atom.value,):
                if isinstance(v, Decimal) and not isinstance(v, bool):
                    places = min(literal_places(v), MAX_SCALE)
                    plan.scales[atom.field] = max(plan.scales.get(atom.field, 0), places)
    for index, (key, node) in enumerate(nodes.items()):
        compiler = _Compiler(plan)
        try:
            expr = compiler.expression(node)
            if expr == _FALSE:
                plan.never.add(key)
                continue
            parts = _split(expr)
            if len(plan.slots) + len(compiler.pending) > MAX_PROPERTIES:
                raise Inexpressible("the facts would exceed the engine's 255 properties")
        except Inexpressible as why:
            plan.fallback[key] = str(why)
            continue
        plan.slots.update(compiler.pending)
        for j, part in enumerate(parts):
            name = f"r{index}" if len(parts) == 1 else f"r{index}_{j}"
            plan.rules[name] = _rule(part)
            plan.rule_keys[name] = key
    plan.chunks = _pack(plan.rules)
    return plan


def _pack(rules: dict[str, dict]) -> list[list[str]]:
    """Group rules, in order, into rulesets within the CHUNK_* bounds.

    Rules hang side by side under the discriminator test, so their stacks and paths add.
    """
    chunks: list[list[str]] = []
    used = [0, 0, 0]
    bounds = (CHUNK_TESTS, CHUNK_STACK, CHUNK_PATHS)
    for name, rule in rules.items():
        need = shape(rule["all"][0]["m"])
        if not chunks or any(u + n > b for u, n, b in zip(used, need, bounds, strict=True)):
            chunks.append([])
            used = [0, 0, 0]
        chunks[-1].append(name)
        used = [u + n for u, n in zip(used, need, strict=True)]
    return chunks


def _atoms(node: Node) -> list[Compare]:
    if isinstance(node, Compare):
        return [node]
    if isinstance(node, Not):
        return _atoms(node.item)
    if isinstance(node, And | Or):
        return [a for i in node.items for a in _atoms(i)]
    return []
