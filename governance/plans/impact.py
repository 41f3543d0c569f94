"""Impact simulation of a plan change: what would each participant have been paid?

    impact = simulate(session, proposed, replaced, as_of=date.today(), periods=4, top=10)

The proposed version and the one it would replace are evaluated over the database's data
for the last `periods` completed periods before `as_of`, and compared on each statement's
`payable`. A period either version cannot evaluate is reported with its problems
(`complete: false`): the committee sees it instead of a crash or a partial number.

The window, the measure and the JSON: docs/governance.md, "Impact simulation" (in
"Change requests, committee votes and the approval rules").
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from governance.engine_input import database_data
from rules.data import load_data
from rules.evaluate import evaluate
from rules.model import Data, Plan
from rules.period import Period
from rules.problems import EvaluationError, InvalidData

ZERO = Decimal("0.00")


def completed_periods(kind: str, as_of: date, count: int) -> list[Period]:
    """The last `count` periods of `kind` that ended before `as_of`, oldest first."""
    period = Period.containing(as_of, kind).previous()
    out = [period]
    while len(out) < count:
        period = period.previous()
        out.append(period)
    return out[::-1]


def _payables(plan: Plan, data: Data, period: Period) -> dict[str, Decimal]:
    output = evaluate([plan], data, period.name)
    totals: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for statement in output["statements"]:
        totals[statement["participant"]] += Decimal(statement["payable"])
    return dict(totals)


def _problems(problems) -> list[dict[str, Any]]:
    return [p.as_dict() for p in problems]


def _rows(before: dict[str, Decimal], after: dict[str, Decimal]) -> list[dict[str, str]]:
    return [
        {
            "participant": who,
            "before": str(before.get(who, ZERO)),
            "after": str(after.get(who, ZERO)),
            "delta": str(after.get(who, ZERO) - before.get(who, ZERO)),
        }
        for who in sorted(set(before) | set(after))
    ]


def _totals(before: dict[str, Decimal], after: dict[str, Decimal]) -> dict[str, str]:
    b, a = sum(before.values(), ZERO), sum(after.values(), ZERO)
    return {"before": str(b), "after": str(a), "delta": str(a - b)}


def _version(plan: Plan | None, label: str | None) -> dict[str, Any] | None:
    return None if plan is None else {"label": label, "version": plan.version}


def frame(
    proposed: Plan,
    replaced: Plan | None,
    *,
    as_of: date,
    periods: int,
    labels: tuple[str | None, str | None] = (None, None),
) -> dict[str, Any]:
    """What is simulated (versions, window, measure) with nothing computed yet: the
    shape of `simulate`'s result, empty. What a change request stores when a worker
    computes its impact."""
    window = completed_periods(proposed.period, as_of, periods)
    return {
        "as_of": as_of.isoformat(),
        "period_kind": proposed.period,
        "periods": [p.name for p in window],
        "proposed": _version(proposed, labels[0]),
        "replaced": _version(replaced, labels[1]),
        "measure": "payable",
        "complete": True,
        "by_period": [],
        "participants": [],
        "total": _totals({}, {}),
        "top": [],
        "deals": 0,
        "data_problems": [],
    }


def simulate(
    session: Session,
    proposed: Plan,
    replaced: Plan | None,
    *,
    as_of: date,
    periods: int = 4,
    top: int = 10,
    labels: tuple[str | None, str | None] = (None, None),
    exceptions=(),
    raw: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The impact of replacing `replaced` (None: a new plan) by `proposed` (see above).
    `raw`: the engine data (`engine_input.database_json` up to the window's end), if read."""
    window = completed_periods(proposed.period, as_of, periods)
    result = frame(proposed, replaced, as_of=as_of, periods=periods, labels=labels)
    try:
        if raw is None:
            data = database_data(session, up_to=window[-1].end, exceptions=exceptions)
        else:
            data = load_data(raw)
    except InvalidData as exc:  # the stored data no longer validates: say so, do not crash
        result["complete"] = False
        result["data_problems"] = _problems(exc.problems)
        return result
    result["deals"] = sum(1 for d in data.deals if window[0].start <= d.close_date)
    overall_before: dict[str, Decimal] = defaultdict(lambda: ZERO)
    overall_after: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for period in window:
        entry: dict[str, Any] = {"period": period.name, "errors": {}}
        sides: dict[str, dict[str, Decimal]] = {}
        for side, plan in (("replaced", replaced), ("proposed", proposed)):
            if plan is None:
                sides[side] = {}
                continue
            try:
                sides[side] = _payables(plan, data, period)
            except EvaluationError as exc:
                entry["errors"][side] = _problems(exc.problems)
        if entry["errors"]:
            result["complete"] = False
            entry.update(participants=[], total=None)
        else:
            before, after = sides["replaced"], sides["proposed"]
            entry.update(participants=_rows(before, after), total=_totals(before, after))
            for who, amount in before.items():
                overall_before[who] += amount
            for who, amount in after.items():
                overall_after[who] += amount
        result["by_period"].append(entry)
    rows = _rows(overall_before, overall_after)
    result["participants"] = rows
    result["total"] = _totals(overall_before, overall_after)
    changed = [r for r in rows if Decimal(r["delta"]) != 0]
    changed.sort(key=lambda r: (-abs(Decimal(r["delta"])), r["participant"]))
    result["top"] = changed[:top]
    return result


def totals_only(impact: dict[str, Any]) -> dict[str, Any]:
    """The impact without any participant's pay: the periods, totals, errors and counts
    stay; per-participant rows and `top` go (`participants_hidden: true`). What a reader
    of plans who may not read every statement (the deal desk) is shown."""
    out = {**impact, "participants": [], "top": [], "participants_hidden": True}
    out["by_period"] = [{**entry, "participants": []} for entry in impact.get("by_period", [])]
    return out
