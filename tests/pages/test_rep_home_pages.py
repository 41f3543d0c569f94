"""The rep home through Flask's test client, on both databases: a rep's standing from
the engine, payable and held from their published statements only (a draft run's stay
hidden), the charts' CSV, the estimator form's answer equal to the domain's, a located
problem for bad input, and no rep block for someone who is not a participant."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.charts import format_number
from governance import periods
from governance.reps.estimate import estimate, hypothetical_deal
from governance.statements.read import list_statements
from tests.support.estimates import TODAY, ae_plan_active
from tests.support.sessions import sign_in
from tests.support.statements import demo_runs


@pytest.fixture
def rep(db, make_user, monkeypatch):
    """The examples' demo data, 2026-Q2 published and 2026-Q3 a draft; ana a rep."""
    monkeypatch.setattr(periods, "today", lambda: TODAY)
    demo_runs(db)
    ae_plan_active(db, make_user("comp_admin"), data=False)
    db.commit()
    return make_user("rep", participant_id="ana")


def _as(app, user):
    client = app.test_client()
    assert sign_in(client, user.email).status_code == 302
    return client


def test_the_rep_home_shows_standing_and_published_pay(app, db, rep):
    client = _as(app, rep)
    page = client.get("/").get_data(as_text=True)
    assert 'data-testid="rep-standing"' in page and 'data-chart="attainment-ae-plan"' in page
    assert "ae-plan in 2026-Q3" in page
    csv = client.get("/?csv=pay-by-period")
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    rows = csv.get_data(as_text=True).splitlines()
    (q2,) = [s for s in list_statements(db, rep, participant="ana") if s["period"] == "2026-Q2"]
    assert rows == ["label,Payable,Held", f"2026-Q2,{q2['payable']},{q2['held']}"]  # no Q3
    bands = client.get("/?csv=attainment-ae-plan").get_data(as_text=True).splitlines()
    assert bands[0].startswith("label,below-threshold") and bands[1].startswith("You,")


def test_the_estimator_form_answers_as_the_domain(app, db, rep):
    client = _as(app, rep)
    deal = {"amount": "250000", "close_date": "2026-08-20", "gross_margin": "0.5", "type": "new"}
    page = client.get("/", query_string=deal).get_data(as_text=True)
    expected = estimate(db, rep, hypothetical_deal(deal))["payable"]
    assert expected > Decimal(0)
    shown = f'<strong data-testid="estimate-payable">{format_number(expected, "money")} USD'
    assert shown in page
    assert 'data-deal="what-if"' in page and "stretch" in page
    bad = client.get("/", query_string={"amount": "lots", "close_date": "2026-08-20"})
    text = bad.get_data(as_text=True)
    assert bad.status_code == 200 and "not a decimal number" in text and "Amount" in text


def test_no_rep_block_for_who_is_not_a_participant(app, rep, make_user):
    page = _as(app, make_user("auditor")).get("/").get_data(as_text=True)
    assert "rep-standing" not in page and "What you can do" in page
    assert _as(app, make_user("auditor")).get("/?csv=pay-by-period").status_code == 404
