"""Payout-run pages in a real browser, on both databases.

A comp admin's draft run of a period of its own (the live database is shared by every
e2e test) is approved by a finance and a revops committee member through the vote form,
then locked by the comp admin, who then sees the payroll export link.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

PERIOD = "2039-Q2"  # no other e2e test runs this period


@pytest.fixture
def draft_run(live_server):
    """A draft run of PERIOD started by a new comp admin; returns (run id, comp admin)."""
    from app.database import db_session
    from models import User
    from tests.support.payout_close import make_run

    admin = live_server.make_user("comp_admin", name="Cora Comp")
    with live_server.app.app_context():
        session = db_session()
        run = make_run(session, session.get(User, admin.id), PERIOD)
        session.commit()
        return run.id, admin


def test_committee_approves_a_draft_run_and_a_comp_admin_locks_it(
    new_context, live_server, sign_in, draft_run
):
    run_id, admin = draft_run
    finance = live_server.make_user("committee", functions=["finance"], name="Fin Ance")
    revops = live_server.make_user("committee", functions=["revops"], name="Rev Ops")

    page = new_context().new_page()
    sign_in(page, finance)
    page.get_by_test_id("nav").get_by_role("link", name="Payout runs").click()
    page.get_by_test_id("runs").get_by_role("link", name=PERIOD).click()
    assert "draft" in page.get_by_role("heading", level=1).inner_text()
    page.get_by_test_id("vote-form").get_by_role("button", name="Approve").click()
    assert "Your approval is recorded" in page.get_by_role("status").first.inner_text()
    assert "function:revops" in page.get_by_test_id("missing").inner_text()
    expect(page.get_by_test_id("vote-form")).to_have_count(0)

    other = new_context().new_page()
    sign_in(other, revops)
    other.goto(f"/payout-runs/{run_id}")
    other.get_by_label("Comment (required to reject)").fill("Reconciled with the GL.")
    other.get_by_test_id("vote-form").get_by_role("button", name="Approve").click()
    assert "The run is approved" in other.get_by_role("status").first.inner_text()
    assert "approved" in other.get_by_role("heading", level=1).inner_text()
    assert "Reconciled with the GL." in other.get_by_test_id("votes").inner_text()

    closer = new_context().new_page()
    sign_in(closer, admin)
    closer.goto(f"/payout-runs/{run_id}")
    closer.get_by_test_id("lock-form").get_by_role("button", name="Lock").click()
    assert "is locked" in closer.get_by_role("status").first.inner_text()
    assert "locked" in closer.get_by_role("heading", level=1).inner_text()
    expect(closer.get_by_test_id("payroll")).to_have_count(1)
    expect(closer.get_by_test_id("lock-form")).to_have_count(0)
