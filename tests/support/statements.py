"""Test data for statements: the demo data of examples/ imported, evaluated by the engine
on every example plan, and the output written as a payout run row by row.

Writing the run directly (rather than through a payout run) keeps these tests about
reading statements: the lines and traces are the engine's own, the run is as the payout
runs part persists it (a draft gets its rows, then is approved and locked, the only order
migration 0005's guards accept).
"""

from __future__ import annotations

import copy
import functools
import json
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from governance.imports.service import import_data
from models.base import utcnow
from models.payouts import BUILDING, PayoutLine, PayoutRun, Statement
from rules.data import load_data
from rules.document import load_plan
from rules.evaluate import evaluate
from rules.period import Period
from tests.support.payout_close import advance_run

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
DEMO = json.loads((EXAMPLES / "data" / "demo.json").read_text())
PLANS = ("ae-plan", "csm-renewals", "manager-rollup", "marketing-attribution", "se-overlay")


def import_demo(db: Session) -> None:
    """The demo participants, deals, events, quotas and FX (exceptions are not imported)."""
    payload = {k: copy.deepcopy(v) for k, v in DEMO.items() if k != "exceptions"}
    import_data(db, payload, source="statements test")


def engine_output(period: str) -> dict:
    """The example plans evaluated on the demo data (a fresh copy each call)."""
    return copy.deepcopy(_engine_output(period))


@functools.cache
def _engine_output(period: str) -> dict:
    plans = []
    for key in PLANS:
        path = EXAMPLES / f"{key}.yaml"
        plans.append(load_plan(path.read_bytes(), source=path.name, base_dir=path.parent))
    return evaluate(plans, load_data(copy.deepcopy(DEMO)), period)


def _sum(lines, kinds=None, status="payable") -> Decimal:
    return sum(
        (
            Decimal(ln["amount"])
            for ln in lines
            if (kinds is None or ln["kind"] in kinds) and (status is None or ln["status"] == status)
        ),
        Decimal(0),
    )


def persist_run(db: Session, output: dict, *, state: str = "locked") -> PayoutRun:
    """A payout run holding `output` (a section-5 evaluation), brought to `state` (or
    left `building`, as a fanned-out first build's batches leave it)."""
    period = Period.parse(output["period"])
    versions = {p["policy"]: p["version"] for p in output["plans"]}
    run = PayoutRun(
        period=period.name,
        period_start=period.start,
        period_end=period.end,
        state=BUILDING if state == BUILDING else "draft",
        input_data_hash="sha256:" + "0" * 64,
        exceptions_hash="sha256:" + "0" * 64,
        plan_versions={k: [v] for k, v in versions.items()},
        finished_at=utcnow(),
    )
    db.add(run)
    db.flush()
    for st in output["statements"]:
        lines = st["lines"]
        db.add(
            Statement(
                run_id=run.id,
                participant_id=st["participant"],
                plan_key=st["plan"],
                plan_version_hash=versions[st["plan"]],
                currency=st["currency"],
                quota=None if st["quota"] is None else Decimal(st["quota"]),
                credited=Decimal(st["credited"]),
                attainment=None if st["attainment"] is None else Decimal(st["attainment"]),
                earned=_sum(lines, {"commission", "spif"}),
                held=Decimal(st["held"]),
                released=_sum(lines, {"release"}),
                clawed_back=_sum(lines, {"clawback", "forfeit"}),
                draw=_sum(lines, {"draw", "draw_recovery"}),
                draw_balance=Decimal(st["draw_balance"]),
                payable=Decimal(st["payable"]),
                line_count=len(lines),
                input_hash="sha256:" + "2" * 64,
                result_hash="sha256:" + "3" * 64,
            )
        )
        for position, ln in enumerate(lines):
            db.add(
                PayoutLine(
                    run_id=run.id,
                    line_key=f"{st['participant']}|{st['plan']}|{ln['kind']}|{ln['deal']}|"
                    f"{ln['rule']}|{position}",
                    participant_id=st["participant"],
                    deal_id=ln["deal"],
                    plan_key=st["plan"],
                    plan_version_hash=versions[st["plan"]],
                    kind=ln["kind"],
                    rule=ln["rule"],
                    status=ln["status"],
                    share=None if ln["share"] is None else Decimal(ln["share"]),
                    credit=None if ln["credit"] is None else Decimal(ln["credit"]),
                    rate=None if ln["rate"] is None else Decimal(ln["rate"]),
                    amount=Decimal(ln["amount"]),
                    currency=st["currency"],
                    position=position,
                    trace=ln["trace"],
                )
            )
    db.flush()
    if state != BUILDING:  # a fanned-out first build's rows, before its finalizer
        advance_run(db, run, state)
    return run


def demo_runs(db: Session) -> dict[str, PayoutRun]:
    """The demo imported, 2026-Q2 locked and published and 2026-Q3 a draft (as the demo
    org has them)."""
    import_demo(db)
    return {
        "2026-Q2": persist_run(db, engine_output("2026-Q2"), state="published"),
        "2026-Q3": persist_run(db, engine_output("2026-Q3"), state="draft"),
    }


def minimal_run(db: Session, participant: str, *, state: str = "published") -> dict[str, int]:
    """A participant and a run of 2026-Q3 with their one statement and one line, without
    the engine (for the permission matrix): returns the ids for the paths."""
    from models import Participant

    db.add(Participant(id=participant, name="Matrix Rep"))
    db.flush()
    output = {
        "period": "2026-Q3",
        "plans": [{"policy": "matrix-plan", "version": "sha256:" + "4" * 64}],
        "statements": [
            {
                "participant": participant,
                "plan": "matrix-plan",
                "currency": "USD",
                "quota": None,
                "credited": "1000.00",
                "attainment": None,
                "payable": "20.00",
                "held": "0.00",
                "draw_balance": "0.00",
                "lines": [
                    {
                        "kind": "commission",
                        "deal": "D-1",
                        "rule": "owner",
                        "share": "1",
                        "credit": "1000.00",
                        "rate": "0.02",
                        "amount": "20.00",
                        "status": "payable",
                        "trace": [
                            {
                                "step": "rate",
                                "rule": "default",
                                "detail": "no condition",
                                "rate": "0.02",
                            }
                        ],
                    }
                ],
            }
        ],
    }
    run = persist_run(db, output, state=state)
    statement = db.scalars(select(Statement).where(Statement.run_id == run.id)).one()
    line = db.scalars(select(PayoutLine).where(PayoutLine.run_id == run.id)).one()
    return {"run_id": run.id, "statement_id": statement.id, "line_id": line.id}
