"""What durable-rules decided, remembered by the values each condition reads.

    decisions = Decisions.of(conditions)     # the conditions a DurableMatcher compiled
    decisions.recall(facts)           # the keys that hold, or None: ask the engine, then
    decisions.learn(facts, holding)   # the keys (of those conditions) that held

Whether a condition holds on a fact depends only on the fields it reads: the engine tests
the properties encoded from those fields' values (rules.conditions.durable_json encodes a
value by its path, type and value alone) and every rule has one pattern, so no rule reads
two facts. The matcher therefore asks the engine only about facts for which some group
of conditions meets values it has not decided before, and remembers each answer by those
values. Plans mostly test few distinct values (a deal type, a region, a margin floor):
at 50,000 deals the engine decides a few thousand facts instead of every credit line
(docs/decisions.md, "Decisions remembered (issue 14)").

Memory stays bounded: a group's memo is emptied past LIMIT entries, and once that has
happened OVERFLOWS times (values that rarely repeat, such as amounts) the matcher stops
remembering and asks the engine about every fact again, as it did before.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

LIMIT = 8192
OVERFLOWS = 2


class Decisions:
    """Per group of conditions (those reading the same fields), their answers by value."""

    def __init__(self, groups: list[tuple[tuple[str, ...], frozenset[str]]]):
        # (first path, second path, every path, the group's condition keys, its memo);
        # the first two are None when a group reads more than two fields.
        self._groups = [
            (
                paths[0] if 0 < len(paths) <= 2 else None,
                paths[1] if len(paths) == 2 else None,
                paths,
                keys,
                {},
            )
            for paths, keys in groups
        ]
        self._unions: dict[tuple[frozenset[str], ...], frozenset[str]] = {}
        self.active = bool(groups)
        self._overflows = 0

    @classmethod
    def of(cls, conditions: Mapping[str, Any]) -> Decisions:
        """Group `conditions` (key -> Condition) by the fields they read; a condition
        whose fields are within another group's joins it (one look-up fewer per fact).
        Nothing is remembered if a condition cannot say which fields it reads."""
        by_fields: dict[frozenset[str], set[str]] = {}
        for key, condition in conditions.items():
            fields = getattr(condition, "fields", None)
            if not isinstance(fields, frozenset):
                return cls([])
            by_fields.setdefault(fields, set()).add(key)
        merged: dict[frozenset[str], set[str]] = {}
        for fields in sorted(by_fields, key=lambda f: (-len(f), sorted(f))):
            home = next((m for m in merged if fields <= m), fields)
            merged.setdefault(home, set()).update(by_fields[fields])
        return cls([(tuple(sorted(f)), frozenset(k)) for f, k in merged.items()])

    def recall(self, facts: Mapping[str, object]) -> frozenset[str] | None:
        """The conditions that hold on `facts` if every group has decided these values
        before, else None (ask the engine, then `learn`)."""
        get = facts.get
        answers = []
        for first, second, paths, _, memo in self._groups:
            try:  # `_key` inlined for one and two fields: this runs for every fact
                if second is not None:
                    value, other = get(first), get(second)
                    answer = memo.get((value.__class__, value, other.__class__, other))
                elif first is not None:
                    value = get(first)
                    answer = memo.get((value.__class__, value))
                else:
                    answer = memo.get(_key(get, first, second, paths))
            except TypeError:  # a list (products): not remembered
                return None
            if answer is None:
                return None
            answers.append(answer)
        key = tuple(answers)  # frozensets cache their hash, and the same ones recur
        held = self._unions.get(key)
        if held is None:
            if len(self._unions) >= LIMIT:
                self._unions.clear()
            held = self._unions[key] = frozenset().union(*answers)
        return held

    def learn(self, facts: Mapping[str, object], holding: set[str]) -> None:
        """Remember what the engine decided on `facts`: the keys that hold."""
        if not self.active:
            return
        get = facts.get
        for first, second, paths, group, memo in self._groups:
            key = _key(get, first, second, paths)
            try:
                if key in memo:
                    continue
            except TypeError:  # a list (products): not remembered
                continue
            if len(memo) >= LIMIT:
                memo.clear()
                self._overflows += 1
                if self._overflows >= OVERFLOWS:
                    self.forget()
                    return
            memo[key] = group & holding

    def forget(self) -> None:
        """Stop remembering: the values do not repeat enough to pay for the look-ups."""
        self.active = False
        for *_, memo in self._groups:
            memo.clear()
        self._unions.clear()


def _key(get, first: str | None, second: str | None, paths: tuple[str, ...]) -> tuple:
    """A group's key on a fact: each value with its type (True, 1 and Decimal(1) are
    equal in Python but not alike to a condition)."""
    if first is None:
        return tuple([x for value in map(get, paths) for x in (value.__class__, value)])
    value = get(first)
    if second is None:
        return (value.__class__, value)
    other = get(second)
    return (value.__class__, value, other.__class__, other)
