"""The engine's estimate of what a payout exception changes, now and in later periods.

    impact = estimate(session, target, approved=[...section-3 exceptions already approved])

The governing plan version is evaluated twice over the database's data, with the
exceptions already approved and with this request added, from the request's period on
through every later period the data still moves pay in (`rules.evaluate.payables_from`:
held lines released later, clawbacks of later cancellations), and compared on each
statement's `payable`. `now` is the request's period, `later` the periods after it; the
totals `delta` (the net change, stored as `estimated_impact`) and `moved` (the sum of
absolute changes per participant and period, which routes the request) count both. An
estimate that cannot be computed is `complete: false` and goes to the committee: an
unknown impact is never a small one.

The periods, the measure and the routing: docs/exceptions.md, "Estimated impact".
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from governance.engine_input import database_data
from governance.exceptions.fields import Target
from governance.exceptions.scope import scoped_data
from rules.evaluate import payables_from
from rules.model import Data
from rules.period import Period
from rules.problems import EvaluationError, InvalidData

ZERO = Decimal("0.00")
PROVISIONAL_ID = "EX-new"  # the request has no id yet while it is being estimated


def engine_shape(target: Target, exception_id: str) -> dict[str, Any]:
    """The request in the spec's section-3 "exceptions" shape."""
    return section3_exception(
        exception_id,
        target.kind,
        deal=target.deal_id,
        rule=target.rule_id,
        plan=target.plan_key,
        credits=target.credits,
        participant=target.participant_id,
        period=target.period.name if target.period else None,
        amount=None if target.amount is None else format(target.amount, "f"),
        reason=target.justification,
    )


def section3_exception(exception_id: str, kind: str, **fields: Any) -> dict[str, Any]:
    """An exception in the spec's section-3 shape, from its stored or requested fields
    (deal, rule, plan, credits, participant, period name, amount text, reason): the keys
    its kind takes. One shape for the impact estimate and for the runs."""
    out: dict[str, Any] = {"id": exception_id, "kind": kind}
    if kind == "waive_gate":
        out.update(deal=fields["deal"], gate=fields["rule"])
    elif kind == "waive_clawback":
        out.update(deal=fields["deal"], clawback=fields["rule"])
    elif kind == "override_split":
        out.update(deal=fields["deal"], plan=fields["plan"], credits=fields["credits"])
    else:
        out.update(
            participant=fields["participant"],
            plan=fields["plan"],
            period=fields["period"],
            amount=fields["amount"],
            reason=fields["reason"],
        )
    return out


def _payables(target: Target, data: Data) -> dict[str, dict[str, Decimal]]:
    """period name -> participant -> payable, from the request's period on."""
    by_period = payables_from([target.plan], data, target.period.name)
    return {
        period: {who: amount for (who, _plan), amount in payables.items()}
        for period, payables in by_period.items()
    }


def _changes(period: str, before: dict, after: dict, named: list[str]) -> list[dict[str, Any]]:
    rows = []
    for who in sorted(set(before) | set(after) | set(named)):
        b, a = before.get(who, ZERO), after.get(who, ZERO)
        if a != b or who in named:
            rows.append(
                {
                    "participant": who,
                    "period": period,
                    "before": str(b),
                    "after": str(a),
                    "delta": str(a - b),
                }
            )
    return rows


def _sums(rows: list[dict[str, Any]]) -> tuple[Decimal, Decimal]:
    """(net delta, moved) of some rows."""
    deltas = [Decimal(r["delta"]) for r in rows]
    return sum(deltas, ZERO), sum((abs(d) for d in deltas), ZERO)


def estimate(
    session: Session, target: Target, approved: list[dict], *, whole: bool = False
) -> dict[str, Any]:
    """Before/after payables per participant, in the request's period and later ones:
    of the affected participants (`scope.scoped_data`), or over the whole data (`whole`,
    the estimate as it was; tests compare the two)."""
    zero = str(ZERO)
    result: dict[str, Any] = {
        "plan": target.plan_key,
        "version": target.version_label,
        "period": target.period.name,
        "currency": target.plan.currency,
        "measure": "payable",
        "complete": True,
        "problems": [],
        "participants": [],
        "before": zero,
        "after": zero,
        "now": {"delta": zero, "moved": zero},
        "later": {"periods": [], "participants": [], "delta": zero, "moved": zero},
        "delta": zero,
        "moved": zero,
    }
    try:
        # Read and validate the data once, with the request; the "before" side is the
        # same data without it. Scoped: the affected participants' slices (all their
        # periods: later deals and events decide what a waiver releases or recovers).
        exceptions = [*approved, engine_shape(target, PROVISIONAL_ID)]
        if whole:
            with_it = database_data(session, exceptions=exceptions)
        else:
            with_it, people = scoped_data(session, target, exceptions)
            result["scope"] = {"participants": sorted(people)}
        without = replace(
            with_it, exceptions=tuple(x for x in with_it.exceptions if x.id != PROVISIONAL_ID)
        )
        before, after = _payables(target, without), _payables(target, with_it)
    except (EvaluationError, InvalidData) as exc:
        result["complete"] = False
        result["problems"] = [p.as_dict() for p in exc.problems]
        return result
    period = target.period.name
    now_before, now_after = before.get(period, {}), after.get(period, {})
    rows = _changes(period, now_before, now_after, target.named)
    later_periods = sorted((set(before) | set(after)) - {period}, key=Period.parse)
    later = [
        row
        for name in later_periods
        for row in _changes(name, before.get(name, {}), after.get(name, {}), [])
    ]
    (now_delta, now_moved), (later_delta, later_moved) = _sums(rows), _sums(later)
    result.update(
        participants=[{k: v for k, v in r.items() if k != "period"} for r in rows],
        before=str(sum(now_before.values(), ZERO)),
        after=str(sum(now_after.values(), ZERO)),
        now={"delta": str(now_delta), "moved": str(now_moved)},
        later={
            "periods": later_periods,
            "participants": later,
            "delta": str(later_delta),
            "moved": str(later_moved),
        },
        delta=str(now_delta + later_delta),
        moved=str(now_moved + later_moved),
    )
    return result
