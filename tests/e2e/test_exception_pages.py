"""Deal-desk exception pages in a real browser, on both databases.

A deal-desk user files a gate waiver through the form and lands on its detail page with
the engine's impact estimate and its route; a finance committee member opens it from the
list and approves it; the filer sees no vote buttons on their own exception.
"""

from __future__ import annotations

from datetime import date

import pytest
from playwright.sync_api import expect

from governance.imports.service import import_data
from governance.plans import lifecycle
from governance.plans import lookup as plans
from tests.integration.exception_setup import PLAN

pytestmark = pytest.mark.e2e

KEY = "exceptions-e2e"  # a plan of its own: the live database is shared by every e2e test


@pytest.fixture
def plan(live_server):
    """KEY active from 2026-01-01; deal EXE-2 of exe-ana (50000 new) blocked by its gate."""
    from app.database import db_session
    from models import User

    author = live_server.make_user("comp_admin")
    with live_server.app.app_context():
        session = db_session()
        if plans.version_governing(session, KEY, date(2026, 8, 1)) is None:
            writer = session.get(User, author.id)
            lifecycle.create_draft(session, writer, PLAN.replace("ae-plan", KEY))
            lifecycle.submit(session, writer, KEY, 1, effective_from=date(2026, 1, 1))
            lifecycle.approve(session, None, KEY, 1)
            lifecycle.activate(session, writer, KEY, 1)
            payload = {
                "participants": [
                    {"id": "exe-ana", "assignments": [{"plan": KEY, "start": "2026-01-01"}]}
                ],
                "deals": [
                    {
                        "id": "EXE-2",
                        "type": "new",
                        "amount": "50000",
                        "currency": "USD",
                        "close_date": "2026-08-01",
                        "owner": "exe-ana",
                        "gross_margin": "0.1",
                    }
                ],
            }
            import_data(session, payload, source="e2e exceptions")
            session.commit()
    return KEY


def test_file_an_exception_and_approve_it_from_the_pages(new_context, live_server, sign_in, plan):
    desk = live_server.make_user("deal_desk", name="Dee Desk")
    finance = live_server.make_user("committee", functions=["finance"], name="Fin Ance")

    page = new_context().new_page()
    sign_in(page, desk)
    page.get_by_test_id("nav").get_by_role("link", name="Exceptions").click()
    page.get_by_test_id("file-link").click()
    page.locator("select[name=kind]").select_option("waive_gate")
    page.get_by_label("Plan", exact=True).fill(plan)
    page.get_by_label("Deal", exact=True).fill("EXE-2")
    page.get_by_label("Gate or clawback id").fill("margin-floor")
    page.get_by_label("Justification").fill("Strategic logo; the CFO signed off the margin.")
    page.get_by_role("button", name="File the exception").click()

    heading = page.get_by_role("heading", level=1)
    assert "submitted" in heading.inner_text()
    label = heading.inner_text().split()[1]  # "Exception EX-n submitted"
    assert page.get_by_test_id("impact-delta").inner_text() == "3000.00 USD"
    assert "deal desk and finance" in page.get_by_test_id("route").inner_text()
    expect(page.get_by_test_id("vote-form")).to_have_count(0)  # never on one's own exception

    other = new_context().new_page()
    sign_in(other, finance)
    other.goto("/exceptions?state=submitted")
    other.get_by_test_id("exceptions").get_by_role("link", name=label, exact=True).click()
    other.get_by_test_id("vote-form").get_by_role("button", name="Approve").click()
    assert "Your vote is recorded" in other.get_by_role("status").first.inner_text()
    assert "1 of 2 approvals" in other.get_by_test_id("tally").inner_text()
    assert "role:deal_desk" in other.get_by_test_id("tally").inner_text()
    expect(other.get_by_test_id("vote-form")).to_have_count(0)
