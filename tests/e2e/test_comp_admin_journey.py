"""A comp admin's whole job in one journey, in Chromium, on both databases (issue 15):
edit the plan and submit the change; import the period's data from a file; run the
period; the committee approves the run; lock it; publish its statements to the reps.
Checked by axe on the way. A plan and a period of its own (the live database is shared
by every e2e test)."""

from __future__ import annotations

import json
from datetime import date

import pytest
from playwright.sync_api import expect

from tests.e2e.axe import assert_accessible
from tests.e2e.setups import signed_in_page

pytestmark = pytest.mark.e2e

KEY = "journey-admin"
PERIOD = "2037-Q2"  # no other e2e test runs this period
DATA = {
    "participants": [
        {"id": f"ja-{p}", "name": f"Journey {p.title()}",
         "assignments": [{"plan": KEY, "start": "2037-01-01"}]}
        for p in ("ana", "bo")
    ],
    "deals": [
        {"id": f"JA-{i}", "type": "new", "currency": "USD", "gross_margin": "0.4",
         "amount": amount, "close_date": day, "owner": owner, "cash_collected_date": day}
        for i, (owner, amount, day) in enumerate(
            [("ja-ana", "40000", "2037-04-03"), ("ja-bo", "25000", "2037-05-10")], start=1
        )
    ],
}  # fmt: skip


@pytest.fixture
def plan(live_server):
    """KEY/1 active from 2037-01-01 at 6%."""
    from app.database import db_session
    from tests.integration.payout_support import activate_plan

    with live_server.app.app_context():
        session = db_session()
        activate_plan(session, key=KEY, rate="0.06", effective=date(2037, 1, 1))
        session.commit()
    return KEY


def test_a_comp_admin_edits_submits_imports_runs_locks_and_publishes(
    new_context, live_server, sign_in, plan
):
    admin = live_server.make_user("comp_admin", name="Cam Admin")
    page = signed_in_page(new_context, sign_in, admin)

    # Edit the plan and submit the change (effective after the period: it pays later).
    page.goto(f"/plans/{KEY}")
    with page.expect_navigation():
        page.get_by_role("button", name="New draft from the current version").click()
    editor = page.get_by_label("YAML text")
    editor.evaluate("a => { a.value = a.value.replace('0.06', '0.07'); }")
    with page.expect_navigation():
        page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status").first).to_have_text(f"{KEY}/2 is saved.")
    assert "6% → 7%" in page.get_by_test_id("diff-rates").inner_text()
    assert_accessible(page)
    page.get_by_label("Effective from (required)").fill("2037-07-01")
    with page.expect_navigation():
        page.get_by_role("button", name="Submit").click()
    expect(page.get_by_role("status").first).to_contain_text(f"{KEY}/2 is submitted")

    # Import the period's people and deals from a file.
    page.get_by_test_id("nav").get_by_role("link", name="Imports").click()
    page.locator("input[name=file]").set_input_files(
        files=[
            {
                "name": "journey.json",
                "mimeType": "application/json",
                "buffer": json.dumps(DATA).encode(),
            }
        ]
    )
    page.get_by_role("button", name="Preview").click()
    counts = page.get_by_test_id("preview-counts")
    expect(counts.locator("tr[data-kind=deals] td").first).to_have_text("2")
    assert_accessible(page)
    page.get_by_role("button", name="Import it").click()
    expect(page.get_by_role("status").first).to_contain_text("journey.json is imported")

    # Run the period (it has not begun: a close tested early).
    page.get_by_test_id("nav").get_by_role("link", name="Payout runs").click()
    start = page.get_by_test_id("start-form")
    start.get_by_label("Period", exact=True).fill(PERIOD)
    page.get_by_test_id("early").check()
    start.get_by_role("button").click()
    expect(page.get_by_role("status").first).to_contain_text("is built (build 1)")
    assert f"{KEY}/1" in page.get_by_test_id("plan-versions").inner_text()
    run_url = page.url
    assert_accessible(page)

    # The committee approves it (finance and revops, the run's approval rule).
    for function, name in (("finance", "Jo Finance"), ("revops", "Jo Revops")):
        member = live_server.make_user("committee", functions=[function], name=name)
        voter = signed_in_page(new_context, sign_in, member)
        voter.goto(run_url)
        voter.get_by_test_id("vote-form").get_by_role("button", name="Approve").click()
        expect(voter.get_by_role("status").first).to_contain_text("Your approval is recorded")

    # Lock, then publish to the reps.
    page.goto(run_url)
    page.get_by_test_id("lock-form").get_by_role("button", name="Lock").click()
    expect(page.get_by_role("status").first).to_contain_text("is locked")
    expect(page.get_by_test_id("published")).to_contain_text("not yet")
    page.get_by_test_id("publish-form").get_by_role("button").click()
    expect(page.get_by_test_id("published")).to_contain_text("Cam Admin")
    assert_accessible(page)
