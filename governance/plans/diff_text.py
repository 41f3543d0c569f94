"""A plan diff as readable text for the change-request page (pure: no Flask, no I/O).

Takes `diff.PlanDiff.as_dict()` and gives per rule (added, removed, changed, reordered)
lines of `path: before -> after` in the plan's words: rates and reductions as
percentages, multipliers as `x1.5`, amounts with thousands separators, conditions and
effects as text, nested values as key paths (`expect[0].payable`). Nothing is ever shown
as a JSON blob; long content is marked `long` so the page collapses it.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

SECTION_TITLES = {
    "eligibility": "Eligibility rules",
    "credit": "Credit rules",
    "rates": "Rates",
    "gates": "Gates",
    "clawbacks": "Clawbacks",
    "spifs": "SPIFs",
    "tiers.bands": "Tier bands",
    "draw": "Draw",
    "tests": "Embedded tests",
}
PERCENT_KEYS = {"rate", "reduce", "share", "gross_margin", "discount"}
AMOUNT_KEYS = {"amount", "per_deal", "per_period", "credited", "payable", "held", "quota"}
SHOWN = 8  # lines of one rule shown before the rest is collapsed
ABSENT = "(none)"


def number(text: Any) -> Decimal | None:
    if isinstance(text, bool) or not isinstance(text, str | int | float | Decimal):
        return None
    try:
        return Decimal(str(text))
    except InvalidOperation:
        return None


def amount_text(value: Decimal) -> str:
    """12500 -> '12,500'; 1400.00 -> '1,400.00' (the decimals written are kept)."""
    return f"{value:,}"


def percent_text(value: Decimal) -> str:
    """0.06 -> '6%'; 0.015 -> '1.5%'."""
    pct = (value * 100).normalize()
    return f"{pct:f}%"


def value_text(key: str, value: Any, *, basis: str | None = None) -> str:
    """One value as the plan language would say it; `key` is the field's own name."""
    if value is None:
        return ABSENT
    if isinstance(value, bool):
        return "yes" if value else "no"
    if key in ("effect", "to"):
        return phrase(value)
    if isinstance(value, list) and all(not isinstance(v, Mapping | list) for v in value):
        return ", ".join(value_text("", v) for v in value) or "(empty)"
    if isinstance(value, Mapping | list):
        return summary(value)
    n = number(value)
    if n is None:
        return str(value)
    if key in PERCENT_KEYS or (key in ("from", "to_", "upper") and basis == "attainment"):
        return percent_text(n)
    if key == "multiplier":
        return f"x{n.normalize():f}"
    if key in AMOUNT_KEYS or (key in ("from", "upper") and basis == "credited"):
        return amount_text(n)
    if key in ("within_days",):
        return f"{n} days"
    if key in ("within_months",):
        return f"{n} months"
    return str(value)


# One-key forms said as a phrase: a gate's effect, a credit rule's target.
PHRASES = {
    "reduce": lambda v: f"reduce to {percent_text(number(v) or Decimal(0))}",
    "hold_until": lambda v: f"hold until {v}",
    "team": lambda v: f"each member of team {v}",
    "manager_of": lambda v: f"the manager of the deal's {v}",
    "touchpoints": lambda v: f"touchpoints ({v})",
}


def phrase(value: Any) -> str:
    """`block`, `{reduce: 0.5}` -> 'reduce to 50%', `{team: SE}` -> 'each member of team SE'."""
    if isinstance(value, Mapping):
        if len(value) == 1 and next(iter(value)) in PHRASES:
            key, inner = next(iter(value.items()))
            return PHRASES[key](inner)
        return summary(value)
    return summary(value) if isinstance(value, list) else str(value)


def summary(value: Any) -> str:
    """A container in a few words: '3 items' or 'deals (8), fx (1), ...'."""
    if isinstance(value, list):
        return f"{len(value)} item{'s' if len(value) != 1 else ''}"
    parts = [
        f"{k} ({len(v)})" if isinstance(v, Mapping | list) else str(k) for k, v in value.items()
    ]
    return ", ".join(parts) or "(empty)"


def flatten(value: Any, path: str = "") -> list[tuple[str, Any]]:
    """Leaves of a nested value with their key paths: [('tiers[2].rate', '0.1'), ...]."""
    if isinstance(value, Mapping) and value and not _worded(path, value):
        out: list[tuple[str, Any]] = []
        for k, v in value.items():
            out += flatten(v, f"{path}.{k}" if path else str(k))
        return out
    if isinstance(value, list) and any(isinstance(v, Mapping | list) for v in value):
        out = []
        for i, v in enumerate(value):
            out += flatten(v, f"{path}[{i}]")
        return out
    return [(path, value)]


def _worded(path: str, value: Mapping) -> bool:
    """Values said in one phrase rather than key by key (a gate's effect, a credit target,
    a test's data set)."""
    if _key(path) == "data":  # a test's inline data set: counted, never listed
        return True
    return _key(path) in ("effect", "to") and len(value) == 1


def _key(path: str) -> str:
    last = path.rsplit(".", 1)[-1]
    return last.split("[", 1)[0]


def changes(before: Any, after: Any, path: str = "") -> list[tuple[str, Any, Any]]:
    """(key path, before, after) of every leaf that differs between two nested values."""
    old, new = dict(flatten(before, path)), dict(flatten(after, path))
    keys = list(old) + [k for k in new if k not in old]
    return [(k, old.get(k), new.get(k)) for k in keys if old.get(k) != new.get(k)]


