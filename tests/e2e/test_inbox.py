"""The committee's inbox in a real browser, on both databases: a member sees the count in
the nav, opens the inbox, follows the request waiting for their vote, votes, and the
request leaves their inbox; its author sees it waiting, with why."""

from __future__ import annotations

import pytest

from tests.e2e.setups import plan_change_waiting

pytestmark = pytest.mark.e2e

KEY = "inbox-e2e"  # a plan of its own: the live database is shared by every e2e test


@pytest.fixture
def request_waiting(live_server):
    """KEY 1 active at 6%; KEY 2 at 9% submitted by its author, nobody has voted."""
    return plan_change_waiting(live_server, KEY, "INB", author_name="Ada Author")


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
