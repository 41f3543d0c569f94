"""Validation of an import, chunk by chunk, with `rules.data` as the one source of truth.

Each chunk of records is handed to `rules.data.check_data` as a small section-3 document.
References the chunk makes to participants (or deals) that live elsewhere (in another
chunk, another file of the same import, or already in the database) are satisfied by
minimal stub records appended after the chunk, so `check_data` still reports every
reference to something that exists nowhere. What only the import can know is checked
here: duplicates across chunks, the upsert keys `check_data` does not police (events by
deal/kind/date, assignments by participant/plan/start), and the limits of the database
columns (text lengths, decimal places), so that a bad value is a located problem rather
than a database error half-way through.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from governance.imports.owners import UNRESOLVED, Contacts, without_contacts
from governance.imports.sources import Batch
from models import (
    Assignment,
    Deal,
    DealEvent,
    DealSplit,
    DealTeamMember,
    DealTouchpoint,
    FxRate,
    Participant,
    Quota,
)
from rules.data import check_data
from rules.problems import Problem

IN_CHUNK = 900  # ids per IN (...) list: well under SQLite's bound-parameter limit
STUB_OWNER = "\x00import-stub"  # owner of stub deals; cannot collide with a real id
_INDEXED = re.compile(r"^\$\.[a-z]+\[(\d+)\]")
_NESTED = re.compile(r"^\$\.participants\[(\d+)\]\.assignments\[(\d+)\](.*)$")

# (section field, model column) whose text length / decimal places the database limits.
_LIMITS = {
    "participants": {
        "id": Participant.id,
        "name": Participant.name,
        "region": Participant.region,
    },
    "assignments": {"plan": Assignment.plan_key, "role": Assignment.role, "team": Assignment.team},
    "quotas": {"plan": Quota.plan_key, "amount": Quota.amount},
    "deals": {
        "id": Deal.id,
        "account": Deal.account,
        "type": Deal.type,
        "amount": Deal.amount,
        "gross_margin": Deal.gross_margin,
        "discount": Deal.discount,
        "region": Deal.region,
    },
    "splits": {"share": DealSplit.share},
    "team": {"role": DealTeamMember.role},
    "touchpoints": {"channel": DealTouchpoint.channel, "milestone": DealTouchpoint.milestone},
    "events": {"kind": DealEvent.kind, "amount": DealEvent.amount},
    "fx": {"rate": FxRate.rate},
}
_INT_MAX = 2**31 - 1


def ids_in(session: Session, column, values: Iterable[str]) -> set[str]:
    """Which of `values` exist in `column`, asked in bounded IN lists."""
    values = list(values)
    found: set[str] = set()
    for i in range(0, len(values), IN_CHUNK):
        found.update(session.scalars(select(column).where(column.in_(values[i : i + IN_CHUNK]))))
    return found


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _refs(section: str, record: Any) -> tuple[set[str], set[str]]:
    """(participant ids, deal ids) a raw record refers to."""
    people: set[str] = set()
    deals: set[str] = set()
    if not isinstance(record, dict):
        return people, deals
    if section == "participants":
        people.add(record.get("manager"))
    elif section in ("quotas", "assignments"):
        people.add(record.get("participant"))
    elif section == "deals":
        people.add(record.get("owner"))
        for key in ("splits", "team", "touchpoints"):
            entries = record.get(key)
            for entry in entries if isinstance(entries, list) else []:
                if isinstance(entry, dict):
                    people.add(entry.get("participant"))
    elif section == "events":
        deals.add(record.get("deal"))
    return {p for p in people if _text(p)}, {d for d in deals if _text(d)}


class Validator:
    """Checks one chunk at a time; remembers what earlier chunks held."""

    def __init__(self, session: Session, batch: Batch):
        self.session = session
        self.batch = batch
        self.in_file = {
            "participants": {
                r["id"]
                for r in batch.sections["participants"]
                if isinstance(r, dict) and _text(r.get("id"))
            },
            "deals": {
                r["id"]
                for r in batch.sections["deals"]
                if isinstance(r, dict) and _text(r.get("id"))
            },
        }
        self.contacts = Contacts(session, batch)
        self.in_db: dict[str, set[str]] = {"participants": set(), "deals": set()}
        self.not_in_db: dict[str, set[str]] = {"participants": set(), "deals": set()}
        self.first: dict[str, dict[Any, int]] = {
            s: {} for s in ("participants", "deals", "quotas", "events", "assignments", "fx")
        }

    # ------------------------------------------------------------------ references
    def known(self, kind: str, refs: set[str]) -> set[str]:
        """The refs that exist in the import or in the database."""
        column = Participant.id if kind == "participants" else Deal.id
        ask = refs - self.in_file[kind] - self.in_db[kind] - self.not_in_db[kind]
        if ask:
            found = ids_in(self.session, column, ask)
            self.in_db[kind] |= found
            self.not_in_db[kind] |= ask - found
        return {r for r in refs if r in self.in_file[kind] or r in self.in_db[kind]}

    # ------------------------------------------------------------------ chunks
    def check(self, section: str, offset: int, records: list) -> tuple[list, list[Problem]]:
        """Typed records of the chunk (empty if it had problems) and its problems."""
        problems = self._duplicates(section, offset, records)
        if section == "assignments":
            typed, found = self._assignments(offset, records)
        elif section == "fx":
            typed, found = self._fx(offset, records)
        else:
            typed, found = self._records(section, offset, records)
        problems.extend(found)
        if not problems:
            problems.extend(self._limits(section, offset, typed))
        return ([] if problems else typed), problems

    def _records(self, section: str, offset: int, records: list) -> tuple[list, list[Problem]]:
        contact_problems: list[Problem] = []
        if section == "deals":
            contact_problems = self.contacts.resolve(offset, records)
        elif section == "participants":
            contact_problems = self.contacts.check(offset, records)
        people: set[str] = set()
        deals: set[str] = set()
        for record in records:
            p, d = _refs(section, record)
            people |= p
            deals |= d
        people.discard(UNRESOLVED)
        own = (
            {r.get("id") for r in records if isinstance(r, dict)}
            if section == "participants"
            else set()
        )
        document: dict[str, list] = {section: [without_contacts(r) for r in records]}
        stubs = [{"id": p} for p in sorted(self.known("participants", people - own))]
        if any(isinstance(r, dict) and r.get("owner") == UNRESOLVED for r in records):
            stubs.append({"id": UNRESOLVED})  # reported already: no second problem
        if deals:
            stubs.append({"id": STUB_OWNER})
            document["deals"] = [
                {
                    "id": d,
                    "amount": 0,
                    "currency": "XXX",
                    "close_date": "2000-01-01",
                    "owner": STUB_OWNER,
                }
                for d in sorted(self.known("deals", deals))
            ]
        document["participants"] = document.get("participants", []) + stubs
        data, problems = check_data(document)
        problems.sort(key=_record_index)  # row order, not the order checks ran in
        located = [self.batch.relocate(p, section, offset, len(records)) for p in problems]
        located = contact_problems + [p for p in located if p is not None]
        if data is None or contact_problems:
            return [], located
        typed = list(getattr(data, section))[: len(records)]
        return list(zip(typed, records, strict=True)), located

    def _assignments(self, offset: int, records: list) -> tuple[list, list[Problem]]:
        """assignments.csv rows, checked as one-entry assignment lists of stub participants."""
        ranked: list[tuple[int, Problem]] = []  # (row in chunk, problem): sorted by row
        where = self.batch.locate
        wanted = {_text(r.get("participant")) for r in records} - {None}
        known = self.known("participants", wanted)
        groups: dict[str, list[int]] = {}
        for i, record in enumerate(records):
            pid = _text(record.get("participant"))
            if pid is not None and pid in known:
                groups.setdefault(pid, []).append(i)
                continue
            message = (
                "expected a participant id, got an empty cell"
                if pid is None
                else f"unknown participant {pid!r}"
            )
            ranked.append((i, Problem(where("assignments", offset + i, ".participant"), message)))
        people = [
            {
                "id": pid,
                "assignments": [
                    {k: v for k, v in records[i].items() if k != "participant"} for i in rows
                ],
            }
            for pid, rows in groups.items()
        ]
        data, found = check_data({"participants": people})
        order = list(groups.values())
        for p in found:
            m = _NESTED.match(p.path)
            if m is None:  # pragma: no cover - stub participants are well-formed
                ranked.append((-1, p))
                continue
            i = order[int(m[1])][int(m[2])]
            message = p.message.replace("got null", "got an empty cell")
            ranked.append((i, Problem(where("assignments", offset + i, m[3]), message)))
        problems = [p for _i, p in sorted(ranked, key=lambda item: item[0])]
        if data is None or problems:
            return [], problems
        typed = []
        for participant, rows in zip(data.participants, order, strict=True):
            for assignment, i in zip(participant.assignments, rows, strict=True):
                typed.append(((participant.id, assignment), records[i]))
        return typed, problems

    def _fx(self, offset: int, records: list) -> tuple[list, list[Problem]]:
        """Each record as one dated rate of the spec's list form (`from` optional)."""
        problems: list[Problem] = []
        typed = []
        for i, record in enumerate(records):
            if isinstance(record, dict) and not isinstance(record.get("pair"), str):
                found = [
                    Problem(
                        "$.fx[0].pair",
                        "expected a currency pair such as EUR/USD, got an empty cell",
                    )
                ]
                data = None
            else:
                data, found = check_data({"fx": [record]})
            for p in found:
                problems.append(
                    Problem(
                        self.batch.locate("fx", offset + i, p.path.removeprefix("$.fx[0]")),
                        p.message.replace("got null", "got an empty cell"),
                    )
                )
            if data is not None:
                typed.append((data.fx[0], record))
        return typed, problems

    # ------------------------------------------------------------------ import-only checks
    def _duplicates(self, section: str, offset: int, records: list) -> list[Problem]:
        """Upsert keys seen twice: across chunks for ids (within one, check_data says it)."""
        problems = []
        first = self.first[section]
        here: dict[Any, int] = {}
        for i, record in enumerate(records):
            if not isinstance(record, dict):
                continue
            key, within = _key(section, record)
            if key is None:
                continue
            index = offset + i
            earlier = first.get(key)
            if earlier is None and within:
                earlier = here.get(key)
            if earlier is not None:
                what = (
                    "id " + repr(key)
                    if section in ("participants", "deals")
                    else _describe_key(section, key)
                )
                problems.append(
                    Problem(
                        self.batch.locate(section, index, _KEY_FIELD.get(section, "")),
                        f"duplicate {what} (first at {self.batch.locate(section, earlier)})",
                    )
                )
            here.setdefault(key, index)
            if section == "participants":
                problems.extend(self._nested_assignment_duplicates(index, record))
        for key, index in here.items():
            first.setdefault(key, index)
        return problems

    def _nested_assignment_duplicates(self, index: int, record: dict) -> list[Problem]:
        entries = record.get("assignments")
        seen: dict[tuple, int] = {}
        problems = []
        for j, entry in enumerate(entries if isinstance(entries, list) else []):
            if not isinstance(entry, dict):
                continue
            key = (entry.get("plan"), entry.get("start"))
            if not all(isinstance(k, str) for k in key):
                continue
            if key in seen:
                problems.append(
                    Problem(
                        self.batch.locate("participants", index, f".assignments[{j}]"),
                        f"duplicate assignment to {key[0]} starting {key[1]} (first at "
                        + self.batch.locate("participants", index, f".assignments[{seen[key]}]")
                        + ")",
                    )
                )
            seen.setdefault(key, j)
        return problems

    def _limits(self, section: str, offset: int, typed: list) -> list[Problem]:
        problems: list[Problem] = []
        for i, (record, _raw) in enumerate(typed):
            for rest, value, column in _limited_values(section, record):
                message = _too_big(value, column)
                if message:
                    problems.append(Problem(self.batch.locate(section, offset + i, rest), message))
        return problems


