"""Disputes in a real browser: a rep files one, a reviewer rejects it, the rep reads why."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.e2e.setups import rep_with_a_line

pytestmark = pytest.mark.e2e


def test_rep_files_reviewer_rejects_rep_sees_history(new_context, live_server, sign_in):
    rep, line_id = rep_with_a_line(live_server)
    reviewer = live_server.make_user("comp_admin", name="Rob Reviewer")

    mine = new_context().new_page()
    sign_in(mine, rep)
    mine.goto(f"/disputes/lines/{line_id}/new")
    assert "1200.00 USD" in mine.get_by_test_id("line").inner_text()
    mine.get_by_label("What is wrong with this line?").fill("Deal D-1 was new business: 6%.")
    mine.get_by_label("Title").fill("crm.txt")
    mine.get_by_label("Text").fill("Type: new, closed 2026-09-29")
    with mine.expect_navigation():
        mine.get_by_role("button", name="File the dispute").click()
    path = urlsplit(mine.url).path
    assert path.startswith("/disputes/")
    assert mine.get_by_test_id("state").first.inner_text() == "open"
    assert "filed. It is due by" in mine.get_by_role("status").inner_text()

    desk = new_context().new_page()
    sign_in(desk, reviewer)
    desk.get_by_test_id("nav").get_by_role("link", name="Disputes").click()
    desk.get_by_test_id("queue").get_by_role(
        "link", name=f"Dispute {path.rsplit('/', 1)[1]}"
    ).click()
    desk.get_by_label("Reason for rejecting (the rep reads it)").fill(
        "D-1 is an expansion in the CRM: 2% is right."
    )
    with desk.expect_navigation():
        desk.get_by_role("button", name="Reject").click()
    assert desk.get_by_test_id("state").first.inner_text() == "resolved rejected"

    mine.goto(path)
    assert mine.get_by_test_id("resolution").inner_text() == (
        "D-1 is an expansion in the CRM: 2% is right."
    )
    events = mine.get_by_test_id("event").all_inner_texts()
    assert [e.split()[0] for e in events] == ["filed", "rejected"]
    assert "Rob Reviewer" in events[1]
    expect(mine.get_by_role("button", name="Reject")).to_have_count(0)  # a rep does not resolve
