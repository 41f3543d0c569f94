"""Why did my pay change? in a real browser, on both databases: a rep opens a statement,
follows "what changed", reads the explanation line by line and the chart's numbers (which
agree with the API); a committee member opens the why page of a plan change for one
participant; a comp admin compares a re-run draft's statement with the run's previous
build, line by line. axe finds 0 violations on every page.

ACCORD_PAY_CHANGES_SCREENSHOT=docs/img/pay-changes.png writes the rep's page as shown.
The live database is shared by every e2e test: the statements here are of participants
and periods of their own (the demo's 2026-Q2 and 2026-Q3 engine output, renamed).
"""

from __future__ import annotations

import os
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.axe import assert_accessible
from tests.e2e.setups import plan_change_waiting

pytestmark = pytest.mark.e2e

PERIODS = {
    "2026-Q2": "2014-Q2",
    "2026-Q3": "2014-Q3",
}  # periods no other e2e test runs (test_lists.py runs 2015-Q3)
RERUN_KEY, RERUN_PERIOD = "rerun-e2e", "2039-Q1"  # a plan and period of their own
SHOT = os.environ.get("ACCORD_PAY_CHANGES_SCREENSHOT")


@pytest.fixture(scope="module")
def two_periods(live_server):
    """ana's demo statements of 2026-Q2 and 2026-Q3 as why-ana in 2014-Q2 and 2014-Q3,
    both published; a rep who is why-ana. (rep, statement id of 2014-Q3)."""
    from app.database import db_session
    from models import Participant, User
    from models.payouts import Statement
    from tests.support.statements import engine_output, persist_run

    rep = live_server.make_user("rep", name="Ana Why")
    with live_server.app.app_context():
        session = db_session()
        session.add(Participant(id="why-ana", name="Ana Why"))
        session.flush()
        latest = None
        for demo, period in PERIODS.items():
            output = engine_output(demo)
            output["period"] = period
            output["statements"] = [
                dict(st, participant="why-ana")
                for st in output["statements"]
                if st["participant"] == "ana"
            ]
            latest = persist_run(session, output, state="published")
        session.get(User, rep.id).participant_id = "why-ana"
        (st,) = session.query(Statement).filter(
            Statement.run_id == latest.id, Statement.plan_key == "ae-plan"
        )
        session.commit()
        return rep, st.id


def test_a_rep_follows_what_changed_and_reads_why(page, live_server, sign_in, two_periods):
    rep, statement_id = two_periods
    sign_in(page, rep)
    page.goto(f"/statements/{statement_id}")
    page.get_by_test_id("what-changed").get_by_role(
        "link", name="What changed since the previous period?"
    ).click()
    expect(page.get_by_test_id("changes-title")).to_contain_text("What changed: Ana Why, 2014-Q3")
    expect(page.get_by_test_id("compared-with")).to_contain_text("the statement of 2014-Q2")
    api = page.request.get(f"/api/v1/statements/{statement_id}/changes").json()
    changes = page.get_by_test_id("pay-change")
    expect(changes).to_have_count(len(api["changes"]))
    d101 = changes.filter(has_text="Commission on deal D-101")
    expect(d101.get_by_test_id("causes")).to_have_text(
        "period Deal D-101 pays in 2014-Q3; 2014-Q2 had no such line on it."
    )
    (total,) = api["totals"]
    expect(page.get_by_test_id("total-delta")).to_have_text(f"{Decimal(total['delta']):+,.2f}")
    # The chart's numbers (its table) are the API's delta by cause.
    table = page.get_by_test_id("chart-table-by-cause")
    rows = table.locator("tbody tr")
    expect(rows).to_have_count(len(api["by_cause"]))
    for i, cause in enumerate(api["by_cause"]):
        expect(rows.nth(i).locator("th")).to_have_text(cause["name"])
        expect(rows.nth(i).locator("td")).to_have_text(f"{Decimal(cause['delta']):,.2f}")
    alt = page.get_by_test_id("chart-by-cause").get_attribute("alt")
    assert all(f"{Decimal(c['delta']):,.2f}" in alt for c in api["by_cause"])
    assert_accessible(page)
    if SHOT:
        Path(SHOT).parent.mkdir(parents=True, exist_ok=True)
        page.set_viewport_size({"width": 1100, "height": 1400})
        page.screenshot(path=SHOT, full_page=False)

    page.get_by_test_id("against").get_by_role("link", name="the run's previous build").click()
    expect(page.get_by_test_id("changes-note")).to_contain_text("built once")
    assert_accessible(page)


