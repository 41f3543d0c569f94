"""A stale draft in a real browser, on both databases (issue 11).

A comp admin runs a period of its own plan (the live database is shared by every e2e
test), a finance member approves it; a new version of the plan is activated; the revops
member's page says the draft is stale, naming the versions, and offers no vote; the comp
admin re-runs it and the page shows the approval voided, what changed and the payable
per participant before and after.
"""

from __future__ import annotations

from datetime import date

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

KEY = "stale-e2e"  # a plan of its own
PERIOD = "2038-Q3"  # no other e2e test runs this period


def _activate(session, rate: str) -> None:
    from tests.integration.payout_support import activate_plan

    activate_plan(session, key=KEY, rate=rate, effective=date(2038, 7, 1))
    session.commit()


@pytest.fixture
def plan(live_server):
    """KEY/1 from 2038-07-01 and two participants with deals in PERIOD."""
    from app.database import db_session
    from governance.imports.service import import_data

    with live_server.app.app_context():
        session = db_session()
        _activate(session, "0.06")
        deal = {"type": "new", "currency": "USD", "gross_margin": "0.4"}
        payload = {
            "participants": [
                {"id": f"se-{p}", "name": f"Stale {p.title()}",
                 "assignments": [{"plan": KEY, "start": "2038-01-01"}]}
                for p in ("ana", "bo")
            ],
            "deals": [
                {**deal, "id": "SE-1", "amount": "40000", "close_date": "2038-08-03",
                 "owner": "se-ana", "cash_collected_date": "2038-08-03"},
                {**deal, "id": "SE-2", "amount": "25000", "close_date": "2038-09-10",
                 "owner": "se-bo", "cash_collected_date": "2038-09-10"},
            ],
        }  # fmt: skip
        import_data(session, payload, source="e2e stale drafts")
        session.commit()
    return KEY


def test_a_stale_draft_refuses_votes_until_re_run(new_context, live_server, sign_in, plan):
    admin = live_server.make_user("comp_admin", name="Cora Comp")
    finance = live_server.make_user("committee", functions=["finance"], name="Fin Ance")
    revops = live_server.make_user("committee", functions=["revops"], name="Rev Ops")

    runner = new_context().new_page()
    sign_in(runner, admin)
    runner.goto("/payout-runs")
    runner.get_by_test_id("start-form").get_by_label("Period", exact=True).fill(PERIOD)
    runner.get_by_test_id("early").check()  # PERIOD is in the future: a close tested early
    runner.get_by_test_id("start-form").get_by_role("button").click()
    assert "is built (build 1)" in runner.get_by_role("status").first.inner_text()
    run_url = runner.url
    assert f"{KEY}/1" in runner.get_by_test_id("plan-versions").inner_text()

    voter = new_context().new_page()
    sign_in(voter, finance)
    voter.goto(run_url)
    voter.get_by_test_id("vote-form").get_by_role("button", name="Approve").click()
    assert "Your approval is recorded" in voter.get_by_role("status").first.inner_text()

    with live_server.app.app_context():
        from app.database import db_session

        _activate(db_session(), "0.03")

    other = new_context().new_page()
    sign_in(other, revops)
    other.goto(run_url)
    stale = other.get_by_test_id("stale")
    assert "This draft is stale" in stale.inner_text()
    assert f"{KEY}: was {KEY}/1, now {KEY}/2" in stale.inner_text()
    expect(other.get_by_test_id("vote-form")).to_have_count(0)
    assert f"Re-run {PERIOD} before voting" in other.get_by_test_id("no-vote").inner_text()

    runner.goto(run_url)
    runner.get_by_test_id("rerun-form").get_by_role("button").click()
    assert "vote(s) on the build before are void" in runner.get_by_role("status").first.inner_text()
    expect(runner.get_by_test_id("stale")).to_have_count(0)
    build = runner.get_by_test_id("last-build")
    assert "1 vote(s) on the build before voided" in build.inner_text()
    assert (
        f"{KEY}: was {KEY}/1, now {KEY}/2"
        in build.get_by_test_id("build-change").first.inner_text()
    )
    diff = runner.get_by_test_id("payable-diff")
    assert "Stale Ana" in diff.inner_text() and "Stale Bo" in diff.inner_text()
    # 6% -> 3% of 40,000 and 25,000: -1,200.00 and -750.00; -1,950.00 in all.
    assert "-1,200.00" in diff.inner_text() and "-750.00" in diff.inner_text()
    assert "-1,950.00" in diff.get_by_test_id("payable-diff-total").first.inner_text()

    other.goto(run_url)
    other.get_by_test_id("vote-form").get_by_role("button", name="Approve").click()
    assert "Your approval is recorded" in other.get_by_role("status").first.inner_text()
