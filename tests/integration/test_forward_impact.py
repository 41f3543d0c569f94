"""A change request's forward impact (the open period), its warnings for periods without
data and its per-participant breakdown, stored once with the request (both databases)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import delete, select

from governance.engine_input import database_data
from governance.imports.service import import_data
from governance.plans import change_requests, lifecycle
from governance.plans import lookup as plans
from governance.plans.impact import open_period
from governance.plans.tally import change_request_of
from models import Deal, ImpactResult
from models.base import utcnow
from rules.evaluate import evaluate
from tests.integration.committee import (
    approve_by_committee,
    committee,
    import_history,
    last_quarters,
    plan_text,
    submitted,
)


@pytest.fixture
def people(make_user):
    return committee(make_user)


def _this_quarter():
    return open_period("quarter", utcnow().date())


def _open_period_data(db) -> None:
    """Deals on the first day of the open quarter (never after today): ana a new one of
    40000 (6% -> 7% moves her), bo an expansion of 30000 (2% both), cy new, 10000.
    Managers: ana and bo report to lee, cy to nobody; cy is an SE on the plan."""
    quarter = _this_quarter()
    start = (last_quarters()[0].start - timedelta(days=400)).isoformat()  # as the history
    day = quarter.start.isoformat()
    deal = {"currency": "USD", "close_date": day}
    payload = {
        "participants": [
            {"id": "lee", "assignments": []},
            {"id": "ana", "manager": "lee", "assignments": [_on(start, "AE")]},
            {"id": "bo", "manager": "lee", "assignments": [_on(start, "AE")]},
            {"id": "cy", "assignments": [_on(start, "SE")]},
        ],
        "deals": [
            {**deal, "id": "F-ana", "type": "new", "amount": "40000", "owner": "ana"},
            {**deal, "id": "F-bo", "type": "expansion", "amount": "30000", "owner": "bo"},
            {**deal, "id": "F-cy", "type": "new", "amount": "10000", "owner": "cy"},
        ],
    }
    import_data(db, payload, source="open quarter")


def _on(start: str, role: str) -> dict:
    return {"plan": "ae-plan", "start": start, "role": role}


def _active_v1_and_v2(db, people, rate: str = "0.07"):
    v1 = submitted(db, people, plan_text("0.06"))
    approve_by_committee(db, people, v1)
    lifecycle.activate(db, people["author"], "ae-plan", 1)
    v2 = submitted(db, people, plan_text(rate))
    db.commit()
    return v1, v2


def _payables(db, version, period: str) -> dict[str, Decimal]:
    data = database_data(db, up_to=_this_quarter().end)
    output = evaluate([plans.plan_of(version)], data, period)
    return {s["participant"]: Decimal(s["payable"]) for s in output["statements"]}


def test_the_forward_impact_is_what_evaluate_gives_each_version_on_the_open_period(db, people):
    import_history(db)
    _open_period_data(db)
    v1, v2 = _active_v1_and_v2(db, people)
    forward = change_request_of(db, v2).impact["forward"]
    quarter = _this_quarter()
    assert (forward["period"], forward["complete"], forward["has_data"]) == (
        quarter.name,
        True,
        True,
    )
    assert (forward["deals"], forward["events"]) == (3, 0)
    before, after = _payables(db, v1, quarter.name), _payables(db, v2, quarter.name)
    assert {r["participant"]: Decimal(r["before"]) for r in forward["participants"]} == before
    assert {r["participant"]: Decimal(r["after"]) for r in forward["participants"]} == after
    assert after["ana"] - before["ana"] == Decimal("400.00")  # 40000 at 7% instead of 6%
    assert forward["total"] == {
        "before": str(sum(before.values())),
        "after": str(sum(after.values())),
        "delta": "500.00",  # ana 400, cy 100
    }
    assert [r["participant"] for r in forward["top"]] == ["ana", "cy"]
    breakdown = forward["breakdown"]
    assert [r["participant"] for r in breakdown["winners"]] == ["ana", "cy"]
    assert breakdown["losers"] == [] and breakdown["rest"]["unchanged"] == 1  # bo
    assert {t["team"]: t["delta"] for t in breakdown["by_team"]} == {
        "(no manager)": "100.00",
        "lee": "400.00",
    }
    assert {f["function"]: f["delta"] for f in breakdown["by_function"]} == {
        "AE": "400.00",
        "SE": "100.00",
    }
    assert sum(b["count"] for b in breakdown["histogram"]) == len(forward["participants"])


def test_periods_without_deals_or_events_are_warned_about_and_not_counted(db, people):
    import_history(db)
    emptied = last_quarters()[1]
    db.execute(delete(Deal).where(Deal.id.in_(["A-1", "B-1"])))
    _v1, v2 = _active_v1_and_v2(db, people)
    impact = change_request_of(db, v2).impact
    assert impact["periods_with_data"] == 3
    assert [(w["window"], w["period"]) for w in impact["warnings"]] == [
        ("backward", emptied.name),
        ("forward", _this_quarter().name),  # nothing closed in the open quarter yet
    ]
    assert "no deals or events" in impact["warnings"][0]["message"]
    flags = {e["period"]: e["has_data"] for e in impact["by_period"]}
    assert flags == {q.name: q != emptied for q in last_quarters()}
    assert impact["forward"]["has_data"] is False and impact["forward"]["participants"]


def test_a_repeated_computation_stores_the_forward_impact_once(db, people):
    import_history(db)
    _open_period_data(db)
    _v1, v2 = _active_v1_and_v2(db, people)
    request = change_request_of(db, v2)
    inputs, impact = change_requests.compute_impact(db, request.id)
    assert inputs["forward"]["period"] == _this_quarter().name
    assert impact["forward"] == request.impact["forward"]  # the worker's equals the sync one
    from governance import impact_results

    for _ in range(2):
        row, _new = impact_results.queue(db, change_requests.SUBJECT, request.id, None)
        impact_results.claim(db, row.id)
        again_inputs, again = change_requests.compute_impact(db, request.id)
        impact_results.finish(db, row.id, again_inputs, again)
    db.commit()
    [row] = db.scalars(select(ImpactResult)).all()
    assert row.result["forward"] == impact["forward"]
    # New data in the open period only: the inputs differ, a second result is stored.
    db.execute(delete(Deal).where(Deal.id == "F-cy"))
    row, _new = impact_results.queue(db, change_requests.SUBJECT, request.id, None)
    impact_results.claim(db, row.id)
    changed_inputs, changed = change_requests.compute_impact(db, request.id)
    assert changed_inputs["data_hash"] == inputs["data_hash"]  # the backward window is as it was
    assert changed_inputs["forward"]["data_hash"] != inputs["forward"]["data_hash"]
    impact_results.finish(db, row.id, changed_inputs, changed)
    db.commit()
    assert len(db.scalars(select(ImpactResult)).all()) == 2
    assert changed["forward"]["total"]["delta"] == "400.00"
