"""The database as evaluation data: rows -> the section-3 mapping -> the engine's `Data`.

    data = database_data(session, up_to=date(2026, 9, 30))

The inverse of the import service (`governance/imports/`): everything up to `up_to`
(earlier periods included: evaluating a period replays them), validated by
`rules.data.load_data` like a JSON file. Approved exceptions are passed in by the caller
(`exceptions=`, section-3 shape). A payout run reads the same per batch
(`organisation_json`, `deals_json`).

What is read, and why all of it: docs/payout-runs.md, "What a run evaluates".
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Numeric,
    String,
    Text,
    and_,
    any_,
    bindparam,
    cast,
    func,
    literal_column,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

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
from rules.canonical import DecimalText, normalise_decimal, number_from_float
from rules.data import load_data
from rules.fx import fx_to_json
from rules.model import Data
from rules.model import FxRate as EngineFxRate  # the engine's, not the row
from rules.period import Period, PeriodError


def _num(value: Decimal | str | None) -> str | None:
    """`normalise_decimal(value)`: a stored number's one text. Text is that text already
    (`number_text`: PostgreSQL wrote it). A column's value comes back at the column's
    scale (`1250.500000`): its plain text with the trailing zeros cut is that text, at a
    fifth of the cost; anything else (an exponent, `-0`) takes the general path."""
    if value is None or value.__class__ is str:
        return value
    text = str(value)
    if "." in text and "E" not in text:
        text = text.rstrip("0").rstrip(".")
        if text != "-0" and len(text) < _PLAIN_DIGITS:
            return text
    return normalise_decimal(value)


_PLAIN_DIGITS = 40  # (with its point and sign) within `normalise_decimal`'s range check


def number_text(session: Session, column: Any) -> Any:
    """`column` as selected for `_num`: on PostgreSQL, a stored number (NUMERIC) comes
    as its one text written by the server (`trim_scale(x)::text`: plain notation without
    trailing zeros, which is `normalise_decimal` of a NUMERIC(p, s) value), so a read
    makes no Decimal only to write it back as text; anything else as it is."""
    if not isinstance(column.type, Numeric) or session.get_bind().dialect.name != "postgresql":
        return column
    return cast(func.trim_scale(column), Text).label(column.key)


def _day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _attribute(value: Any) -> Any:
    """A JSON-column value back as section-3 input: numbers exact (DecimalText)."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return DecimalText(normalise_decimal(Decimal(value)))
    if isinstance(value, float):
        # The writer stores a float only when its shortest repr is the exact decimal.
        return DecimalText(normalise_decimal(number_from_float(value)))
    if isinstance(value, Decimal):
        return DecimalText(normalise_decimal(value))
    if isinstance(value, list | tuple):
        return [_attribute(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _attribute(v) for k, v in value.items()}
    return value


def core_rows(session: Session, stmt) -> Any:
    """`session.execute(stmt)` for a Core select of plain columns, on the session's
    connection (same transaction, flushed first as `execute` would): rows without the
    ORM's result machinery, ~25% less CPU on a batch's 20,000 deals."""
    if session.autoflush:
        session.flush()
    return session.connection().execute(stmt)


def _quota_starts_by(period: str, up_to: date | None) -> bool:
    if up_to is None:
        return True
    try:
        return Period.parse(period).start <= up_to
    except PeriodError:  # pragma: no cover - the import validated every period
        return True


def database_json(
    session: Session, *, up_to: date | None = None, exceptions: Iterable[Mapping] = ()
) -> dict[str, Any]:
    """The section-3 mapping of the database (everything up to `up_to`, or everything)."""
    org, deals = organisation_json(session, up_to=up_to), deals_json(session, up_to=up_to)
    return {
        "participants": org["participants"],
        "quotas": org["quotas"],
        "deals": deals["deals"],
        "events": deals["events"],
        "exceptions": [dict(x) for x in exceptions],
        "fx": org["fx"],
    }


def organisation_json(
    session: Session, *, up_to: date | None = None, people: Collection[str] | None = None
) -> dict[str, Any]:
    """The parts that grow with the organisation, not with the deals: participants,
    quotas (of periods starting by `up_to`) and FX rates. `people`: only these
    participants and their quotas (the rows of the whole read, in its order)."""
    stmt = select(Quota.participant_id, Quota.plan_key, Quota.period, Quota.amount).order_by(
        Quota.participant_id, Quota.plan_key, Quota.period
    )
    if people is not None:
        stmt = stmt.where(among(session, Quota.participant_id, people))
    rows = session.execute(stmt).all()
    # Each period's text is parsed once: a few periods, a quota per person and period.
    starts_by = {period: _quota_starts_by(period, up_to) for period in {q.period for q in rows}}
    quotas = [
        {
            "participant": q.participant_id,
            "plan": q.plan_key,
            "period": q.period,
            "amount": _num(q.amount),
        }
        for q in rows
        if starts_by[q.period]
    ]
    return {
        "participants": _participants(session, people),
        "quotas": quotas,
        "fx": fx_json(session),
    }


def fx_json(session: Session) -> dict[str, Any] | list[dict[str, Any]]:
    """The `fx` section: the map form while no stored rate has a date, else dated rates."""
    return fx_to_json(stored_fx_rates(session))


def stored_fx_rates(session: Session) -> list[EngineFxRate]:
    """Every stored FX rate as the engine's `FxRate`, ordered by (pair, from)."""
    rows = session.execute(
        select(FxRate.base, FxRate.quote, FxRate.rate, FxRate.effective_from).order_by(
            FxRate.base, FxRate.quote, FxRate.effective_from
        )
    )
    return [
        EngineFxRate(f"{r.base}/{r.quote}", Decimal(normalise_decimal(r.rate)), r.effective_from)
        for r in rows
    ]


# The ASCII unit separator between the values `among` binds as one text (a value holding
# one is bound as an array instead).
_UNIT = "\x1f"


def among(session: Session, column: ColumnElement, values: Collection[str]) -> ColumnElement[bool]:
    """`column IN values`, the values bound as ONE parameter: on PostgreSQL one text split
    by the server (`= ANY(string_to_array(...))`), or an array where a value holds the
    separator or is empty; on SQLite a JSON array (`IN (SELECT value FROM json_each(...))`).
    One bound parameter per value costs more than the query once there are thousands
    (SQLAlchemy renders, and psycopg parses, every placeholder), and SQLite allows at
    most 32,766 of them. A text rather than an array: psycopg quotes an array's items one
    by one in Python (about 10 ms for a batch's 12,500 deal ids, each of its six reads)."""
    items = sorted(values)
    if session.get_bind().dialect.name == "postgresql":
        joined = _UNIT.join(items)
        if joined.count(_UNIT) == len(items) - 1 and items[:1] != [""]:
            split = func.string_to_array(
                bindparam(None, joined, type_=String), _UNIT, type_=ARRAY(String)
            )
            return column == any_(split)
        return column == any_(bindparam(None, items, type_=ARRAY(String)))
    listed = select(literal_column("value")).select_from(
        func.json_each(bindparam(None, json.dumps(items)))
    )
    return column.in_(listed)


def deals_json(
    session: Session, *, up_to: date | None = None, ids: Collection[str] | None = None
) -> dict[str, list[dict[str, Any]]]:
    """The deals closed by `up_to` with their splits, team and touchpoints, and their
    events dated by `up_to`, in (close date, id) order. `ids`: only these deals (a payout
    run's participant batch reads its own)."""
    reads = deal_reads(session, up_to, ids)
    rows = {name: list(core_rows(session, stmt)) for name, stmt in reads.items()}
    return deal_records(rows, by_id=ids is not None)


def deal_reads(session: Session, up_to: date | None, ids: Collection[str] | None) -> dict[str, Any]:
    """The SELECTs of `deals_json` by name; `deal_records` makes the records of their
    rows (`payouts.batches.BatchReader` runs them ahead, from a thread)."""
    deal_filter = Deal.close_date <= up_to if up_to is not None else None
    if ids is not None:
        chosen = among(session, Deal.id, ids)
        deal_filter = chosen if deal_filter is None else and_(deal_filter, chosen)
    events = (
        select(
            DealEvent.deal_id,
            DealEvent.kind,
            DealEvent.event_date,
            number_text(session, DealEvent.amount),
        )
        .join(Deal, Deal.id == DealEvent.deal_id)
        .order_by(DealEvent.deal_id, DealEvent.event_date, DealEvent.kind)
    )
    if deal_filter is not None:
        events = events.where(deal_filter)
    if up_to is not None:
        events = events.where(DealEvent.event_date <= up_to)
    deals = select(*(number_text(session, c) for c in _DEAL_COLUMNS)).order_by(
        Deal.close_date, Deal.id
    )
    if deal_filter is not None:
        deals = deals.where(deal_filter)
    return {
        "events": events,
        "splits": _children(session, DealSplit, ("participant_id", "share"), deal_filter),
        "team": _children(session, DealTeamMember, ("participant_id", "role"), deal_filter),
        "touchpoints": _children(
            session, DealTouchpoint, ("participant_id", "at", "channel", "milestone"), deal_filter
        ),
        "deals": deals,
    }


def deal_records(
    rows: Mapping[str, Iterable[Any]], *, by_id: bool = False
) -> dict[str, list[dict[str, Any]]]:
    """`deals_json` made of the rows of `deal_reads` (by name). `by_id`: the deals were
    chosen by id, and are put in (close date, id) order by Python."""
    events = [
        {"deal": deal, "kind": kind, "date": _day(day), "amount": _num(amount)}
        for deal, kind, day, amount in rows["events"]
    ]
    deals = _deals(rows)
    if by_id:  # Python's order of the ids, whatever the database's collation
        deals.sort(key=lambda d: (d["close_date"], d["id"]))
    return {"deals": deals, "events": events}


def database_data(
    session: Session, *, up_to: date | None = None, exceptions: Iterable[Mapping] = ()
) -> Data:
    """`database_json` validated into the engine's `Data` (raises `InvalidData`)."""
    return load_data(database_json(session, up_to=up_to, exceptions=exceptions))


def _participants(session: Session, people: Collection[str] | None) -> list[dict[str, Any]]:
    assignments: dict[str, list[dict[str, Any]]] = defaultdict(list)
    stmt = select(
        Assignment.participant_id,
        Assignment.plan_key,
        Assignment.role,
        Assignment.team,
        Assignment.start_date,
        Assignment.end_date,
    ).order_by(Assignment.participant_id, Assignment.start_date, Assignment.plan_key)
    if people is not None:
        stmt = stmt.where(among(session, Assignment.participant_id, people))
    for a in session.execute(stmt):
        assignments[a.participant_id].append(
            {
                "plan": a.plan_key,
                "role": a.role,
                "team": a.team,
                "start": _day(a.start_date),
                "end": _day(a.end_date),
            }
        )
    stmt = select(
        Participant.id,
        Participant.name,
        Participant.hire_date,
        Participant.region,
        Participant.manager_id,
        Participant.attributes,
    ).order_by(Participant.id)
    if people is not None:
        stmt = stmt.where(among(session, Participant.id, people))
    rows = session.execute(stmt)
    return [
        {
            "id": p.id,
            "name": p.name,
            "hire_date": _day(p.hire_date),
            "region": p.region,
            "manager": p.manager_id,
            "attributes": _attribute(p.attributes or {}),
            "assignments": assignments.get(p.id, []),
        }
        for p in rows
    ]


def _children(session: Session, model, columns, deal_filter) -> Any:
    """The SELECT of child rows (deal id, *columns) in their stored order (no N+1)."""
    table = model.__table__
    stmt = (
        select(table.c.deal_id, *(number_text(session, table.c[c]) for c in columns))
        .join(Deal, Deal.id == table.c.deal_id)
        .order_by(table.c.deal_id, table.c.position)
    )
    return stmt if deal_filter is None else stmt.where(deal_filter)


# The columns a deal's record is read from (not its row's timestamps: the record has no
# use for them, and time-zone-aware datetimes are costly to make), in `_deals`' order.
_DEAL_COLUMNS = (
    Deal.id,
    Deal.account,
    Deal.type,
    Deal.amount,
    Deal.currency,
    Deal.close_date,
    Deal.gross_margin,
    Deal.discount,
    Deal.term_months,
    Deal.region,
    Deal.products,
    Deal.owner_id,
    Deal.has_splits,
    Deal.cash_collected_date,
    Deal.attributes,
)


def _deals(rows: Mapping[str, Iterable[Any]]) -> list[dict[str, Any]]:
    """The deals' records; rows unpacked as tuples, children grouped by deal first."""
    splits: dict[str, list] = defaultdict(list)
    for deal_id, participant, share in rows["splits"]:
        splits[deal_id].append({"participant": participant, "share": _num(share)})
    team: dict[str, list] = defaultdict(list)
    for deal_id, participant, role in rows["team"]:
        team[deal_id].append({"participant": participant, "role": role})
    touchpoints: dict[str, list] = defaultdict(list)
    for deal_id, participant, at, channel, milestone in rows["touchpoints"]:
        touchpoints[deal_id].append(
            {"participant": participant, "at": _day(at), "channel": channel, "milestone": milestone}
        )
    out = []
    for (
        deal_id,
        account,
        kind,
        amount,
        currency,
        close_date,
        gross_margin,
        discount,
        term_months,
        region,
        products,
        owner,
        has_splits,
        cash_collected,
        attributes,
    ) in rows["deals"]:
        out.append(
            {
                "id": deal_id,
                "account": account,
                "type": kind,
                "amount": _num(amount),
                "currency": currency,
                "close_date": _day(close_date),
                "gross_margin": _num(gross_margin),
                "discount": _num(discount),
                "term_months": term_months,
                "region": region,
                "products": None if products is None else list(products),
                "owner": owner,
                "splits": (splits.get(deal_id) or []) if has_splits else None,
                "team": team.get(deal_id) or [],
                "touchpoints": touchpoints.get(deal_id) or [],
                "cash_collected_date": _day(cash_collected),
                "attributes": _attribute(attributes) if attributes else {},
            }
        )
    return out