def test_a_committee_member_opens_why_a_participant_wins(page, live_server, sign_in):
    plan_change_waiting(live_server, "why-plan", "WHY")
    member = live_server.make_user("committee", functions=["finance"])
    sign_in(page, member)
    response = page.goto("/committee/changes/why-plan/2/why/why-ana")
    assert response.status == 200
    expect(page.get_by_test_id("why-title")).to_contain_text("why-plan/2")
    expect(page.get_by_test_id("why-frame")).to_contain_text(
        "why-plan/1 (active) against why-plan/2 (proposed)"
    )
    change = page.get_by_test_id("pay-change")
    expect(change).to_have_count(1)
    expect(change.get_by_test_id("causes")).to_contain_text(
        "rate rule new-business rate was 0.06, now 0.09"
    )
    expect(page.get_by_test_id("total-delta")).to_have_text("+3,000.00")
    assert_accessible(page)


@pytest.fixture(scope="module")
def re_run(live_server):
    """RERUN_KEY active from 2039-01-01; rr-ana's deals RR-1 and RR-2 in a draft of
    RERUN_PERIOD, re-run after RR-1's amount was corrected. rr-ana's statement id."""
    from app.database import db_session
    from governance.imports.service import import_data
    from governance.payouts.runs import start_run
    from models.payouts import Statement
    from tests.integration.payout_support import activate_plan

    def deal(n: int, amount: str) -> dict:
        return {
            "id": f"RR-{n}",
            "type": "new",
            "amount": amount,
            "currency": "USD",
            "close_date": f"2039-02-1{n}",
            "cash_collected_date": f"2039-02-1{n}",
            "owner": "rr-ana",
            "gross_margin": "0.4",
        }

    with live_server.app.app_context():
        session = db_session()
        activate_plan(session, key=RERUN_KEY, effective=date(2039, 1, 1))
        person = {"id": "rr-ana", "name": "Rae Rerun"}
        person["assignments"] = [{"plan": RERUN_KEY, "start": "2039-01-01", "end": "2039-03-31"}]
        data = {"participants": [person], "deals": [deal(1, "10000"), deal(2, "20000")]}
        import_data(session, data, source="e2e re-run")
        start_run(session, None, RERUN_PERIOD, early=True)
        import_data(session, {"deals": [deal(1, "15000")]}, source="e2e correction")
        run = start_run(session, None, RERUN_PERIOD, early=True)
        (st,) = session.query(Statement).filter(
            Statement.run_id == run.id, Statement.participant_id == "rr-ana"
        )
        session.commit()
        return st.id


def test_an_admin_compares_a_re_run_with_its_previous_build(page, live_server, sign_in, re_run):
    admin = live_server.make_user("comp_admin")
    sign_in(page, admin)
    page.goto(f"/statements/{re_run}/changes?against=previous-build")
    expect(page.get_by_test_id("compared-with")).to_contain_text("Against build 1 of this run.")
    api = page.request.get(f"/api/v1/statements/{re_run}/changes?against=previous-build").json()
    assert api["line_level"] is True and {c["deal"] for c in api["changes"]} == {"RR-1"}
    changes = page.get_by_test_id("pay-change")
    expect(changes).to_have_count(len(api["changes"]))
    expect(changes.first).to_have_attribute("data-cause", "deal")
    expect(changes.first.get_by_test_id("change-summary")).to_contain_text("deal RR-1")
    (total,) = api["totals"]
    assert Decimal(total["delta"]) == sum(Decimal(c["delta"]) for c in api["changes"]) > 0
    expect(page.get_by_test_id("total-delta")).to_have_text(f"{Decimal(total['delta']):+,.2f}")
    assert_accessible(page)
