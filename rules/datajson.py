"""The inverse of `rules.data.load_data`: a `Data` back to its section-3 mapping.

The database layer builds `Data` from its rows and hands it (or this mapping) to the
engine; `load_data(data_to_json(d)) == d` for every valid `d`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from rules.canonical import DecimalText
from rules.fx import fx_to_json
from rules.model import Data, Deal, PayoutException

# Which keys each exception kind carries (spec section 4), besides id and kind.
EXCEPTION_FIELDS = {
    "waive_gate": ("deal", "gate"),
    "waive_clawback": ("deal", "clawback"),
    "override_split": ("deal", "plan", "credits"),
    "adjustment": ("participant", "plan", "period", "amount", "reason"),
}


def _num(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


def _day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _attr_json(value: Any) -> Any:
    if isinstance(value, Decimal):
        return DecimalText(format(value, "f"))
    if isinstance(value, tuple | list):
        return [_attr_json(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _attr_json(v) for k, v in value.items()}
    return value


def data_to_json(data: Data) -> dict[str, Any]:
    """The section-3 mapping of `data`; `load_data(data_to_json(d)) == d`.

    Decimals are written as their exact text (JSON strings), dates as ISO text, absent
    optional values as null. Numbers inside `attributes` are `DecimalText` (a str that
    `load_data` reads back as a number).
    """
    return {
        "participants": [
            {
                "id": p.id,
                "name": p.name,
                "hire_date": _day(p.hire_date),
                "region": p.region,
                "manager": p.manager,
                "attributes": _attr_json(dict(p.attributes)),
                "assignments": [
                    {
                        "plan": a.plan,
                        "role": a.role,
                        "team": a.team,
                        "start": _day(a.start),
                        "end": _day(a.end),
                    }
                    for a in p.assignments
                ],
            }
            for p in data.participants
        ],
        "quotas": [
            {
                "participant": q.participant,
                "plan": q.plan,
                "period": q.period,
                "amount": _num(q.amount),
            }
            for q in data.quotas
        ],
        "deals": [_deal_json(d) for d in data.deals],
        "events": [
            {"deal": e.deal, "kind": e.kind, "date": _day(e.date), "amount": _num(e.amount)}
            for e in data.events
        ],
        "exceptions": [_exception_json(x) for x in data.exceptions],
        "fx": fx_to_json(data.fx),
    }


def _deal_json(d: Deal) -> dict[str, Any]:
    return {
        "id": d.id,
        "account": d.account,
        "type": d.type,
        "amount": _num(d.amount),
        "currency": d.currency,
        "close_date": _day(d.close_date),
        "gross_margin": _num(d.gross_margin),
        "discount": _num(d.discount),
        "term_months": d.term_months,
        "region": d.region,
        "products": None if d.products is None else list(d.products),
        "owner": d.owner,
        "splits": None
        if d.splits is None
        else [{"participant": s.participant, "share": _num(s.share)} for s in d.splits],
        "team": [{"participant": t.participant, "role": t.role} for t in d.team],
        "touchpoints": [
            {
                "participant": t.participant,
                "at": _day(t.at),
                "channel": t.channel,
                "milestone": t.milestone,
            }
            for t in d.touchpoints
        ],
        "cash_collected_date": _day(d.cash_collected_date),
        "attributes": _attr_json(dict(d.attributes)),
    }


def _exception_json(x: PayoutException) -> dict[str, Any]:
    out: dict[str, Any] = {"id": x.id, "kind": x.kind}
    values = {
        "deal": x.deal,
        "gate": x.gate,
        "clawback": x.clawback,
        "plan": x.plan,
        "credits": [{"participant": c.participant, "share": _num(c.share)} for c in x.credits],
        "participant": x.participant,
        "period": x.period,
        "amount": _num(x.amount),
        "reason": x.reason,
    }
    for key in EXCEPTION_FIELDS[x.kind]:
        out[key] = values[key]
    return out