def line(path: str, before: Any, after: Any, basis: str | None = None) -> dict[str, str]:
    key = _key(path)
    return {
        "path": path,
        "before": value_text(key, before, basis=basis),
        "after": value_text(key, after, basis=basis),
    }


def field_lines(fields: list[Mapping[str, Any]], basis: str | None = None) -> list[dict[str, str]]:
    """Each changed field as lines; a nested field as one line per differing key path."""
    out = []
    for f in fields:
        before, after = f["before"], f["after"]
        nested = isinstance(before, Mapping | list) or isinstance(after, Mapping | list)
        if nested and not (_worded(f["path"], before or {}) or _worded(f["path"], after or {})):
            out += [line(p, b, a, basis) for p, b, a in changes(before, after, f["path"])]
        else:
            out.append(line(f["path"], before, after, basis))
    return out


def content_lines(rule: Mapping[str, Any], key: str, basis: str | None) -> list[dict[str, str]]:
    """An added or removed rule, field by field (its id left out: it heads the entry)."""
    return [
        {"path": p, "value": value_text(_key(p), v, basis=basis)}
        for p, v in flatten({k: v for k, v in rule.items() if k != key})
    ]


def headline(section: str, rule: Mapping[str, Any], basis: str | None = None) -> str:
    """A rule in one sentence, as far as its kind allows."""
    when = f" when {rule['when']}" if rule.get("when") else ""
    if section == "rates" and "rate" in rule:
        return f"pays {value_text('rate', rule['rate'])}{when or ' (otherwise)'}"
    if section == "gates" and "effect" in rule:
        return f"{phrase(rule['effect'])}{when}"
    if section == "tiers.bands":
        upper = value_text("from", rule.get("to"), basis=basis) if rule.get("to") else "up"
        pays = (
            value_text("multiplier", rule["multiplier"])
            if "multiplier" in rule
            else value_text("rate", rule.get("rate"))
        )
        return f"from {value_text('from', rule.get('from'), basis=basis)} to {upper}: {pays}"
    if section == "spifs" and "amount" in rule:
        return f"pays {value_text('amount', rule['amount'])}{when}"
    if section == "credit" and "to" in rule:
        return f"credits {phrase(rule['to'])}{when}"
    if section == "tests":
        return f"period {rule.get('period', '?')}, {len(rule.get('expect') or [])} expectation(s)"
    return when.strip()


def band_table(before: list[Any], after: list[Any], basis: str | None) -> list[dict[str, Any]]:
    """Every tier band before and after, one row each (the new order, then the removed):
    its change and its cells (from, to, pays) as {before, after} text."""

    def cells(band: Mapping[str, Any] | None) -> list[str]:
        if band is None:
            return ["", "", ""]
        pays = (
            value_text("multiplier", band["multiplier"])
            if "multiplier" in band
            else value_text("rate", band.get("rate"))
        )
        upper = value_text("from", band["to"], basis=basis) if band.get("to") else "and up"
        return [value_text("from", band.get("from"), basis=basis), upper, pays]

    old = {str(b.get("id")): b for b in before if isinstance(b, Mapping)}
    new = {str(b.get("id")): b for b in after if isinstance(b, Mapping)}
    rows = []
    for bid in list(new) + [b for b in old if b not in new]:
        was, now = cells(old.get(bid)), cells(new.get(bid))
        change = "added" if bid not in old else "removed" if bid not in new else "same"
        if change == "same" and was != now:
            change = "changed"
        rows.append(
            {
                "id": bid,
                "change": change,
                "cells": [
                    {"before": b, "after": a, "changed": b != a}
                    for b, a in zip(was, now, strict=True)
                ],
            }
        )
    return rows


def readable(
    diff: Mapping[str, Any] | None,
    tier_basis: str | None = None,
    bands: tuple[list[Any], list[Any]] | None = None,
) -> dict[str, Any]:
    """The page's view of a diff: plan fields, then per section its rule entries. With
    `bands` (the tier bands before and after), a tier change also gets a small table."""
    if diff is None:
        return {"unchanged": False, "fields": [], "sections": []}
    sections = []
    for name, section in diff["sections"].items():
        key = "name" if name == "tests" else "id"
        basis = tier_basis if name == "tiers.bands" else None
        entries = []
        for change, items in (("added", section["added"]), ("removed", section["removed"])):
            for item in items:
                lines = content_lines(item["rule"], key, basis)
                entries.append(
                    _entry(change, item["id"], headline(name, item["rule"], basis), lines)
                )
        for item in section["changed"]:
            entries.append(_entry("changed", item["id"], "", field_lines(item["fields"], basis)))
        if section.get("reordered"):
            order = section["reordered"]
            entries.append(
                _entry(
                    "reordered",
                    "order",
                    "the first matching rule wins, so the order changes what is paid",
                    [line("order", order["before"], order["after"])],
                )
            )
        shown = {"name": name, "title": SECTION_TITLES.get(name, name), "entries": entries}
        if name == "tiers.bands" and bands is not None:
            shown["table"] = band_table(bands[0], bands[1], tier_basis)
        sections.append(shown)
    return {
        "unchanged": diff["unchanged"],
        "fields": field_lines(diff["fields"], tier_basis),
        "sections": sections,
    }


def _entry(change: str, rid: str, head: str, lines: list[dict[str, str]]) -> dict[str, Any]:
    return {
        "change": change,
        "id": rid,
        "headline": head,
        "lines": lines[:SHOWN],
        "more": lines[SHOWN:],
    }
