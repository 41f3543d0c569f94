"""Builders shared by the evaluation tests: small plans and data written in place.

Plans go through the real validator (`plan_from_mapping`) and data through `load_data`,
so every test exercises the documents a user would write.
"""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

from rules.data import load_data
from rules.document import plan_from_mapping
from rules.evaluate import evaluate

D = Decimal

BASE_PLAN: dict[str, Any] = {
    "policy": "tp",
    "title": "Test plan",
    "currency": "USD",
    "period": "quarter",
    "credit": [{"id": "owner", "to": "owner", "share": 1}],
    "rates": [{"id": "flat", "rate": D("0.1")}],
}


def plan(**changes: Any):
    doc = copy.deepcopy(BASE_PLAN)
    doc.update(changes)
    return plan_from_mapping(doc)


def person(pid: str, *, plan_key: str = "tp", start="2026-01-01", end=None, **extra) -> dict:
    assignments = extra.pop("assignments", None)
    if assignments is None:
        assignments = [{"plan": plan_key, "start": start, "end": end, "role": "AE"}]
    return {"id": pid, "assignments": assignments, **extra}


def deal(did: str, amount, close: str, owner: str = "ana", **extra) -> dict:
    return {
        "id": did,
        "amount": str(amount),
        "currency": extra.pop("currency", "USD"),
        "close_date": close,
        "owner": owner,
        **extra,
    }


def data(deals=(), participants=None, quotas=(), events=(), exceptions=(), fx=None):
    obj = {
        "participants": participants if participants is not None else [person("ana")],
        "quotas": list(quotas),
        "deals": list(deals),
        "events": list(events),
        "exceptions": list(exceptions),
        "fx": fx or {},
    }
    return load_data(obj)


def quota(pid: str, amount, period="2026-Q3", plan_key="tp") -> dict:
    return {"participant": pid, "plan": plan_key, "period": period, "amount": str(amount)}


def run(the_plan, the_data, period="2026-Q3", engine="durable") -> dict:
    return evaluate([the_plan], the_data, period, engine=engine)


def statement(out: dict, participant: str = "ana", plan_key: str = "tp") -> dict:
    for st in out["statements"]:
        if st["participant"] == participant and st["plan"] == plan_key:
            return st
    raise AssertionError(f"no statement for {participant}/{plan_key}")


def lines(st: dict, kind: str | None = None) -> list[dict]:
    return [ln for ln in st["lines"] if kind is None or ln["kind"] == kind]


def amounts(st: dict, kind: str | None = None) -> list[str]:
    return [ln["amount"] for ln in lines(st, kind)]
