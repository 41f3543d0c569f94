"""Committee and auditor pages in a real browser, on both databases.

A committee member reviews a change request (diff, impact) and votes; a second member's
vote completes the approval. An auditor browses the audit log and sees the chain intact.
A rep sees no committee nav and gets 403 on a committee page.
"""

from __future__ import annotations

from datetime import date

import pytest
from playwright.sync_api import expect

from governance.imports.service import import_data
from governance.plans import lifecycle
from governance.plans.tally import voted_hash
from governance.plans.votes import cast_plan_vote
from tests.integration.committee import plan_history, plan_text

pytestmark = pytest.mark.e2e

KEY = "committee-e2e"  # a plan of its own: the live database is shared by every e2e test


def _text(rate: str) -> str:
    return plan_text(rate).replace("ae-plan", KEY)


def _history() -> dict:
    return plan_history(KEY, {"cmt-ana": "new", "cmt-bo": "expansion"}, "CMT")


@pytest.fixture
def change_request(live_server):
    """KEY 1 active at 6%, KEY 2 at 9% submitted, one member (hr) has approved it."""
    from app.database import db_session
    from models import User

    author = live_server.make_user("comp_admin")
    hr = live_server.make_user("committee", functions=["hr"])
    with live_server.app.app_context():
        session = db_session()
        import_data(session, _history(), source="e2e committee")
        writer, member = session.get(User, author.id), session.get(User, hr.id)
        lifecycle.create_draft(session, writer, _text("0.06"))
        lifecycle.submit(session, writer, KEY, 1, effective_from=date(2025, 1, 1))
        lifecycle.approve(session, None, KEY, 1)
        lifecycle.activate(session, writer, KEY, 1)
        lifecycle.create_draft(session, writer, _text("0.09"))
        version = lifecycle.submit(session, writer, KEY, 2, effective_from=date(2026, 1, 1))
        voted = voted_hash(session, version)
        cast_plan_vote(session, member, KEY, 2, decision="approve", content_hash=voted)
        session.commit()
        return voted


def test_members_review_a_change_and_their_votes_approve_it(
    new_context, live_server, sign_in, change_request
):
    finance = live_server.make_user("committee", functions=["finance"], name="Fay Finance")
    sales = live_server.make_user("committee", functions=["sales"], name="Sam Sales")

    page = new_context().new_page()
    sign_in(page, finance)
    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("link", name="Change requests").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Change requests"
    page.get_by_role("link", name=f"{KEY}/2").click()

    assert page.get_by_test_id("content-hash").inner_text() == change_request
    rates = page.get_by_test_id("diff-rates")
    assert "new-business" in rates.inner_text()
    assert "rate: 6% → 9%" in rates.inner_text()  # as percentages, not raw values
    # cmt-ana's new deals: 4 quarters x 100000 x 3 points more; cmt-bo's are unchanged.
    assert page.get_by_test_id("total-delta").inner_text() == "12000.00"
    movers = page.get_by_test_id("top-movers").locator("tbody tr")
    assert movers.count() == 1 and "cmt-ana" in movers.first.inner_text()
    assert "function:finance: still needed" in page.get_by_test_id("quorum").inner_text()

    page.get_by_label("Comment (required to reject)").fill("numbers checked")
    with page.expect_navigation():
        page.get_by_role("button", name="Approve").click()
    assert page.get_by_role("status").inner_text() == (
        "Your approval is recorded. Tally: 2 of 3 approvals; still needed: function:sales."
    )
    assert "You have already voted (approve)" in page.get_by_test_id("no-vote").inner_text()
    expect(page.get_by_role("button", name="Approve")).to_have_count(0)

    second = new_context().new_page()
    sign_in(second, sales)
    second.goto(f"/committee/changes/{KEY}/2")
    with second.expect_navigation():
        second.get_by_role("button", name="Approve").click()
    assert second.get_by_role("status").inner_text() == (
        "Your approval is recorded. The request is approved."
    )
    assert "approved" in second.get_by_role("heading", level=1).inner_text()
    assert "votes are taken on open requests only" in second.get_by_test_id("no-vote").inner_text()
    expect(second.get_by_test_id("votes").locator("tbody tr")).to_have_count(3)


def test_an_auditor_browses_the_log_and_the_chain_is_intact(page, live_server, sign_in):
    from app.database import db_session
    from models import User

    author = live_server.make_user("comp_admin")
    with live_server.app.app_context():  # something audited: a draft of a plan of its own
        session = db_session()
        lifecycle.create_draft(
            session, session.get(User, author.id), _text("0.05").replace(KEY, "audit-e2e")
        )
        session.commit()
    auditor = live_server.make_user("auditor")
    sign_in(page, auditor)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Audit log").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Audit log"
    page.get_by_role("link", name="Verify the chain").click()
    assert page.get_by_test_id("verification").inner_text().startswith("intact")
    page.get_by_role("link", name="Back to the audit log").click()
    assert page.get_by_role("link", name="CSV").first.get_attribute("href") == (
        "/api/v1/audit/export?format=csv"
    )

    page.get_by_label("Object type").select_option("plan_version")
    with page.expect_navigation():
        page.get_by_role("button", name="Filter").click()
    assert "object_type=plan_version" in page.url
    rows = page.get_by_test_id("audit-log").locator("tbody tr")
    assert rows.count() >= 1
    for i in range(rows.count()):
        assert rows.nth(i).locator("td").nth(4).inner_text().startswith("plan_version ")

    page.get_by_label("From").fill("2999-01-01")
    with page.expect_navigation():
        page.get_by_role("button", name="Filter").click()
    assert page.get_by_test_id("audit-total").inner_text().startswith("0 record(s)")
    # An auditor reads the change requests (issue 15): the link is there, no vote form
    expect(page.get_by_role("link", name="Change requests")).to_have_count(1)


def test_a_rep_gets_no_committee_nav_and_403_on_committee_pages(page, live_server, sign_in):
    rep = live_server.make_user("rep")
    sign_in(page, rep)
    links = page.get_by_test_id("nav").get_by_role("link").all_inner_texts()
    assert "Home" in links
    assert not {"Change requests", "Approval rules", "Plans", "Audit log"} & set(links)
    response = page.goto("/committee/changes")
    assert response.status == 403
    assert page.get_by_role("heading", level=1).inner_text() == "403 Forbidden"
    assert (
        page.get_by_test_id("error").get_by_role("link", name="Back to the home page").count() == 1
    )
