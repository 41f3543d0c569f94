"""Issue 11, scenario 2 (dated FX), on both databases: with 2026-Q1..Q3 locked, a routine
FX refresh (a new dated rate in the open Q4) restates nothing; an undated or back-dated
rate reaching a locked quarter is refused with its location; the same rate imported as a
correction is audited and the next run's prior-period adjustments name the FX change."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from governance.imports.service import import_data
from governance.payouts import close as payout_close
from governance.payouts.runs import start_run
from models import AuditRecord, PayoutLine
from rules.problems import InvalidData
from tests.integration.payout_support import activate_plan
from tests.support.payout_close import approve_by_vote

PLAN = """\
policy: fx-plan
title: FX plan
currency: USD
period: quarter
credit:
  - {id: owner, to: owner, share: 1}
rates:
  - {id: flat, rate: 0.1}
"""
D = Decimal
# EUR deals: two per locked quarter, one in the open Q4 (after the refresh's date).
CLOSES = {
    "E-Q1": "2026-02-10",
    "E-Q2a": "2026-04-20",
    "E-Q2b": "2026-06-30",
    "E-Q3a": "2026-07-15",
    "E-Q3b": "2026-08-20",
    "E-Q4": "2026-11-20",
}


@pytest.fixture
def admin(make_user):
    return make_user("comp_admin")


@pytest.fixture
def q1_to_q3_locked(db, admin):
    """ana sells in EUR; rates are undated (EUR/USD 1.08, as before v1.1)."""
    activate_plan(db, text=PLAN)
    people = [{"id": "ana", "assignments": [{"plan": "fx-plan", "start": "2026-01-01"}]}]
    deals = [
        {"id": d, "amount": "10000", "currency": "EUR", "close_date": day, "owner": "ana"}
        for d, day in CLOSES.items()
    ]
    import_data(db, {"participants": people, "deals": deals, "fx": {"EUR/USD": "1.08"}})
    runs = []
    for quarter in ("2026-Q1", "2026-Q2", "2026-Q3"):
        run = start_run(db, None, quarter)
        approve_by_vote(db, run)
        payout_close.lock_run(db, admin, run.id)
        runs.append(run)
    db.commit()
    return runs


def _lines(db, run, kind=None) -> list[PayoutLine]:
    stmt = select(PayoutLine).where(PayoutLine.run_id == run.id)
    if kind:
        stmt = stmt.where(PayoutLine.kind == kind)
    return list(db.scalars(stmt.order_by(PayoutLine.position)))


def _fx_step(line: PayoutLine) -> dict:
    return next(step for step in line.trace if step["step"] == "fx")


def _last_import(db) -> AuditRecord:
    return db.scalars(
        select(AuditRecord)
        .where(AuditRecord.action == "data.import")
        .order_by(AuditRecord.id.desc())
    ).first()


def test_scenario_2_a_routine_fx_refresh_restates_nothing(db, q1_to_q3_locked):
    refresh = [{"pair": "EUR/USD", "rate": "1.10", "from": "2026-11-01"}]
    report = import_data(db, {"fx": refresh}, source="refresh")
    assert report.fx_changes == [
        {
            "pair": "EUR/USD",
            "rate": "1.10",
            "from": "2026-11-01",
            "was": "1.08 (from the beginning)",
            "locked_periods": [],
        }
    ]
    q4 = start_run(db, None, "2026-Q4")
    db.commit()
    assert _lines(db, q4, "adjustment") == []  # 0 prior-period adjustment lines
    [line] = _lines(db, q4, "commission")
    assert (line.deal_id, line.credit, line.amount) == ("E-Q4", D("11000"), D("1100"))
    step = _fx_step(line)
    # stored rates read back normalised: 1.10 is 1.1
    assert (step["pair"], step["rate"], step["from"]) == ("EUR/USD", "1.1", "2026-11-01")
    # the locked quarters' lines keep the rate they were paid at, from the beginning
    q3 = q1_to_q3_locked[2]
    assert {_fx_step(ln)["detail"].split(":")[0] for ln in _lines(db, q3, "commission")} == {
        "EUR/USD 1.08 (rate in force from the beginning)"
    }


@pytest.mark.parametrize(
    ("fx", "path", "reached"),
    [
        ({"EUR/USD": "1.10"}, 'refresh: $.fx["EUR/USD"]', "2026-Q1, 2026-Q2, 2026-Q3"),
        (
            [{"pair": "EUR/USD", "rate": "1.10", "from": "2026-08-01"}],
            "refresh: $.fx[0].from",
            "2026-Q3",
        ),
    ],
    ids=["undated", "back-dated"],
)
def test_scenario_2_a_rate_into_a_locked_period_is_refused(db, q1_to_q3_locked, fx, path, reached):
    with pytest.raises(InvalidData) as err:
        import_data(db, {"fx": fx}, source="refresh")
    [problem] = err.value.problems
    assert problem.path == path
    assert f"reaches locked period(s) {reached}: import it as a correction" in problem.message
    assert "was 1.08 (from the beginning)" in problem.message


def test_scenario_2_a_correction_restates_through_adjustments_naming_the_fx_change(
    db, q1_to_q3_locked
):
    fix = [{"pair": "EUR/USD", "rate": "1.09", "from": "2026-08-01"}]
    report = import_data(db, {"fx": fix}, source="fx-correction", correction=True)
    assert report.correction and report.fx_changes[0]["locked_periods"] == ["2026-Q3"]
    record = _last_import(db)
    assert record.payload["correction"] is True
    assert record.payload["fx_changes"] == report.fx_changes

    q4 = start_run(db, None, "2026-Q4")
    db.commit()
    [adjustment] = _lines(db, q4, "adjustment")
    # only E-Q3b closed on or after 2026-08-01: 10000 x (1.09 - 1.08) x 0.1 = 10.00
    assert (adjustment.deal_id, adjustment.adjusts_period, adjustment.amount) == (
        "E-Q3b",
        "2026-Q3",
        D("10.00"),
    )
    assert (
        "FX rate changed: EUR/USD 1.08 (from the beginning) -> EUR/USD 1.09 (from 2026-08-01)"
        in adjustment.reason
    )
    [line] = _lines(db, q4, "commission")  # the open quarter converts at the correction too
    assert _fx_step(line)["from"] == "2026-08-01"


@pytest.mark.parametrize(
    "fx",
    [
        {"EUR/USD": "1.08"},  # the stored rate again: unchanged
        [{"pair": "EUR/USD", "rate": "1.080", "from": "2026-05-01"}],  # the same rate, dated
        [{"pair": "GBP/USD", "rate": "1.27", "from": "2026-10-01"}],  # another pair, open Q4
    ],
    ids=["same-undated", "same-value-dated", "new-pair-open-period"],
)
def test_a_rate_that_changes_no_locked_day_is_accepted(db, q1_to_q3_locked, fx):
    report = import_data(db, {"fx": fx}, source="refresh")
    assert all(not change["locked_periods"] for change in report.fx_changes)
    q4 = start_run(db, None, "2026-Q4")
    db.commit()
    assert _lines(db, q4, "adjustment") == []
