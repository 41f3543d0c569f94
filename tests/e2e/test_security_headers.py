"""The demo's pages under their Content-Security-Policy, in headless Chromium, on both
databases (issue 12, item 6; app/headers.py).

The demo (500 deals, its whole history) is loaded into a server of this module's own. A
committee member, a rep and a comp admin each walk every page their nav and the pages'
links lead to; the browser records no policy violation (the `csp_violations` of
tests/e2e/conftest.py, checked again at teardown for every browser test), and the forms
still work: a committee vote is cast, the exports carry `no-store`. A page of another
origin that frames the vote form gets nothing: the browser refuses to frame it.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from app.demo.users import AUTHOR, FINANCE, REP_NA, SALES
from tests.e2e.demo import demo_user, walk

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def live_server(demo_server):
    """The demo organisation, served (this module's pages need its data and people)."""
    return demo_server


AUDITOR = "ingrid.svensson@example.com"
OPEN_CHANGE = "/committee/changes/manager-rollup/2"  # waits for sales and finance


def _walk(page) -> list[str]:
    """Every page reachable from home, each checked for its headers."""

    def check(response, path: str) -> None:
        assert response.status == 200, path
        headers = response.headers
        assert "frame-ancestors 'none'" in headers["content-security-policy"], path
        assert headers["cache-control"] == "no-store", path

    return walk(page, check)


@pytest.mark.parametrize(
    "email", [SALES, REP_NA, AUTHOR, AUDITOR], ids=["committee", "rep", "comp_admin", "auditor"]
)
def test_the_demo_pages_break_no_policy(new_context, sign_in, csp_violations, email):
    page = new_context().new_page()
    sign_in(page, demo_user(email))
    visited = _walk(page)
    assert len(visited) >= 5, visited  # home and at least the sections of the nav
    assert csp_violations == [], csp_violations
    # The stylesheet applied (no style was refused): the nav is laid out as a flex row.
    page.goto("/")
    assert page.locator(".main-nav ul").evaluate("e => getComputedStyle(e).display") == "flex"


def test_a_vote_and_the_exports_work_under_the_policy(new_context, sign_in, csp_violations):
    page = new_context().new_page()
    sign_in(page, demo_user(SALES))
    page.goto(OPEN_CHANGE)
    page.get_by_label("Comment (required to reject)").fill("checked under the CSP")
    with page.expect_navigation():
        page.get_by_role("button", name="Approve").click()
    expect(page.get_by_role("status")).to_contain_text("Your approval is recorded.")

    statements = page.context.request.get("/api/v1/statements/export?format=csv&period=2026-Q3")
    assert statements.status == 200 and "ana-silva" in statements.text()
    assert statements.headers["cache-control"] == "no-store"
    assert csp_violations == [], csp_violations


def test_another_origin_cannot_frame_the_vote_form(
    new_context, live_server, sign_in, csp_violations
):
    page = new_context().new_page()
    sign_in(page, demo_user(FINANCE))  # SALES votes in the test above
    page.goto(OPEN_CHANGE)
    expect(page.get_by_test_id("vote-form")).to_have_count(1)  # there to be framed

    framer = page.context.new_page()  # about:blank: another origin, same cookies
    framer.set_content(f'<iframe src="{live_server.url}{OPEN_CHANGE}"></iframe>')
    frame = framer.frame_locator("iframe")
    expect(framer.locator("iframe")).to_have_count(1)
    expect(frame.get_by_test_id("vote-form")).to_have_count(0)
    assert any("frame-ancestors" in v for v in csp_violations), csp_violations
    csp_violations.clear()  # the one refusal expected here; nothing else may be logged
