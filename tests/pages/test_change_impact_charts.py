"""The change-request page's impact charts against the API's impact JSON (both databases):
each chart's CSV (the numbers its table and alt text show) is the API's breakdown, the
warnings are shown, and a reader who may not read every statement gets no chart."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from sqlalchemy import delete

from governance.plans import lifecycle
from models import Deal
from tests.integration.committee import import_history, plan_text, replacing_active
from tests.integration.test_forward_impact import _open_period_data
from tests.support.sessions import sign_in

PAGE = "/committee/changes/ae-plan/2"
API = "/api/v1/plans/ae-plan/versions/2/impact"


@pytest.fixture
def people(make_user):
    return {
        "author": make_user("admin"),
        "finance": make_user("committee", functions=["finance"]),
        "desk": make_user("deal_desk"),
    }


@pytest.fixture
def change(db, people):
    """ae-plan 1 active at 6%, version 2 at 7% submitted, history and open-quarter deals."""
    import_history(db)
    _open_period_data(db)
    replacing_active(db, people["author"], "0.07")
    db.commit()


def _as(app, user):
    client = app.test_client()
    assert sign_in(client, user.email).status_code == 302
    return client


def _csv(client, name: str) -> list[list[str]]:
    response = client.get(f"{PAGE}?csv={name}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def test_every_chart_has_the_numbers_of_the_api(app, client, people, change, token_for):
    impact = client.get(API, headers=token_for(people["finance"])).get_json()["impact"]
    browser = _as(app, people["finance"])
    page = browser.get(PAGE).get_data(as_text=True)
    for window in ("forward", "backward"):
        part = impact["forward"] if window == "forward" else impact
        b = part["breakdown"]
        for name in ("movers", "distribution", "teams", "functions"):
            assert f'data-chart="{window}-{name}"' in page
        movers = [*b["winners"], *reversed(b["losers"])]  # gain to loss
        assert _csv(browser, f"{window}-movers")[1:] == [
            [r["participant"], r["delta"]]
            for r in movers  # no names: labelled by id
        ]
        assert _csv(browser, f"{window}-distribution")[1:] == [
            [f"{h['from']} to {h['to']}", str(h["count"])] for h in b["histogram"]
        ]
        for name, key in (("teams", "team"), ("functions", "function")):
            assert _csv(browser, f"{window}-{name}") == [
                ["label", "Before", "After", "Change"],
                *([r[key], r["before"], r["after"], r["delta"]] for r in b[f"by_{key}"]),
            ]
        assert _csv(browser, f"{window}-participants")[1:] == [
            [r["participant"], r["before"], r["after"], r["delta"]] for r in part["participants"]
        ]
    assert impact["forward"]["total"]["delta"] == "500.00"
    assert 'data-testid="forward-delta">500.00<' in page
    assert f"({impact['periods_with_data']} of 4 periods had data)" in page
    assert browser.get(f"{PAGE}?csv=nothing").status_code == 404


def test_periods_without_data_are_warned_about_on_the_page(app, db, people, change):
    page = _as(app, people["finance"]).get(PAGE).get_data(as_text=True)
    assert 'data-testid="no-data"' not in page  # every period has deals
    db.execute(delete(Deal).where(Deal.id.in_(["A-3", "B-3"])))  # the last quarter's
    author = people["author"]
    lifecycle.create_draft(db, author, plan_text("0.05"))
    lifecycle.submit(db, author, "ae-plan", 3, effective_from=date(2026, 1, 1))
    db.commit()
    page = _as(app, people["finance"]).get("/committee/changes/ae-plan/3").get_data(as_text=True)
    assert page.count('data-testid="no-data"') == 1 and "(3 of 4 periods had data)" in page
    assert page.count('data-testid="warning-backward"') == 1


def test_the_deal_desk_sees_totals_and_no_chart(app, people, change):
    browser = _as(app, people["desk"])
    page = browser.get(PAGE).get_data(as_text=True)
    assert 'data-testid="participants-hidden"' in page and "data-chart=" not in page
    assert 'data-testid="forward-delta">500.00<' in page
    assert browser.get(f"{PAGE}?csv=forward-movers").status_code == 404


def test_each_participant_links_to_why_their_pay_changes(app, people, change):
    """Every participant row of the impact links to the committee's line-by-line
    explanation of that participant's change (app/pages/committee.py, participant_why)."""
    import re

    browser = _as(app, people["finance"])
    page = browser.get(PAGE).get_data(as_text=True)
    links = set(re.findall(r'href="(/committee/changes/ae-plan/2/why/[^"]+)"', page))
    assert links
    for link in sorted(links)[:2]:
        why = browser.get(link)
        assert why.status_code == 200, link
