"""Upserts of validated records, a chunk at a time, in bulk statements.

The rows stored under a chunk's keys are read with a few `IN (...)` queries (never one
query per record), compared field by field, and only what differs is written: one
multi-row INSERT, grouped UPDATEs, a deal's children replaced only when they differ.
Writers only execute statements in the caller's session; the caller commits or rolls
back.

What an upsert keeps, changes or clears: docs/imports.md, "Upsert rules".
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Table, bindparam, delete, insert, select, update
from sqlalchemy.orm import Session

from governance.imports.validate import IN_CHUNK
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
from models.base import utcnow
from rules.canonical import number_from_float

KINDS = ("participants", "assignments", "quotas", "deals", "events", "fx")

# section field -> column, for the plain columns of participants and deals.
PARTICIPANT_FIELDS = {
    "name": "name",
    "hire_date": "hire_date",
    "region": "region",
    "manager": "manager_id",
    "attributes": "attributes",
    "email": "email",  # contact keys: import-only, read from the raw record (owners.py)
    "crm_user_id": "crm_user_id",
}
DEAL_FIELDS = {
    "account": "account",
    "type": "type",
    "amount": "amount",
    "currency": "currency",
    "close_date": "close_date",
    "gross_margin": "gross_margin",
    "discount": "discount",
    "term_months": "term_months",
    "region": "region",
    "products": "products",
    "owner": "owner_id",
    "cash_collected_date": "cash_collected_date",
    "attributes": "attributes",
}
CHILDREN = {"splits": DealSplit, "team": DealTeamMember, "touchpoints": DealTouchpoint}


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


def json_value(value: Any) -> Any:
    """An attribute value as the JSON column stores it.

    Whole numbers are JSON integers. Other decimals are JSON numbers when the float's
    shortest repr is the same decimal (what `rules` reads a float back as, so the value
    survives exactly); a decimal that no float can carry stays its exact text.
    """
    if isinstance(value, Decimal):
        if value == value.to_integral_value():
            return int(value)
        as_float = float(value)
        return as_float if number_from_float(as_float) == value else format(value, "f")
    if isinstance(value, list | tuple):
        return [json_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): json_value(v) for k, v in value.items()}
    return value


def _chunks(values: list, size: int = IN_CHUNK):
    for i in range(0, len(values), size):
        yield values[i : i + size]


def _rows(session: Session, columns: list, key_column, keys: list) -> list:
    out = []
    for part in _chunks(sorted(set(keys))):
        out.extend(session.execute(select(*columns).where(key_column.in_(part))).all())
    return out


def _update_by_id(session: Session, table: Table, updates: list[dict]) -> None:
    """Executemany UPDATE ... WHERE id = :key, grouped by the set of columns changed."""
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for row in updates:
        groups[tuple(sorted(row))].append(row)
    for keys, rows in groups.items():
        values = {k: bindparam(f"v_{k}") for k in keys if k != "key"}
        stmt = update(table).where(table.c.id == bindparam("key")).values(values)
        session.connection().execute(
            stmt, [{("key" if k == "key" else f"v_{k}"): v for k, v in r.items()} for r in rows]
        )


class Writer:
    """Writes chunks in section order and counts what happened per kind."""

    def __init__(self, session: Session):
        self.session = session
        self.counts = {kind: Counts() for kind in KINDS}
        self.persisted: set[str] = set()  # participant ids known to be stored by now
        self.pending_managers: list[dict] = []  # set once every participant is stored

    # ------------------------------------------------------------------ participants
    def participants(self, typed: list, stored_elsewhere: set[str]) -> None:
        table = Participant.__table__
        columns = [table.c.id, *(table.c[c] for c in PARTICIPANT_FIELDS.values())]
        ids = [p.id for p, _ in typed]
        existing = {r.id: r._asdict() for r in _rows(self.session, columns, table.c.id, ids)}
        self.persisted |= set(existing)
        now = utcnow()
        inserts, updates, nested = [], [], []
        for p, raw in typed:
            given = set(raw)
            wanted = {
                column: _participant_value(p, raw, name)
                for name, column in PARTICIPANT_FIELDS.items()
                if name in given
            }
            manager = wanted.get("manager_id")
            manager_later = manager is not None and not (
                manager in self.persisted or manager in stored_elsewhere
            )
            stored = existing.get(p.id)
            if stored is None:
                row = dict.fromkeys(PARTICIPANT_FIELDS.values()) | {"attributes": {}}
                row |= wanted | {"id": p.id, "created_at": now, "updated_at": now}
                if manager_later:  # a manager further down the file: set it afterwards
                    row["manager_id"] = None
                    self.pending_managers.append({"key": p.id, "manager_id": manager})
                inserts.append(row)
                self.counts["participants"].created += 1
            else:
                diff = {c: v for c, v in wanted.items() if stored[c] != v}
                if "manager_id" in diff and manager_later:
                    self.pending_managers.append(
                        {"key": p.id, "manager_id": diff.pop("manager_id")}
                    )
                    diff["updated_at"] = now
                if diff:
                    updates.append(diff | {"key": p.id, "updated_at": now})
                    self.counts["participants"].updated += 1
                else:
                    self.counts["participants"].unchanged += 1
            if raw.get("assignments"):
                nested.extend(
                    zip(((p.id, a) for a in p.assignments), raw["assignments"], strict=True)
                )
        # A CRM user id moving between participants: free the old holders first (unique).
        moving = [{"key": u["key"], "crm_user_id": None} for u in updates if "crm_user_id" in u]
        _update_by_id(self.session, table, moving)
        if inserts:
            self.session.execute(insert(table), inserts)
        _update_by_id(self.session, table, updates)
        self.persisted |= set(ids)
        if nested:
            self.assignments(nested)

    def finish_participants(self) -> None:
        if self.pending_managers:
            _update_by_id(self.session, Participant.__table__, self.pending_managers)
            self.pending_managers = []

    # ------------------------------------------------------------------ assignments, quotas
    def assignments(self, typed: list) -> None:
        table = Assignment.__table__
        pids = [pid for (pid, _a), _g in typed]
        stored = {
            (r.participant_id, r.plan_key, r.start_date): r._asdict()
            for r in _rows(self.session, [table], table.c.participant_id, pids)
        }
        inserts, updates = [], []
        for (pid, a), raw in typed:
            given = set(raw)
            wanted = {"role": a.role, "team": a.team, "end_date": a.end}
            wanted = {k: v for k, v in wanted.items() if _field_of(k) in given}
            row = stored.get((pid, a.plan, a.start))
            if row is None:
                base = {"role": None, "team": None, "end_date": None}
                inserts.append(
                    base
                    | wanted
                    | {"participant_id": pid, "plan_key": a.plan, "start_date": a.start}
                )
                self.counts["assignments"].created += 1
                continue
            diff = {k: v for k, v in wanted.items() if row[k] != v}
            if diff:
                updates.append(diff | {"key": row["id"]})
                self.counts["assignments"].updated += 1
            else:
                self.counts["assignments"].unchanged += 1
        if inserts:
            self.session.execute(insert(table), inserts)
        _update_by_id(self.session, table, updates)

    def quotas(self, typed: list) -> None:
        table = Quota.__table__
        stored = {
            (r.participant_id, r.plan_key, r.period): r
            for r in _rows(
                self.session, [table], table.c.participant_id, [q.participant for q, _ in typed]
            )
        }
        inserts, updates = [], []
        for q, _given in typed:
            row = stored.get((q.participant, q.plan, q.period))
            if row is None:
                inserts.append(
                    {
                        "participant_id": q.participant,
                        "plan_key": q.plan,
                        "period": q.period,
                        "amount": q.amount,
                    }
                )
                self.counts["quotas"].created += 1
            elif row.amount != q.amount:
                updates.append({"key": row.id, "amount": q.amount})
                self.counts["quotas"].updated += 1
            else:
                self.counts["quotas"].unchanged += 1
        if inserts:
            self.session.execute(insert(table), inserts)
        _update_by_id(self.session, table, updates)

    # ------------------------------------------------------------------ deals
    def deals(self, typed: list) -> None:
        table = Deal.__table__
        columns = [table.c.id, table.c.has_splits, *(table.c[c] for c in DEAL_FIELDS.values())]
        ids = [d.id for d, _ in typed]
        existing = {r.id: r._asdict() for r in _rows(self.session, columns, table.c.id, ids)}
        carried = {name for name in CHILDREN if any(name in raw for _d, raw in typed)}
        children = {
            name: self._children(model, list(existing)) if name in carried else {}
            for name, model in CHILDREN.items()
        }
        now = utcnow()
        inserts, updates = [], []
        replace: dict[str, list[str]] = {name: [] for name in CHILDREN}
        new_children: dict[str, list[dict]] = {name: [] for name in CHILDREN}
        for d, raw in typed:
            given = set(raw)
            wanted = {
                c: _deal_value(d, f)
                for f, c in DEAL_FIELDS.items()
                if f in given or f in ("amount", "currency", "close_date", "owner")
            }
            if "splits" in given:
                wanted["has_splits"] = d.splits is not None
            stored = existing.get(d.id)
            if stored is None:
                row = dict.fromkeys(DEAL_FIELDS.values()) | {
                    "products": None,  # JSON null: no products is not an empty list
                    "attributes": {},
                    "has_splits": False,
                }
                inserts.append(row | wanted | {"id": d.id, "created_at": now, "updated_at": now})
                for name in CHILDREN:
                    new_children[name].extend(_child_rows(name, d))
                self.counts["deals"].created += 1
                continue
            diff = {c: v for c, v in wanted.items() if stored[c] != v}
            changed_children = [
                name
                for name in CHILDREN
                if name in given and children[name].get(d.id, []) != _child_key(name, d)
            ]
            for name in changed_children:
                replace[name].append(d.id)
                new_children[name].extend(_child_rows(name, d))
            if diff or changed_children:
                updates.append(diff | {"key": d.id, "updated_at": now})
                self.counts["deals"].updated += 1
            else:
                self.counts["deals"].unchanged += 1
        if inserts:
            self.session.execute(insert(table), inserts)
        _update_by_id(self.session, table, updates)
        for name, model in CHILDREN.items():
            for part in _chunks(replace[name]):
                self.session.execute(
                    delete(model.__table__).where(model.__table__.c.deal_id.in_(part))
                )
            if new_children[name]:
                self.session.execute(insert(model.__table__), new_children[name])

    def _children(self, model, deal_ids: list[str]) -> dict[str, list[tuple]]:
        """Stored child rows per deal, as the tuples `_child_key` builds."""
        table = model.__table__
        fields = _CHILD_COLUMNS[model.__tablename__]
        out: dict[str, list[tuple]] = defaultdict(list)
        rows = _rows(
            self.session,
            [table.c.deal_id, table.c.position, *(table.c[f] for f in fields)],
            table.c.deal_id,
            deal_ids,
        )
        for row in sorted(rows, key=lambda r: (r.deal_id, r.position)):
            out[row.deal_id].append(tuple(getattr(row, f) for f in fields))
        return out

    # ------------------------------------------------------------------ events, fx
    def events(self, typed: list) -> None:
        table = DealEvent.__table__
        stored = {
            (r.deal_id, r.kind, r.event_date): r
            for r in _rows(self.session, [table], table.c.deal_id, [e.deal for e, _ in typed])
        }
        inserts, updates = [], []
        now = utcnow()
        for e, raw in typed:
            row = stored.get((e.deal, e.kind, e.date))
            if row is None:
                inserts.append(
                    {
                        "deal_id": e.deal,
                        "kind": e.kind,
                        "event_date": e.date,
                        "amount": e.amount,
                        "created_at": now,
                    }
                )
                self.counts["events"].created += 1
            elif "amount" in raw and row.amount != e.amount:
                updates.append({"key": row.id, "amount": e.amount})
                self.counts["events"].updated += 1
            else:
                self.counts["events"].unchanged += 1
        if inserts:
            self.session.execute(insert(table), inserts)
        _update_by_id(self.session, table, updates)

    def fx(self, typed: list) -> None:
        """Upsert by (pair, from): a new date adds a rate, an existing one is updated."""
        table = FxRate.__table__
        stored = {
            (r.base, r.quote, r.effective_from): r
            for r in self.session.execute(select(table)).all()
        }
        inserts, updates = [], []
        for rate, _given in typed:
            base, quote = rate.pair.split("/")
            row = stored.get((base, quote, rate.start))
            if row is None:
                inserts.append(
                    {"base": base, "quote": quote, "rate": rate.rate, "effective_from": rate.start}
                )
                self.counts["fx"].created += 1
            elif row.rate != rate.rate:
                updates.append({"key": row.id, "rate": rate.rate})
                self.counts["fx"].updated += 1
            else:
                self.counts["fx"].unchanged += 1
        if inserts:
            self.session.execute(insert(table), inserts)
        _update_by_id(self.session, table, updates)


_CHILD_COLUMNS = {
    "deal_splits": ("participant_id", "share"),
    "deal_team_members": ("participant_id", "role"),
    "deal_touchpoints": ("participant_id", "at", "channel", "milestone"),
}


def _field_of(column: str) -> str:
    return "end" if column == "end_date" else column


def _participant_value(p, raw: dict, name: str) -> Any:
    if name in ("email", "crm_user_id"):
        value = raw.get(name)
        return value.strip() or None if isinstance(value, str) else None
    value = getattr(p, name)
    return json_value(dict(value)) if name == "attributes" else value


def _deal_value(d, name: str) -> Any:
    value = getattr(d, name)
    if name == "attributes":
        return json_value(dict(value))
    if name == "products":
        return None if value is None else list(value)
    return value


def _child_key(name: str, d) -> list[tuple]:
    entries = getattr(d, name) or ()
    if name == "splits":
        return [(s.participant, s.share) for s in entries]
    if name == "team":
        return [(t.participant, t.role) for t in entries]
    return [(t.participant, t.at, t.channel, t.milestone) for t in entries]


def _child_rows(name: str, d) -> list[dict]:
    fields = _CHILD_COLUMNS[CHILDREN[name].__tablename__]
    return [
        {"deal_id": d.id, "position": i, **dict(zip(fields, key, strict=True))}
        for i, key in enumerate(_child_key(name, d))
    ]
