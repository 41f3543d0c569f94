"""The engine's estimate of what a payout exception changes.

    impact = estimate(session, target, approved=[...section-3 exceptions already approved])

The governing plan version is evaluated for the request's period twice, with the
exceptions already approved and with this request added, and compared on each
statement's `payable`: `delta` (the net change, stored as `estimated_impact`) and `moved`
(the sum of absolute changes, which routes the request). An estimate that cannot be
computed is `complete: false` and goes to the committee: an unknown impact is never a
small one.

The period, the measure and the routing: docs/exceptions.md, "Estimated impact".
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from governance.engine_input import database_data
from governance.exceptions.fields import Target
from rules.evaluate import evaluate
from rules.model import Data
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


def _payables(target: Target, data: Data) -> dict[str, Decimal]:
    output = evaluate([target.plan], data, target.period.name)
    totals: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for statement in output["statements"]:
        totals[statement["participant"]] += Decimal(statement["payable"])
    return dict(totals)


def estimate(session: Session, target: Target, approved: list[dict]) -> dict[str, Any]:
    """Before/after payables per participant for the request's plan and period."""
    result: dict[str, Any] = {
        "plan": target.plan_key,
        "version": target.version_label,
        "period": target.period.name,
        "currency": target.plan.currency,
        "measure": "payable",
        "complete": True,
        "problems": [],
        "participants": [],
        "before": str(ZERO),
        "after": str(ZERO),
        "delta": str(ZERO),
        "moved": str(ZERO),
    }
    try:
        # Read and validate the data once (most of the cost on a large database), with the
        # request; the "before" side is the same data without it.
        with_it = database_data(
            session,
            up_to=target.period.end,
            exceptions=[*approved, engine_shape(target, PROVISIONAL_ID)],
        )
        without = replace(
            with_it, exceptions=tuple(x for x in with_it.exceptions if x.id != PROVISIONAL_ID)
        )
        before, after = _payables(target, without), _payables(target, with_it)
    except (EvaluationError, InvalidData) as exc:
        result["complete"] = False
        result["problems"] = [p.as_dict() for p in exc.problems]
        return result
    rows = []
    for who in sorted(set(before) | set(after) | set(target.named)):
        b, a = before.get(who, ZERO), after.get(who, ZERO)
        if a != b or who in target.named:
            rows.append(
                {"participant": who, "before": str(b), "after": str(a), "delta": str(a - b)}
            )
    total_before, total_after = sum(before.values(), ZERO), sum(after.values(), ZERO)
    result.update(
        participants=rows,
        before=str(total_before),
        after=str(total_after),
        delta=str(total_after - total_before),
        moved=str(sum((abs(Decimal(r["delta"])) for r in rows), ZERO)),
    )
    return result
