"""The committee's inbox in a real browser, on both databases: a member sees the count in
the nav, opens the inbox, follows the request waiting for their vote, votes, and the
request leaves their inbox; its author sees it waiting, with why."""

from __future__ import annotations

from datetime import date

import pytest

from governance.imports.service import import_data
from governance.plans import lifecycle
from tests.integration.committee import plan_history, plan_text

pytestmark = pytest.mark.e2e

KEY = "inbox-e2e"  # a plan of its own: the live database is shared by every e2e test


def _text(rate: str) -> str:
    return plan_text(rate).replace("ae-plan", KEY)


def _history() -> dict:
    return plan_history(KEY, {"inb-ana": "new"}, "INB")


@pytest.fixture
def request_waiting(live_server):
    """KEY 1 active at 6%; KEY 2 at 9% submitted by its author, nobody has voted."""
    from app.database import db_session
    from models import User

    author = live_server.make_user("comp_admin", name="Ada Author")
    with live_server.app.app_context():
        session = db_session()
        import_data(session, _history(), source="e2e inbox")
        writer = session.get(User, author.id)
        lifecycle.create_draft(session, writer, _text("0.06"))
        lifecycle.submit(session, writer, KEY, 1, effective_from=date(2025, 1, 1))
        lifecycle.approve(session, None, KEY, 1)
        lifecycle.activate(session, writer, KEY, 1)
        lifecycle.create_draft(session, writer, _text("0.09"))
        lifecycle.submit(session, writer, KEY, 2, effective_from=date(2026, 1, 1))
        session.commit()
    return author


def test_a_member_goes_from_the_inbox_to_the_request_and_votes(
    new_context, live_server, sign_in, request_waiting
):
    finance = live_server.make_user("committee", functions=["finance"], name="Fin Inbox")
    page = new_context().new_page()
    sign_in(page, finance)
    nav = page.get_by_role("navigation", name="Main")
    assert int(nav.get_by_test_id("inbox-count").inner_text()) >= 1
    nav.get_by_test_id("nav-inbox").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Inbox"
    row = page.get_by_test_id("inbox-item").filter(has_text=f"{KEY}/2")
    assert "your vote" in row.inner_text()

    row.get_by_role("link", name=f"Plan change {KEY}/2").click()
    assert page.url.endswith(f"/committee/changes/{KEY}/2")
    page.get_by_label("Comment (required to reject)").fill("seen from my inbox")
    with page.expect_navigation():
        page.get_by_role("button", name="Approve").click()
    assert page.get_by_role("status").inner_text().startswith("Your approval is recorded.")

    nav.get_by_test_id("nav-inbox").click()
    assert page.get_by_test_id("inbox-item").filter(has_text=f"{KEY}/2").count() == 0

    author = new_context().new_page()
    sign_in(author, request_waiting)
    author.goto("/inbox")
    mine = author.get_by_test_id("inbox-item").filter(has_text=f"{KEY}/2")
    assert "yours, waiting" in mine.inner_text()
    assert "waiting for a sales vote" in mine.inner_text()
