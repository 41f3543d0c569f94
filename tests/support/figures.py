"""A small organisation whose figures are summed by hand (tests of governance.payouts.figures,
governance.statements.team, their API and pages).

    runs = figures_org(db, prefix)   # {"Q1": run, "Q2": run, "Q3": run}

People (ids PREFIX-...): boss manages amy and ben; ben manages cat (so cat is in boss's
team too); out reports to nobody. Assignments: amy and ben on fig-a (teams east, west),
cat on fig-b in EUR with no team, out on fig-a (team east).

- 2026-Q1, locked: amy earns 100 and holds 50 (D1); ben holds 30 (D2).
- 2026-Q2, locked: amy's D1 is released at 55 and she holds 20 more (D3); ben's D2 is
  forfeited by a cancellation and 10 is clawed back from him on D4.
- 2026-Q3, draft: payables amy 12000, ben -10, cat 60000 EUR, out 1000 (on the edge of
  the "up to 1,000" bucket).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from models.base import utcnow
from models.payouts import PayoutLine, PayoutRun, Statement
from models.people import Assignment, Participant
from tests.support.payout_close import advance_run

ZERO = Decimal("0.00")
QUARTERS = {
    "Q1": ("2026-Q1", date(2026, 1, 1), date(2026, 3, 31)),
    "Q2": ("2026-Q2", date(2026, 4, 1), date(2026, 6, 30)),
    "Q3": ("2026-Q3", date(2026, 7, 1), date(2026, 9, 30)),
}


def _run(db: Session, quarter: str) -> PayoutRun:
    period, start, end = QUARTERS[quarter]
    run = PayoutRun(
        period=period,
        period_start=start,
        period_end=end,
        state="draft",
        input_data_hash="sha256:" + "0" * 64,
        exceptions_hash="sha256:" + "0" * 64,
        plan_versions={},
        finished_at=utcnow(),
    )
    db.add(run)
    db.flush()
    return run


def _statement(db, run, who, plan, *, currency="USD", attainment=None, **totals) -> None:
    amounts = {f: Decimal(str(totals.get(f, 0))) for f in ("earned", "held", "released")}
    amounts.update({f: Decimal(str(totals.get(f, 0))) for f in ("clawed_back", "draw")})
    db.add(
        Statement(
            run_id=run.id,
            participant_id=who,
            plan_key=plan,
            plan_version_hash="sha256:" + "1" * 64,
            currency=currency,
            quota=None,
            credited=ZERO,
            attainment=None if attainment is None else Decimal(attainment),
            draw_balance=ZERO,
            payable=Decimal(str(totals["payable"])),
            line_count=0,
            input_hash="sha256:" + "2" * 64,
            result_hash="sha256:" + "3" * 64,
            **amounts,
        )
    )


def _line(db, run, who, plan, kind, deal, rule, amount, status="payable") -> None:
    n = db.info.setdefault("figure_lines", 0) + 1
    db.info["figure_lines"] = n
    db.add(
        PayoutLine(
            run_id=run.id,
            line_key=f"{who}|{plan}|{kind}|{deal}|{rule}|{n}",
            participant_id=who,
            deal_id=deal,
            plan_key=plan,
            plan_version_hash="sha256:" + "1" * 64,
            kind=kind,
            rule=rule,
            status=status,
            amount=Decimal(str(amount)),
            currency="USD",
            position=n,
            trace=[],
        )
    )


def figures_org(db: Session, prefix: str = "fig") -> dict[str, PayoutRun]:
    p = {k: f"{prefix}-{k}" for k in ("boss", "amy", "ben", "cat", "out")}
    db.add_all(
        [
            Participant(id=p["boss"], name=f"{prefix} Boss"),
            Participant(id=p["out"], name=f"{prefix} Out"),
        ]
    )
    db.flush()
    db.add_all(
        [
            Participant(id=p["amy"], name=f"{prefix} Amy", manager_id=p["boss"]),
            Participant(id=p["ben"], name=f"{prefix} Ben", manager_id=p["boss"]),
        ]
    )
    db.flush()
    db.add(Participant(id=p["cat"], name=f"{prefix} Cat", manager_id=p["ben"]))
    start = date(2026, 1, 1)
    db.add_all(
        [
            Assignment(participant_id=p["amy"], plan_key="fig-a", team="east", start_date=start),
            Assignment(participant_id=p["ben"], plan_key="fig-a", team="west", start_date=start),
            Assignment(participant_id=p["out"], plan_key="fig-a", team="east", start_date=start),
        ]
    )
    db.flush()
    runs = {q: _run(db, q) for q in QUARTERS}
    q1, q2, q3 = runs["Q1"], runs["Q2"], runs["Q3"]
    # Q1: amy earns 100 and holds 50 on D1; ben holds 30 on D2.
    _statement(db, q1, p["amy"], "fig-a", earned=100, held=50, payable=100)
    _statement(db, q1, p["ben"], "fig-a", held=30, payable=0)
    _line(db, q1, p["amy"], "fig-a", "commission", "D1", "r", 100)
    _line(db, q1, p["amy"], "fig-a", "commission", "D1b", "r", 50, "held")
    _line(db, q1, p["ben"], "fig-a", "commission", "D2", "r", 30, "held")
    # Q2: amy's D1b released at 55, 20 more held on D3; ben's D2 forfeited, 10 clawed back.
    _statement(db, q2, p["amy"], "fig-a", held=20, released=55, payable=55)
    _statement(db, q2, p["ben"], "fig-a", clawed_back=-10, payable=-10)
    _line(db, q2, p["amy"], "fig-a", "release", "D1b", "r", 55)
    _line(db, q2, p["amy"], "fig-a", "commission", "D3", "r", 20, "held")
    _line(db, q2, p["ben"], "fig-a", "forfeit", "D2", "churn", 0)
    _line(db, q2, p["ben"], "fig-a", "clawback", "D4", "churn", -10)
    # Q3 (a draft): the buckets and the change against Q2.
    _statement(db, q3, p["amy"], "fig-a", attainment="1.25", earned=12000, payable=12000)
    _statement(db, q3, p["ben"], "fig-a", attainment="0.5", clawed_back=-10, payable=-10)
    _statement(db, q3, p["cat"], "fig-b", currency="EUR", earned=60000, payable=60000)
    _statement(db, q3, p["out"], "fig-a", earned=1000, payable=1000)
    db.flush()
    advance_run(db, q1, "published")
    advance_run(db, q2, "locked")
    return runs
