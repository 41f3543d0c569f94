"""CRM mappings: how a CRM's export columns and values read as Accord records.

A mapping is a YAML file, built in (`mappings/salesforce.yaml`) or the user's own (which
may `extends:` a built-in one), with a section per kind of record: `columns` (CRM header
-> Accord field, plus `stage`, `owner_email`, `owner_crm_user_id`), `ignore` (CRM columns
Accord does not use), `stage` (won / lost / open values), `type` (CRM type -> plan type),
`amount` (separators), `dates` (`MM/DD/YYYY`), `currency` (for files without one).

`load_mapping` checks the file and raises `InvalidData` with every problem located as
`<file>: deals.stage.won`; reading a CSV through a mapping is `crm.py`. docs/imports.md,
"CRM mappings".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from governance.imports.crm_values import DateFormat, Money, fold_value
from governance.imports.csv_formats import COLUMNS, fold
from rules.problems import InvalidData, Problem
from rules.yamlload import LoadError, load_yaml

BUILT_IN = Path(__file__).resolve().parent / "mappings"
STAGES = ("won", "lost", "open")
OWNER_BY = {"owner": "id", "owner_email": "email", "owner_crm_user_id": "crm_user_id"}
# Fields a mapping can name per kind, beyond the columns of docs/imports.md.
EXTRA_TARGETS = {"deals": ("stage", "owner_email", "owner_crm_user_id")}
DATE_FIELDS = {"deals": ("close_date", "cash_collected_date"), "participants": ("hire_date",)}
MONEY_FIELDS = {"deals": ("amount",)}
KIND_KEYS = ("columns", "ignore", "stage", "type", "amount", "dates", "currency")
_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")


@dataclass
class KindMapping:
    """What a mapping says about one kind of record (deals, participants)."""

    columns: dict[str, str] = field(default_factory=dict)  # folded header -> target
    ignore: set[str] = field(default_factory=set)  # folded headers
    stages: dict[str, tuple[str, str]] | None = None  # folded value -> (class, as written)
    types: dict[str, tuple[str, str]] | None = None  # folded value -> (type, as written)
    money: Money = field(default_factory=Money)
    dates: DateFormat | None = None
    currency: str | None = None

    def target(self, header: str) -> str | None:
        """The field a header gives ("" for an ignored column), None: not the mapping's."""
        folded = fold(header)
        if folded in self.columns:
            return self.columns[folded]
        return "" if folded in self.ignore else None

    def known(self, table: dict[str, tuple[str, str]]) -> str:
        return ", ".join(sorted(written or '""' for _value, written in table.values()))


@dataclass
class Mapping:
    name: str
    title: str
    kinds: dict[str, KindMapping]


def built_in_names() -> list[str]:
    return sorted(p.stem for p in BUILT_IN.glob("*.yaml"))


def load_mapping(name_or_path: str, text: str | None = None) -> Mapping:
    """A built-in mapping by name, a mapping file by path, or `text` (named `name_or_path`)."""
    source, raw = _raw(name_or_path, text)
    problems: list[Problem] = []
    if isinstance(raw, dict) and raw.get("extends") is not None:
        base = raw["extends"]
        if base not in built_in_names():
            problems.append(
                Problem(f"{source}: extends", f"no built-in mapping {base!r} ({_names()})")
            )
        else:
            raw = _merge(_raw(base, None)[1], raw)
    mapping = _check(raw, source, problems)
    if problems:
        raise InvalidData(problems)
    return mapping


def _names() -> str:
    return "built in: " + ", ".join(built_in_names())


def _raw(name_or_path: str, text: str | None) -> tuple[str, Any]:
    source = name_or_path
    if text is None:
        path = BUILT_IN / f"{name_or_path}.yaml"
        if _NAME.match(name_or_path) and path.is_file():
            source = path.name
        else:
            path = Path(name_or_path)
            source = path.name
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = getattr(exc, "strerror", None) or str(exc)
            raise InvalidData(
                [Problem(name_or_path, f"cannot read the mapping ({reason}; {_names()})")]
            ) from None
    try:
        return source, load_yaml(text)
    except LoadError as exc:
        raise InvalidData(
            [Problem(f"{source}: {p.path}", p.message) for p in exc.problems]
        ) from None


def _merge(base: Any, own: dict) -> dict:
    """`own` over `base`: columns and types added or replaced, ignore lists joined, a stage
    value listed in `own` taken out of the base's classes; anything else replaced."""
    out = dict(base) if isinstance(base, dict) else {}
    for key, value in own.items():
        if key == "extends" or not isinstance(value, dict) or not isinstance(out.get(key), dict):
            out[key] = value
            continue
        merged = dict(out[key])
        for sub, item in value.items():
            mine, theirs = item, merged.get(sub)
            if sub in ("columns", "type") and isinstance(mine, dict) and isinstance(theirs, dict):
                merged[sub] = theirs | mine
            elif sub == "ignore" and isinstance(mine, list) and isinstance(theirs, list):
                merged[sub] = theirs + [m for m in mine if m not in theirs]
            elif sub == "stage" and isinstance(mine, dict) and isinstance(theirs, dict):
                moved = {fold_value(v) for vs in mine.values() if isinstance(vs, list) for v in vs}
                stage = {
                    k: [v for v in vs if not (isinstance(v, str) and fold_value(v) in moved)]
                    for k, vs in theirs.items()
                    if isinstance(vs, list)
                }
                for k, vs in mine.items():
                    stage[k] = stage.get(k, []) + (vs if isinstance(vs, list) else [vs])
                merged[sub] = stage
            else:
                merged[sub] = mine
        out[key] = merged
    return out