def _limited_values(section: str, record: Any):
    """(path tail, value, column) of every value of a typed record the database limits."""
    if section == "fx":
        yield ".rate", record.rate, FxRate.rate
        return
    if section == "assignments":
        record = record[1]
    for name, column in _LIMITS[section].items():
        yield f".{name}", getattr(record, name), column
    if section == "participants":
        for j, assignment in enumerate(record.assignments):
            for name, column in _LIMITS["assignments"].items():
                yield f".assignments[{j}].{name}", getattr(assignment, name), column
    if section == "deals":
        yield ".term_months", record.term_months, None
        for child in ("splits", "team", "touchpoints"):
            for j, entry in enumerate(getattr(record, child) or ()):
                for name, column in _LIMITS[child].items():
                    yield f".{child}[{j}].{name}", getattr(entry, name), column


_KEY_FIELD = {"participants": ".id", "deals": ".id", "fx": ".pair"}


def _record_index(problem: Problem) -> int:
    match = _INDEXED.match(problem.path)
    return int(match[1]) if match else -1


def _key(section: str, record: dict) -> tuple[Any, bool]:
    """(upsert key from the raw record, whether duplicates inside one chunk are ours to find)."""
    if section in ("participants", "deals"):
        return _text(record.get("id")), False
    if section == "quotas":
        key = (record.get("participant"), record.get("plan"), record.get("period"))
        return (key if all(isinstance(k, str) for k in key) else None), False
    if section == "events":
        key = (record.get("deal"), record.get("kind"), record.get("date"))
        return (key if all(isinstance(k, str) for k in key) else None), True
    if section == "assignments":
        key = (record.get("participant"), record.get("plan"), record.get("start"))
        return (key if all(isinstance(k, str) for k in key) else None), True
    if section == "fx":
        pair, start = record.get("pair"), record.get("from")
        usable = isinstance(pair, str) and (start is None or isinstance(start, str))
        return ((pair, start) if usable else None), True
    return None, False  # pragma: no cover


