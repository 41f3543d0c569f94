"""Statements in a real browser, on both databases: a rep signs in, opens their statement
from the nav, expands a line to its explanation and trace, opens the line's own page,
and cannot open another rep's statement (404).

The live database is shared by every e2e test: the statements here belong to
participants and a period of their own (the demo quarter's engine output, renamed).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.setups import rep_statements

pytestmark = pytest.mark.e2e

PERIOD = "2016-Q3"  # a period no other e2e test runs


@pytest.fixture(scope="module")
def statements(live_server):
    """ana's and raj's 2026-Q3 statements of the demo, as stmt-ana/stmt-raj in PERIOD
    (once per live server: its database outlives each test)."""
    rep, ids, _run = rep_statements(live_server, PERIOD, "stmt")
    return rep, ids


def test_a_rep_reads_their_statement_and_drills_into_a_line(page, live_server, sign_in, statements):
    rep, ids = statements
    sign_in(page, rep)
    page.get_by_test_id("nav").get_by_role("link", name="Statements").click()
    assert page.get_by_role("heading", level=1).inner_text() == "My statements"
    page.get_by_test_id("period").select_option(PERIOD)
    page.get_by_role("button", name="Show").click()
    rows = page.get_by_test_id("statements").locator("tbody tr")
    expect(rows).to_have_count(1)
    rows.first.get_by_role("link", name="Open").click()
    assert page.get_by_test_id("payable").inner_text() == "2690.00"
    assert page.get_by_test_id("attainment").inner_text() == "110.0%"  # a ratio of 1.1

    blocked = page.get_by_test_id("line").filter(has_text="blocked, pays 0.00 USD")
    explanation = blocked.get_by_test_id("explanation")
    assert not explanation.is_visible()  # folded until the rep opens it
    blocked.locator("summary").first.click()
    assert "Gate margin-floor blocked this line" in explanation.inner_text()
    blocked.get_by_text("Trace (what the engine recorded)").click()
    assert '"rule": "margin-floor"' in blocked.get_by_test_id("trace").inner_text()

    blocked.get_by_test_id("line-link").click()
    assert page.get_by_test_id("line-title").inner_text() == (
        "Commission on deal D-102 (credit rule owner): blocked, pays 0.00 USD."
    )
    trace_rows = page.get_by_test_id("trace").locator("tbody tr")
    expect(trace_rows).to_have_count(8)
    assert "margin-floor" in trace_rows.nth(4).inner_text()


def test_a_rep_cannot_open_another_reps_statement(page, live_server, sign_in, statements):
    rep, ids = statements
    sign_in(page, rep)
    response = page.goto(f"/statements/{ids['stmt-raj']}")
    assert response.status == 404
    assert "Ana" not in page.get_by_role("heading", level=1).inner_text()
    own = page.goto(f"/statements/{ids['stmt-ana']}")
    assert own.status == 200