def _check(raw: Any, source: str, problems: list[Problem]) -> Mapping:
    def problem(where: str, message: str) -> None:
        problems.append(Problem(f"{source}: {where}", message))

    if not isinstance(raw, dict):
        problem("$", "a mapping file is a YAML mapping (mapping:, deals:, participants:)")
        return Mapping("", "", {})
    for key in raw:
        if key not in ("mapping", "title", "extends", *COLUMNS):
            problem(str(key), f"unknown key (known: mapping, title, extends, {', '.join(COLUMNS)})")
    name = raw.get("mapping")
    if not isinstance(name, str) or not name.strip():
        problem("mapping", "the mapping's name is required (mapping: my-crm)")
    kinds = {
        kind: _kind(kind, raw[kind], kind, problem)
        for kind in COLUMNS
        if kind in raw and raw[kind] is not None
    }
    return Mapping(str(name or ""), str(raw.get("title") or name or ""), kinds)


def _kind(kind: str, raw: Any, where: str, problem) -> KindMapping:
    out = KindMapping()
    if not isinstance(raw, dict):
        problem(where, f"expected a mapping with {', '.join(KIND_KEYS)}")
        return out
    for key in raw:
        if key not in KIND_KEYS:
            problem(f"{where}.{key}", f"unknown key (known: {', '.join(KIND_KEYS)})")
    targets = (*COLUMNS[kind], *EXTRA_TARGETS.get(kind, ()))
    columns = raw.get("columns") or {}
    if not isinstance(columns, dict):
        problem(f"{where}.columns", "expected CRM header: Accord field pairs")
        columns = {}
    for header, target in columns.items():
        if not isinstance(header, str) or target not in targets:
            problem(
                f"{where}.columns.{header}",
                f"{target!r} is not a {kind} field (one of {', '.join(targets)})",
            )
            continue
        out.columns[fold(header)] = target
    ignore = raw.get("ignore") or []
    if not isinstance(ignore, list) or not all(isinstance(h, str) for h in ignore):
        problem(f"{where}.ignore", "expected a list of CRM headers")
        ignore = []
    out.ignore = {fold(h) for h in ignore} - set(out.columns)
    if raw.get("stage") is not None:
        out.stages = _stages(raw["stage"], f"{where}.stage", problem)
    if raw.get("type") is not None:
        out.types = _values(raw["type"], f"{where}.type", problem)
    out.money = _money(raw.get("amount"), f"{where}.amount", problem)
    if raw.get("dates") is not None:
        try:
            out.dates = DateFormat(str(raw["dates"]))
        except ValueError as exc:
            problem(f"{where}.dates", str(exc))
    currency = raw.get("currency")
    if currency is not None and not (isinstance(currency, str) and _CURRENCY.match(currency)):
        problem(f"{where}.currency", f"expected a currency code such as USD, got {currency!r}")
    out.currency = currency
    return out


def _items(raw: Any, where: str, problem, expected: str) -> list[tuple[Any, Any]]:
    if isinstance(raw, dict):
        return list(raw.items())
    problem(where, expected)
    return []


def _stages(raw: Any, where: str, problem) -> dict[str, tuple[str, str]]:
    out: dict[str, tuple[str, str]] = {}
    expected = "expected won:, lost: and open: lists of CRM stage values"
    for key, values in _items(raw, where, problem, expected):
        if key not in STAGES:
            problem(f"{where}.{key}", f"unknown class (one of {', '.join(STAGES)})")
            continue
        values = values if isinstance(values, list) else [values]
        for value in values:
            if not isinstance(value, str) or not value.strip():
                problem(f"{where}.{key}", f"expected stage values as text, got {value!r}")
                continue
            earlier = out.get(fold_value(value))
            if earlier is not None and earlier[0] != key:
                problem(f"{where}.{key}", f"{value!r} is also listed under {earlier[0]}")
            out[fold_value(value)] = (key, value)
    if not any(c == "won" for c, _v in out.values()):
        problem(f"{where}.won", "at least one stage must mean won (only won rows become deals)")
    return out


def _values(raw: Any, where: str, problem) -> dict[str, tuple[str, str]]:
    out: dict[str, tuple[str, str]] = {}
    expected = "expected CRM value: Accord value pairs (New Business: new)"
    for value, target in _items(raw, where, problem, expected):
        if not isinstance(value, str) or not isinstance(target, str) or not target.strip():
            problem(f"{where}.{value}", f"expected text: text, got {value!r}: {target!r}")
            continue
        out[fold_value(value)] = (target.strip(), value)
    return out


def _money(raw: Any, where: str, problem) -> Money:
    if raw is None:
        return Money()
    if not isinstance(raw, dict) or set(raw) - {"thousands", "decimal"}:
        problem(where, 'expected {thousands: ",", decimal: "."}')
        return Money()
    thousands, decimal = raw.get("thousands", ","), raw.get("decimal", ".")
    if (
        not all(isinstance(s, str) and len(s) == 1 for s in (thousands, decimal))
        or thousands == decimal
        or thousands.isdigit()
        or decimal.isdigit()
    ):
        problem(where, "thousands and decimal are two different single characters")
        return Money()
    return Money(thousands=thousands, decimal=decimal)
