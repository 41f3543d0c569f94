"""The deal desk in a real browser, on both databases: find a deal by its account name,
see the line its gate blocked in the latest run, file a gate waiver picked from the
governing version's list (no typed ids), and land on the exception with its routing and
the impact table naming the participant."""

from __future__ import annotations

from datetime import date

import pytest
from playwright.sync_api import expect

from governance.imports.service import import_data
from governance.payouts.runs import start_run
from governance.plans import lifecycle
from governance.plans import lookup as plans
from tests.integration.exception_setup import PLAN

pytestmark = pytest.mark.e2e

KEY = "desk-e2e"  # a plan, people, deals and a period of its own (the database is shared)
PERIOD = "2037-Q1"  # no other e2e test runs this period


@pytest.fixture
def blocked_deal(live_server):
    """KEY active from 2037-01-01; DSK-2 "Umbrella Desk Corp" of dsk-ana (Dana Desk),
    margin 0.1, blocked by margin-floor in the draft run of PERIOD."""
    from app.database import db_session
    from models import User

    author = live_server.make_user("comp_admin")
    with live_server.app.app_context():
        session = db_session()
        if plans.version_governing(session, KEY, date(2037, 2, 10)) is None:
            writer = session.get(User, author.id)
            lifecycle.create_draft(session, writer, PLAN.replace("ae-plan", KEY))
            lifecycle.submit(session, writer, KEY, 1, effective_from=date(2037, 1, 1))
            lifecycle.approve(session, None, KEY, 1)
            lifecycle.activate(session, writer, KEY, 1)
            payload = {
                "participants": [
                    {
                        "id": "dsk-ana",
                        "name": "Dana Desk",
                        "assignments": [{"plan": KEY, "start": "2037-01-01"}],
                    }
                ],
                "deals": [
                    {
                        "id": "DSK-2",
                        "account": "Umbrella Desk Corp",
                        "type": "new",
                        "amount": "50000",
                        "currency": "USD",
                        "close_date": "2037-02-10",
                        "owner": "dsk-ana",
                        "gross_margin": "0.1",
                    }
                ],
            }
            import_data(session, payload, source="e2e deal desk")
            start_run(session, None, PERIOD, early=True)
            session.commit()
    return "DSK-2"


def test_find_a_deal_see_its_lines_file_a_waiver_see_its_routing(
    new_context, live_server, sign_in, blocked_deal
):
    desk = live_server.make_user("deal_desk", name="Desmond Desk")
    page = new_context().new_page()
    sign_in(page, desk)
    page.get_by_test_id("nav").get_by_role("link", name="Deal desk").click()
    page.get_by_label("Deal or participant (id or name)").fill("umbrella desk")
    page.get_by_role("button", name="Search").click()
    page.get_by_test_id("deal-results").get_by_role("link", name=blocked_deal).click()

    line = page.get_by_test_id("deal-line")
    expect(line).to_have_attribute("data-status", "blocked")
    expect(line).to_contain_text("Dana Desk")
    expect(line.get_by_test_id("line-effect")).to_contain_text("blocked by margin-floor")

    form = page.get_by_test_id("waive_gate-form")
    form.get_by_label("Gate").select_option(
        label=f"margin-floor — {KEY}/1: block when deal.gross_margin < 0.2"
    )
    form.get_by_label("Justification").fill("Strategic logo; the CFO signed off the margin.")
    form.get_by_role("button", name="File: waive a gate").click()

    heading = page.get_by_role("heading", level=1)
    expect(heading).to_contain_text("submitted")
    expect(page.get_by_test_id("route")).to_contain_text("deal desk and finance")
    expect(page.get_by_test_id("impact-participants")).to_contain_text("Dana Desk")
    expect(page.get_by_test_id("facts")).to_contain_text("margin-floor")
