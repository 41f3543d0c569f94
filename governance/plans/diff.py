"""A structural diff between two plan documents, by rule id (pure: no database, no I/O).

Rules, tier bands and the draw are matched by `id` and embedded tests by name, so a rule
moved within its list is `reordered` (reported where order decides: `rates`, `gates`,
`clawbacks`), not removed and added. Values come out JSON-ready, numbers as normalised
decimal text: "0.060" against "0.06" is no change, as their version hashes are equal.

What the diff reports: docs/governance.md, "API" (the paragraph on the diff).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

RULE_LISTS = ("eligibility", "credit", "rates", "gates", "clawbacks", "spifs")
# Lists whose order changes what a plan pays (first matching rate, clawback per trigger).
ORDERED = ("rates", "gates", "clawbacks")
SCALARS = ("policy", "title", "currency", "period")
_ABSENT = object()


@dataclass(frozen=True)
class FieldChange:
    path: str  # "currency", "caps.per_deal", or within a rule: "rate", "effect"
    before: Any
    after: Any

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "before": self.before, "after": self.after}


@dataclass(frozen=True)
class RuleChange:
    id: str
    fields: tuple[FieldChange, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "fields": [f.as_dict() for f in self.fields]}


@dataclass
class SectionDiff:
    added: list[dict[str, Any]] = field(default_factory=list)  # {"id", "rule"}
    removed: list[dict[str, Any]] = field(default_factory=list)
    changed: list[RuleChange] = field(default_factory=list)
    # (ids in before order, ids in after order) when the shared rules changed order.
    reordered: tuple[list[str], list[str]] | None = None

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.changed or self.reordered)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "added": self.added,
            "removed": self.removed,
            "changed": [c.as_dict() for c in self.changed],
        }
        if self.reordered:
            out["reordered"] = {"before": self.reordered[0], "after": self.reordered[1]}
        return out


@dataclass
class PlanDiff:
    fields: list[FieldChange] = field(default_factory=list)
    sections: dict[str, SectionDiff] = field(default_factory=dict)

    @property
    def unchanged(self) -> bool:
        return not self.fields and not self.sections

    def as_dict(self) -> dict[str, Any]:
        return {
            "unchanged": self.unchanged,
            "fields": [f.as_dict() for f in self.fields],
            "sections": {name: s.as_dict() for name, s in self.sections.items()},
        }


def plain(value: Any) -> Any:
    """JSON-ready and comparable: numbers as normalised decimal text, containers copied."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | Decimal):
        number = Decimal(value)
        return "0" if number == 0 else format(number.normalize(), "f")
    if isinstance(value, float):
        return plain(Decimal(repr(value)))  # its shortest repr is the literal written
    if isinstance(value, str):
        # DecimalText (a str subclass) holds a number's normalised text already.
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return str(value)


def diff_documents(before: Mapping[str, Any], after: Mapping[str, Any]) -> PlanDiff:
    """What changed from `before` to `after` (two plan documents as mappings)."""
    a, b = plain(before), plain(after)
    result = PlanDiff()
    for key in SCALARS:
        _field(result.fields, key, a.get(key, _ABSENT), b.get(key, _ABSENT))
    for key in ("per_deal", "per_period"):
        _field(
            result.fields,
            f"caps.{key}",
            (a.get("caps") or {}).get(key, _ABSENT),
            (b.get("caps") or {}).get(key, _ABSENT),
        )
    for key in ("basis", "mode"):
        _field(
            result.fields,
            f"tiers.{key}",
            (a.get("tiers") or {}).get(key, _ABSENT),
            (b.get("tiers") or {}).get(key, _ABSENT),
        )
    for name in RULE_LISTS:
        _section(result, name, a.get(name) or [], b.get(name) or [], "id", ordered=name in ORDERED)
    bands = ((a.get("tiers") or {}).get("bands") or [], (b.get("tiers") or {}).get("bands") or [])
    _section(result, "tiers.bands", *bands, "id", ordered=False)
    draws = ([a["draw"]] if a.get("draw") else [], [b["draw"]] if b.get("draw") else [])
    _section(result, "draw", *draws, "id", ordered=False)
    _section(result, "tests", a.get("tests") or [], b.get("tests") or [], "name", ordered=False)
    return result


def _field(out: list[FieldChange], path: str, before: Any, after: Any) -> None:
    if before is _ABSENT and after is _ABSENT:
        return
    if before != after:
        out.append(
            FieldChange(
                path,
                None if before is _ABSENT else before,
                None if after is _ABSENT else after,
            )
        )


def _section(
    result: PlanDiff,
    name: str,
    before: list[Any],
    after: list[Any],
    key: str,
    *,
    ordered: bool,
) -> None:
    old = _by_key(before, key)
    new = _by_key(after, key)
    section = SectionDiff()
    for rid, rule in new.items():
        if rid not in old:
            section.added.append({"id": rid, "rule": rule})
    for rid, rule in old.items():
        if rid not in new:
            section.removed.append({"id": rid, "rule": rule})
    for rid, rule in new.items():
        if rid in old and old[rid] != rule:
            changes: list[FieldChange] = []
            for fname in sorted(set(old[rid]) | set(rule)):
                if fname != key:
                    _field(changes, fname, old[rid].get(fname, _ABSENT), rule.get(fname, _ABSENT))
            section.changed.append(RuleChange(rid, tuple(changes)))
    if ordered:
        shared_before = [rid for rid in old if rid in new]
        shared_after = [rid for rid in new if rid in old]
        if shared_before != shared_after:
            section.reordered = (shared_before, shared_after)
    if section:
        result.sections[name] = section


def _by_key(rules: list[Any], key: str) -> dict[str, dict[str, Any]]:
    # Documents reaching the diff have been validated (ids present and unique); anything
    # else is keyed by position so the diff still says something useful.
    out: dict[str, dict[str, Any]] = {}
    for i, rule in enumerate(rules):
        if not isinstance(rule, Mapping):
            rule = {"value": rule}
        out[str(rule.get(key, f"#{i}"))] = dict(rule)
    return out
