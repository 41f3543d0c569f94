"""`POST /api/v1/me/estimate`: a rep's what-if for themselves (the amounts as decimal
text, the lines the deal produced), located 422s on bad input, 403 for a non-participant,
nothing written. Both databases."""

from __future__ import annotations

import pytest

from governance import periods
from governance.reps.estimate import DEAL_ID, estimate, hypothetical_deal
from models import AuditRecord
from tests.support.database import count_rows
from tests.support.estimates import TODAY, ae_plan_active

URL = "/api/v1/me/estimate"


@pytest.fixture
def rep(db, make_user, monkeypatch):
    monkeypatch.setattr(periods, "today", lambda: TODAY)
    ae_plan_active(db, make_user("comp_admin"))
    db.commit()
    return make_user("rep", participant_id="ana")


def test_a_rep_estimates_a_deal(client, db, rep, token_for):
    audited = count_rows(db, AuditRecord)
    body = {"amount": "250000", "close_date": "2026-08-20", "gross_margin": "0.5"}
    answer = client.post(URL, json=body, headers=token_for(rep))
    assert answer.status_code == 200, answer.get_json()
    got = answer.get_json()
    expected = estimate(db, rep, hypothetical_deal(body))
    assert got["payable"] == str(expected["payable"]) and got["currency"] == "USD"
    assert got["participant"] == "ana" and got["deal"]["amount"] == "250000"
    (plan,) = got["plans"]
    assert (plan["version"], plan["period"], plan["tier_after"]) == (
        "ae-plan/1",
        "2026-Q3",
        "stretch",
    )
    assert any(ln["deal"] == DEAL_ID and ln["summary"] for ln in plan["lines"])
    assert count_rows(db, AuditRecord) == audited  # a read


@pytest.mark.parametrize(
    ("body", "paths"),
    [
        ({"amount": "lots", "close_date": "2026-08-20"}, ["$.amount"]),
        ({"amount": "100", "close_date": "2024-01-01"}, ["$.close_date"]),
        ({"amount": "100", "close_date": "2026-08-20", "currency": "XYZ"}, ["$.currency"]),
        ({"amount": "100"}, ["close_date"]),
        ({"amount": 100, "close_date": "2026-08-20"}, ["amount"]),
    ],
)
def test_bad_input_is_a_located_422(client, rep, token_for, body, paths):
    answer = client.post(URL, json=body, headers=token_for(rep))
    assert answer.status_code == 422, answer.get_json()
    found = [e["path"] for e in answer.get_json()["errors"]]
    assert all(any(p in f for f in found) for p in paths), found


def test_only_a_participant_estimates(client, rep, make_user, token_for):
    body = {"amount": "100", "close_date": "2026-08-20"}
    assert client.post(URL, json=body, headers=token_for(make_user("auditor"))).status_code == 403
    assert client.post(URL, json=body).status_code == 401
