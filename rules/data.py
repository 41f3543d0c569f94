"""Evaluation data in (spec section 3), validated and typed: JSON text or a mapping -> `Data`.

`load_data` rejects the input as a whole, listing every problem with its JSON path:
missing required fields, wrong types, unknown keys (anywhere except inside `attributes`),
references to unknown participants or deals, split tables not summing to exactly 1,
duplicate ids (participants, deals, exceptions) and duplicate quotas, negative amounts,
malformed dates and periods, malformed FX pairs, non-positive rates and a pair dated twice
(either `fx` form, rules/fx.py), and exceptions (section 4) of the wrong shape. Numbers
may be JSON numbers or numeric text ("120000"); both are read exactly. Optional fields
may be null.

`data_to_json` is the inverse: a deterministic, JSON-able mapping that `load_data` reads
back to an equal `Data` (used by the database layer to hand its contents to the engine).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from rules.canonical import DecimalText, number_from_float
from rules.datafast import DEAL_OPTIONAL, DEAL_REQUIRED, plain_deal
from rules.datajson import EXCEPTION_FIELDS, data_to_json
from rules.fx import read_fx
from rules.gcpause import paused_gc
from rules.jsonfast import plain_json
from rules.model import (
    Assignment,
    Data,
    Deal,
    Event,
    Participant,
    PayoutException,
    Quota,
    SplitEntry,
    SplitOverride,
    TeamMember,
    Touchpoint,
)
from rules.period import Period, PeriodError
from rules.problems import InvalidData, Problem
from rules.text import LONE_SURROGATE, characters
from rules.validation import Checker, child, describe
from rules.yamlload import MAX_DEPTH, LoadError, load_json, too_deep

__all__ = ["check_data", "data_to_json", "load_data"]

CURRENCY = re.compile(r"^[A-Z]{3}$")
SECTIONS = ("participants", "quotas", "deals", "events", "exceptions", "fx")


def load_data(obj_or_text: Any, *, depth_checked: bool = False) -> Data:
    """Validate section-3 data (JSON text/bytes or an already-parsed mapping).
    `depth_checked`: the caller knows the mapping nests at most `MAX_DEPTH` levels."""
    with paused_gc():  # no reference cycles in parsed JSON or `Data` (rules/gcpause.py)
        return _load_data(obj_or_text, depth_checked)


def _load_data(obj_or_text: Any, depth_checked: bool = False) -> Data:
    if isinstance(obj_or_text, bytes) and (parsed := plain_json(obj_or_text))[0]:
        # Parsed by orjson: a plain document, read as load_json reads it (jsonfast.py).
        data, problems = check_data(parsed[1], depth_checked=True)
    elif isinstance(obj_or_text, (str, bytes)):
        try:
            obj_or_text = load_json(
                obj_or_text.decode("utf-8") if isinstance(obj_or_text, bytes) else obj_or_text
            )
        except (LoadError, UnicodeDecodeError) as exc:
            problems = getattr(exc, "problems", None) or [Problem("$", f"not UTF-8: {exc}")]
            raise InvalidData(problems) from None
        data, problems = check_data(obj_or_text, depth_checked=True)  # load_json checked it
    else:
        data, problems = check_data(obj_or_text, depth_checked=depth_checked)
    if data is None:
        raise InvalidData(problems)
    return data


def check_data(
    obj: Any, *, depth_checked: bool = False, fast: bool = True
) -> tuple[Data | None, list[Problem]]:
    """Validate without raising: (Data, []) or (None, every problem). `fast=False` reads
    every deal by the checked path (rules/datafast.py: tests compare the two)."""
    reader = _DataReader(fast)
    data = reader.read(obj, depth_checked)
    problems = reader.check.problems
    return (None if problems else data), problems


def _attributes(check: Checker, mapping: Mapping, path: str) -> dict[str, Any]:
    """Free-form attributes: any keys (as text), numbers read exactly."""
    if mapping.get("attributes") is None:
        return {}
    where = child(path, "attributes")
    value = check.mapping(mapping["attributes"], where)
    if value is None:
        return {}
    out: dict[str, Any] = {}
    for key, item in value.items():
        name = characters(key) if isinstance(key, str) else None
        if name is None:
            check.error(where, f"attribute name {describe(key)} is not text")
            continue
        lone: list[str] = []
        out[name] = _attribute_value(item, lone)
        if lone:
            check.error(child(where, name), LONE_TEXT)
    return out


LONE_TEXT = f"the text {LONE_SURROGATE}"


def _attribute_value(value: Any, lone: list[str]) -> Any:
    """An attribute value read exactly; text that is not characters goes to `lone`."""
    if isinstance(value, DecimalText):
        return Decimal(str(value))
    if isinstance(value, float):
        return number_from_float(value)
    if isinstance(value, str):
        text = characters(value)
        if text is None:
            lone.append(value)
        return text
    if isinstance(value, list | tuple):
        return tuple(_attribute_value(v, lone) for v in value)
    if isinstance(value, Mapping):
        return {characters(k) or k: _attribute_value(v, lone) for k, v in value.items()}
    return value


def _text(value: Any) -> str | None:
    """An id as the records read it (surrogate pairs joined), else None."""
    return characters(value) if isinstance(value, str) else None


def _ref_path(path: str | int, key: str | int | None) -> str:
    """The path of a participant reference (a plain deal's is built only for an error)."""
    if isinstance(path, str):
        return child(path, key)
    if key is None:
        return f"$.deals[{path}].owner"
    return f"$.deals[{path}].splits[{key}].participant"


class _DataReader:
    def __init__(self, fast: bool = True) -> None:
        self.check = Checker()
        self.fast = fast
        # References are checked once every participant and deal is known.
        # (id, record path, key): the reference's path is only built for an error.
        # A plain deal's entries hold its index instead of its path: (id, i, None) for the
        # owner, (id, i, n) for split n (`_ref_path`).
        self.participant_refs: list[tuple[str, str | int, str | int | None]] = []
        self.deal_refs: list[tuple[str, str, str]] = []
        self.fast_ids: list[str] = []  # ids of the deals the fast path read (plain text)

    def read(self, obj: Any, depth_checked: bool = False) -> Data | None:
        check = self.check
        if check.mapping(obj, "$", "a data mapping (participants, quotas, deals, ...)") is None:
            return None
        if not depth_checked and too_deep(obj):
            check.error("$", f"the data nests more than {MAX_DEPTH} levels deep")
            return None
        check.keys(obj, "$", (), SECTIONS)
        participants = self._list(obj, "participants", self._participant)
        quotas = self._list(obj, "quotas", self._quota)
        deals = self._list(obj, "deals", self._deal, self._plain_deal if self.fast else None)
        events = self._list(obj, "events", self._event)
        exceptions = self._list(obj, "exceptions", self._exception)
        fx = read_fx(self.check, obj.get("fx"))

        self._unique(obj, "participants", "id")
        known_deals = set(self.fast_ids)
        records = obj.get("deals")
        if not (
            isinstance(records, list) and len(known_deals) == len(self.fast_ids) == len(records)
        ):
            # Not every deal plain, or a duplicate id: look again, record by record.
            self._unique(obj, "deals", "id")
            known_deals = {_text(d.get("id")) for d in self._items(obj, "deals")}
        self._unique(obj, "exceptions", "id")
        self._unique_quotas(obj)
        known = {_text(p.get("id")) for p in self._items(obj, "participants")}
        for ref, path, key in self.participant_refs:
            if ref not in known:
                check.error(_ref_path(path, key), f"unknown participant {ref!r}")
        for ref, path, key in self.deal_refs:
            if ref not in known_deals:
                check.error(child(path, key), f"unknown deal {ref!r}")
        return Data(
            participants=tuple(participants),
            quotas=tuple(quotas),
            deals=tuple(deals),
            events=tuple(events),
            exceptions=tuple(exceptions),
            fx=fx,
        )

    # ------------------------------------------------------------------ helpers
    @staticmethod
    def _items(obj: Mapping, key: str) -> list[Mapping]:
        value = obj.get(key)
        if not isinstance(value, list | tuple):
            return []
        return [item for item in value if isinstance(item, Mapping)]

    def _list(self, obj: Mapping, key: str, read_one, fast=None) -> list:
        """The section's records; `fast(item, i)` first, if given (it never reports)."""
        if obj.get(key) is None:
            return []
        path = f"$.{key}"
        items = self.check.sequence(obj[key], path)
        if items is None:
            return []
        out = []
        for i, item in enumerate(items):
            if fast is not None and item.__class__ is dict:
                result = fast(item, i)
                if result is not None:
                    out.append(result)
                    continue
            where = child(path, i)
            if self.check.mapping(item, where) is not None:
                before = len(self.check.problems)
                result = read_one(item, where)
                if result is not None:
                    out.append(result)
                elif len(self.check.problems) == before:
                    # Never drop a record silently: a skipped record must have said why.
                    self.check.error(where, "this record could not be read")
        return out

    def _unique(self, obj: Mapping, key: str, field: str) -> None:
        seen: dict[Any, int] = {}
        value = obj.get(key)
        for i, item in enumerate(value if isinstance(value, list | tuple) else []):
            if not isinstance(item, Mapping) or not isinstance(item.get(field), str):
                continue
            ident = _text(item[field])
            if ident is None:  # not characters: reported where the record is read
                continue
            if ident in seen:
                self.check.error(
                    f"$.{key}[{i}].{field}",
                    f"duplicate id {ident!r} (first at $.{key}[{seen[ident]}])",
                )
            else:
                seen[ident] = i

    def _unique_quotas(self, obj: Mapping) -> None:
        seen: dict[tuple, int] = {}
        value = obj.get("quotas")
        for i, item in enumerate(value if isinstance(value, list | tuple) else []):
            if not isinstance(item, Mapping):
                continue
            key = (item.get("participant"), item.get("plan"), item.get("period"))
            if not all(isinstance(part, str) for part in key):
                continue
            if key in seen:
                self.check.error(
                    f"$.quotas[{i}]",
                    f"duplicate quota for {key[0]} on {key[1]} in {key[2]} "
                    f"(first at $.quotas[{seen[key]}])",
                )
            else:
                seen[key] = i

    def _participant_ref(self, mapping: Mapping, key: str, path: str, nullable=False) -> str | None:
        ref = self.check.text(mapping, key, path, nullable=nullable)
        if ref is not None:
            self.participant_refs.append((ref, path, key))
        return ref

    def _deal_ref(self, mapping: Mapping, key: str, path: str) -> str | None:
        ref = self.check.text(mapping, key, path)
        if ref is not None:
            self.deal_refs.append((ref, path, key))
        return ref

    def _period(self, mapping: Mapping, key: str, path: str) -> str | None:
        if key not in mapping:
            return None
        try:
            return Period.parse(mapping[key]).name
        except PeriodError as exc:
            self.check.error(child(path, key), str(exc))
            return None

    def _sub_list(self, mapping: Mapping, key: str, path: str, read_one) -> tuple | None:
        """An optional nested list (null or absent = empty); None if it had problems."""
        if mapping.get(key) is None:
            return ()
        where = child(path, key)
        items = self.check.sequence(mapping[key], where)
        if items is None:
            return None
        before = len(self.check.problems)
        out = []
        for i, item in enumerate(items):
            item_path = child(where, i)
            if self.check.mapping(item, item_path) is not None:
                result = read_one(item, item_path)
                if result is None and len(self.check.problems) == before:
                    self.check.error(item_path, "this entry could not be read")
                out.append(result)
        return tuple(out) if len(self.check.problems) == before else None

    # ------------------------------------------------------------------ records
    def _participant(self, item: Mapping, path: str) -> Participant | None:
        check = self.check
        optional = ("name", "hire_date", "region", "manager", "attributes", "assignments")
        ok = check.keys(item, path, ("id",), optional)
        pid = check.text(item, "id", path)
        name = check.text(item, "name", path, nullable=True)
        hire = check.date(item, "hire_date", path, nullable=True)
        region = check.text(item, "region", path, nullable=True)
        manager = self._participant_ref(item, "manager", path, nullable=True)
        attributes = _attributes(check, item, path)
        assignments = self._sub_list(item, "assignments", path, self._assignment)
        if ok and pid and assignments is not None:
            return Participant(
                id=pid,
                name=name,
                hire_date=hire,
                region=region,
                manager=manager,
                attributes=attributes,
                assignments=assignments,
            )
        return None

    def _assignment(self, item: Mapping, path: str) -> Assignment | None:
        check = self.check
        check.keys(item, path, ("plan", "start"), ("end", "role", "team"))
        plan = check.text(item, "plan", path)
        start = check.date(item, "start", path)
        end = check.date(item, "end", path, nullable=True)
        if start and end and end < start:
            check.error(child(path, "end"), f"ends {end} before it starts {start}")
        role = check.text(item, "role", path, nullable=True)
        team = check.text(item, "team", path, nullable=True)
        if plan and start:
            return Assignment(plan=plan, start=start, end=end, role=role, team=team)
        return None

    def _quota(self, item: Mapping, path: str) -> Quota | None:
        check = self.check
        ok = check.keys(item, path, ("participant", "plan", "period", "amount"))
        participant = self._participant_ref(item, "participant", path)
        plan = check.text(item, "plan", path)
        period = self._period(item, "period", path)
        amount = check.decimal(item, "amount", path, minimum=0)
        if ok and participant and plan and period and amount is not None:
            return Quota(participant=participant, plan=plan, period=period, amount=amount)
        return None

    def _plain_deal(self, item: dict, i: int) -> Deal | None:
        """A plain record read by rules/datafast.py (which reports nothing), else None."""
        if (fast := plain_deal(item)) is None:
            return None
        deal, refs = fast
        self.fast_ids.append(deal.id)
        self.participant_refs.append((refs[0], i, None))
        for n, ref in enumerate(refs[1:]):
            self.participant_refs.append((ref, i, n))
        return deal

    def _deal(self, item: Mapping, path: str) -> Deal | None:
        check = self.check
        ok = check.keys(item, path, DEAL_REQUIRED, DEAL_OPTIONAL)
        fields: dict[str, Any] = {
            "id": check.text(item, "id", path),
            "amount": check.decimal(item, "amount", path, minimum=0),
            "currency": check.text(
                item, "currency", path, pattern=CURRENCY, pattern_help="a 3-letter currency code"
            ),
            "close_date": check.date(item, "close_date", path),
            "owner": self._participant_ref(item, "owner", path),
        }
        for key in ("account", "type", "region"):
            fields[key] = check.text(item, key, path, nullable=True)
        for key in ("gross_margin", "discount"):
            fields[key] = check.decimal(item, key, path, nullable=True)
        fields["term_months"] = check.integer(item, "term_months", path, minimum=0, nullable=True)
        fields["cash_collected_date"] = check.date(item, "cash_collected_date", path, nullable=True)
        before = len(check.problems)
        # Absent or null products stay None: `deal.products == null` must hold for them
        # (spec section 2), which an empty list would not.
        fields["products"] = self._products(item, path)
        fields["splits"] = self._splits(item, path)
        fields["team"] = self._sub_list(item, "team", path, self._team_member)
        fields["touchpoints"] = self._sub_list(item, "touchpoints", path, self._touchpoint)
        fields["attributes"] = _attributes(check, item, path)
        required = ("id", "amount", "currency", "close_date", "owner", "team", "touchpoints")
        if not ok or any(fields[key] is None for key in required):
            return None
        if len(check.problems) > before:  # products or splits had problems
            return None
        return Deal(**fields)

    def _products(self, item: Mapping, path: str) -> tuple[str, ...] | None:
        if item.get("products") is None:
            return None
        where = child(path, "products")
        values = self.check.sequence(item["products"], where, "a list of product names")
        if values is None:
            return None
        bad = [
            i for i, v in enumerate(values) if not isinstance(v, str) or isinstance(v, DecimalText)
        ]
        for i in bad:
            self.check.error(child(where, i), f"expected text, got {describe(values[i])}")
        products = tuple(characters(v) for v in values) if not bad else ()
        for i, product in enumerate(products):
            if product is None:
                self.check.error(child(where, i), LONE_TEXT)
        return None if bad or None in products else products

    def _splits(self, item: Mapping, path: str) -> tuple[SplitEntry, ...] | None:
        entries = self._sub_list(item, "splits", path, self._share_entry)
        if item.get("splits") is None or entries is None:
            return None
        where = child(path, "splits")
        self._shares_sum(entries, where, exactly_one=True)
        return tuple(SplitEntry(participant=p, share=s) for p, s in entries)

    def _share_entry(self, item: Mapping, path: str) -> tuple[str, Decimal] | None:
        self.check.keys(item, path, ("participant", "share"))
        participant = self._participant_ref(item, "participant", path)
        share = self.check.decimal(item, "share", path, above=0, maximum=1)
        return (participant, share) if participant and share is not None else None

    def _shares_sum(self, entries: tuple, where: str, *, exactly_one: bool) -> None:
        total = sum((share for _, share in entries), Decimal(0))
        names = [participant for participant, _ in entries]
        for name in sorted({n for n in names if names.count(n) > 1}):
            self.check.error(where, f"participant {name!r} appears more than once")
        if exactly_one and total != 1:
            self.check.error(where, f"split shares must sum to exactly 1, they sum to {total}")
        elif not exactly_one and total > 1:
            self.check.error(where, f"shares must sum to at most 1, they sum to {total}")

    def _team_member(self, item: Mapping, path: str) -> TeamMember | None:
        self.check.keys(item, path, ("participant", "role"))
        participant = self._participant_ref(item, "participant", path)
        role = self.check.text(item, "role", path)
        return TeamMember(participant=participant, role=role) if participant and role else None

    def _touchpoint(self, item: Mapping, path: str) -> Touchpoint | None:
        self.check.keys(item, path, ("participant", "at"), ("channel", "milestone"))
        participant = self._participant_ref(item, "participant", path)
        at = self.check.date(item, "at", path)
        channel = self.check.text(item, "channel", path, nullable=True)
        milestone = self.check.text(item, "milestone", path, nullable=True)
        if participant and at:
            return Touchpoint(participant=participant, at=at, channel=channel, milestone=milestone)
        return None

    def _event(self, item: Mapping, path: str) -> Event | None:
        check = self.check
        ok = check.keys(item, path, ("deal", "kind", "date"), ("amount",))
        deal = self._deal_ref(item, "deal", path)
        kind = check.text(item, "kind", path)
        when = check.date(item, "date", path)
        amount = check.decimal(item, "amount", path, minimum=0, nullable=True)
        if (
            ok
            and deal
            and kind
            and when
            and not (item.get("amount") is not None and amount is None)
        ):
            return Event(deal=deal, kind=kind, date=when, amount=amount)
        return None

    def _exception(self, item: Mapping, path: str) -> PayoutException | None:
        check = self.check
        kind = item.get("kind")
        if not isinstance(kind, str) or kind not in EXCEPTION_FIELDS:
            check.keys(
                item,
                path,
                ("id", "kind"),
                sorted({k for v in EXCEPTION_FIELDS.values() for k in v}),
            )
            if "kind" in item:
                check.error(
                    child(path, "kind"),
                    f"expected one of {', '.join(EXCEPTION_FIELDS)}, got {describe(kind)}",
                )
            return None
        ok = check.keys(item, path, ("id", "kind", *EXCEPTION_FIELDS[kind]))
        fields: dict[str, Any] = {"id": check.text(item, "id", path), "kind": kind}
        if "deal" in EXCEPTION_FIELDS[kind]:
            fields["deal"] = self._deal_ref(item, "deal", path)
        for key in ("gate", "clawback", "plan", "reason"):
            if key in EXCEPTION_FIELDS[kind]:
                fields[key] = check.text(item, key, path)
        if kind == "override_split":
            credits = self._sub_list(item, "credits", path, self._share_entry)
            if credits is not None:
                if not credits:
                    check.error(child(path, "credits"), "needs at least one credit")
                self._shares_sum(credits, child(path, "credits"), exactly_one=False)
                fields["credits"] = tuple(SplitOverride(participant=p, share=s) for p, s in credits)
            else:
                fields["credits"] = None
        if kind == "adjustment":
            fields["participant"] = self._participant_ref(item, "participant", path)
            fields["period"] = self._period(item, "period", path)
            fields["amount"] = check.decimal(item, "amount", path)
        if ok and all(value is not None for value in fields.values()):
            return PayoutException(**fields)
        return None
