"""Impact simulation of a plan change: what would each participant have been paid?

    impact = simulate(session, proposed, replaced, as_of=date.today(), periods=4, top=10)

The proposed version and the one it would replace are evaluated over the database's data
for the last `periods` completed periods before `as_of`, and compared on each statement's
`payable`. A period either version cannot evaluate is reported with its problems
(`complete: false`): the committee sees it instead of a crash or a partial number.
`forward` is the same comparison over the open period containing `as_of`, on its data so
far. A period (backward or forward) without a deal or event of its own is listed under
`warnings`, and `periods_with_data` counts the backward ones that had some. Each window
carries its `breakdown` (`plans.impact_breakdown`: movers, histogram, team and function
totals), stored with the rest so every voter's charts show the same numbers.

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
from governance.plans import impact_breakdown
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


def open_period(kind: str, as_of: date) -> Period:
    """The period of `kind` containing `as_of`: the one the forward impact evaluates."""
    return Period.containing(as_of, kind)


def _forward_frame(period: Period) -> dict[str, Any]:
    return {
        "period": period.name,
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
        "complete": True,
        "errors": {},
        "deals": 0,
        "events": 0,
        "has_data": False,
        "participants": [],
        "total": _totals({}, {}),
        "top": [],
        "breakdown": impact_breakdown.empty(),
        "data_problems": [],
    }


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
        "periods_with_data": 0,
        "warnings": [],
        "breakdown": impact_breakdown.empty(),
        "forward": _forward_frame(open_period(proposed.period, as_of)),
    }


def _activity(data: Data, period: Period) -> dict[str, Any]:
    """The deals closed and events dated in `period`: whether it has data of its own."""
    deals = sum(1 for d in data.deals if period.contains(d.close_date))
    events = sum(1 for e in data.events if period.contains(e.date))
    return {"deals": deals, "events": events, "has_data": bool(deals or events)}


def _compare(
    proposed: Plan, replaced: Plan | None, data: Data, period: Period
) -> tuple[dict[str, Any], dict[str, Decimal] | None, dict[str, Decimal] | None]:
    """(the period's entry, payables before, after) of both versions over `period`;
    None, None when either cannot evaluate it (the entry lists the problems)."""
    entry: dict[str, Any] = {"period": period.name, "errors": {}, **_activity(data, period)}
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
        entry.update(participants=[], total=None)
        return entry, None, None
    before, after = sides["replaced"], sides["proposed"]
    entry.update(participants=_rows(before, after), total=_totals(before, after))
    return entry, before, after


def _top(rows: list[dict[str, str]], top: int) -> list[dict[str, str]]:
    changed = [r for r in rows if Decimal(r["delta"]) != 0]
    changed.sort(key=lambda r: (-abs(Decimal(r["delta"])), r["participant"]))
    return changed[:top]


def _no_data(window: str, period: str) -> dict[str, str]:
    return {
        "window": window,
        "period": period,
        "message": f"{period} has no deals or events: its amounts come only from earlier"
        " data (draws, releases), if any.",
    }


def _read(session: Session, raw, up_to: date, exceptions) -> Data:
    if raw is None:
        return database_data(session, up_to=up_to, exceptions=exceptions)
    return load_data(raw)


def forward(
    session: Session,
    proposed: Plan,
    replaced: Plan | None,
    *,
    as_of: date,
    top: int = 10,
    exceptions=(),
    raw: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Both versions over the open period containing `as_of`, on its data so far
    (`raw`: the engine data up to the period's end, if read): per participant before,
    after and delta, the totals, `top`, the `breakdown` and whether it has data."""
    period = open_period(proposed.period, as_of)
    result = _forward_frame(period)
    try:
        data = _read(session, raw, period.end, exceptions)
    except InvalidData as exc:
        result.update(complete=False, data_problems=_problems(exc.problems))
        return result
    entry, _before, _after = _compare(proposed, replaced, data, period)
    result.update(entry, complete=not entry["errors"], total=entry["total"] or _totals({}, {}))
    result["top"] = _top(result["participants"], top)
    result["breakdown"] = impact_breakdown.breakdown(
        result["participants"], data, proposed.policy, on=min(as_of, period.end), count=top
    )
    return result


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
    forward_raw: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The impact of replacing `replaced` (None: a new plan) by `proposed` (see above),
    backward and `forward`. `raw`: the engine data (`engine_input.database_json` up to
    the window's end), `forward_raw` up to the open period's end, if read."""
    window = completed_periods(proposed.period, as_of, periods)
    result = frame(proposed, replaced, as_of=as_of, periods=periods, labels=labels)
    result["forward"] = ahead = forward(
        session, proposed, replaced, as_of=as_of, top=top, exceptions=exceptions, raw=forward_raw
    )
    if not ahead["has_data"] and not ahead["data_problems"]:
        result["warnings"].append(_no_data("forward", ahead["period"]))
    try:
        data = _read(session, raw, window[-1].end, exceptions)
    except InvalidData as exc:  # the stored data no longer validates: say so, do not crash
        result["complete"] = False
        result["data_problems"] = _problems(exc.problems)
        return result
    result["deals"] = sum(1 for d in data.deals if window[0].start <= d.close_date)
    overall_before: dict[str, Decimal] = defaultdict(lambda: ZERO)
    overall_after: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for period in window:
        entry, before, after = _compare(proposed, replaced, data, period)
        if before is None or after is None:
            result["complete"] = False
        else:
            for who, amount in before.items():
                overall_before[who] += amount
            for who, amount in after.items():
                overall_after[who] += amount
        result["by_period"].append(entry)
    empty = [_no_data("backward", e["period"]) for e in result["by_period"] if not e["has_data"]]
    result["warnings"][:0] = empty  # oldest first, the forward period's last
    result["periods_with_data"] = len(window) - len(empty)
    rows = _rows(overall_before, overall_after)
    result["participants"] = rows
    result["total"] = _totals(overall_before, overall_after)
    result["top"] = _top(rows, top)
    result["breakdown"] = impact_breakdown.breakdown(
        rows, data, proposed.policy, on=window[-1].end, count=top
    )
    return result


def totals_only(impact: dict[str, Any]) -> dict[str, Any]:
    """The impact without any participant's pay: the periods, totals, errors, counts and
    warnings stay; per-participant rows, `top` and the breakdowns (a team or function
    of one is one person's pay) go (`participants_hidden: true`). What a reader of plans
    who may not read every statement (the deal desk) is shown."""
    hidden = {"participants": [], "top": [], "breakdown": impact_breakdown.empty()}
    out = {**impact, **hidden, "participants_hidden": True}
    out["by_period"] = [{**entry, "participants": []} for entry in impact.get("by_period", [])]
    if "forward" in impact:
        out["forward"] = {**impact["forward"], **hidden}
    return out