def _describe_key(section: str, key: Any) -> str:
    if section == "quotas":
        return f"quota for {key[0]} on {key[1]} in {key[2]}"
    if section == "events":
        return f"event {key[1]} of deal {key[0]} on {key[2]}"
    if section == "assignments":
        return f"assignment of {key[0]} to {key[1]} starting {key[2]}"
    return f"rate {key[0]} from {key[1] or 'the beginning'}"


def _too_big(value: Any, column) -> str | None:
    """Why the database column could not hold `value` exactly, or None."""
    if value is None:
        return None
    if column is None:  # an INTEGER column
        return f"must be at most {_INT_MAX}" if value > _INT_MAX else None
    kind = column.expression.type
    if isinstance(value, str):
        length = getattr(kind, "length", None)
        if "\x00" in value:
            return "contains a NUL character"
        if length is not None and len(value) > length:
            return f"is {len(value)} characters long; Accord keeps at most {length}"
        return None
    if isinstance(value, Decimal):
        scale, precision = kind.scale, kind.precision
        exponent = value.as_tuple().exponent
        if exponent < -scale:  # trailing zeros do not count: 0.1000000 is 0.1
            exponent = value.normalize().as_tuple().exponent
        if isinstance(exponent, int) and -exponent > scale:
            return f"has more than {scale} decimal places ({value}); Accord keeps {scale}"
        if abs(value) >= _LIMIT_CACHE.setdefault(
            precision - scale, Decimal(10) ** (precision - scale)
        ):
            return f"{value} is too large (at most {precision - scale} digits before the point)"
    return None


_LIMIT_CACHE: dict[int, Decimal] = {}
