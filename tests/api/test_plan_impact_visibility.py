"""Who sees each participant's pay in a change request's impact (issue 12, item 11).

The deal desk reads plans (`plans.read`) but not statements: it used to read everyone's
payable through the impact while statements answered it 403. Now the per-participant rows
go to those who may read every statement; other readers get the totals.
"""

from __future__ import annotations

import pytest

from governance.plans.impact import totals_only
from governance.plans.impact_breakdown import empty
from tests.integration.committee import committee, import_history, plan_text, submitted

IMPACT = "/api/v1/plans/ae-plan/versions/1/impact"


@pytest.fixture
def submitted_v1(db, make_user):
    people = committee(make_user)
    import_history(db)
    submitted(db, people, plan_text("0.06"))
    db.commit()
    return people


@pytest.mark.parametrize("role", ["admin", "comp_admin", "committee", "auditor"])
def test_readers_of_every_statement_see_each_participant(
    client, make_user, token_for, submitted_v1, role
):
    functions = ["finance"] if role == "committee" else []
    reader = token_for(make_user(role, functions=functions))
    impact = client.get(IMPACT, headers=reader).get_json()["impact"]
    assert [row["participant"] for row in impact["participants"]] == ["ana", "bo"]
    assert impact["top"] and "participants_hidden" not in impact
    assert all(len(entry["participants"]) == 2 for entry in impact["by_period"])


def test_the_deal_desk_sees_totals_and_no_ones_pay(client, make_user, token_for, submitted_v1):
    desk = token_for(make_user("deal_desk"))
    assert client.get("/api/v1/statements", headers=desk).status_code == 403
    response = client.get(IMPACT, headers=desk)
    assert response.status_code == 200
    impact = response.get_json()["impact"]
    assert impact["participants_hidden"] is True
    assert (impact["participants"], impact["top"]) == ([], [])
    assert all(entry["participants"] == [] for entry in impact["by_period"])
    # ana 6000 and bo 1000 a quarter: the totals stay, the names and amounts go.
    assert impact["total"] == {"before": "0.00", "after": "28000.00", "delta": "28000.00"}
    assert [e["total"]["after"] for e in impact["by_period"]] == ["7000.00"] * 4
    text = response.get_data(as_text=True)
    assert '"ana"' not in text and '"bo"' not in text and "6000.00" not in text


def test_totals_only_keeps_everything_but_the_rows():
    row = {"participant": "ana", "before": "1", "after": "2", "delta": "1"}
    mine = {"winners": [row], "by_team": [{"team": "lee", "participants": 1, **row}]}
    rows = {"participants": [row], "top": [row], "breakdown": {**empty(), **mine}}
    total = {"before": "1", "after": "2", "delta": "1"}
    impact = {
        "periods": ["2026-Q1"],
        "complete": False,
        **rows,
        "total": total,
        "by_period": [{"period": "2026-Q1", "errors": {"proposed": []}, "participants": [{}]}],
        "forward": {"period": "2026-Q2", "total": total, **rows},
    }
    hidden = totals_only(impact)
    nobody = {"participants": [], "top": [], "breakdown": empty()}
    assert hidden == {
        **impact,
        **nobody,
        "participants_hidden": True,
        "by_period": [{"period": "2026-Q1", "errors": {"proposed": []}, "participants": []}],
        "forward": {"period": "2026-Q2", "total": total, **nobody},
    }
    assert impact["participants"]  # the stored document is not changed
