"""The plan editor and "my plan" in Chromium, on both databases.

A comp admin opens a plan, starts a draft from the current version, types an error and
sees it at its line (the live check: app/static/plan-editor.js under the strict CSP),
fixes it, saves, sees the diff against the active version and submits with an effective
date. A rep reads their own plan in plain words and acknowledges it.

ACCORD_PLAN_EDITOR_SCREENSHOT=docs/img/plan-editor.png writes the editor showing the
error at its line (the picture in docs/pages.md).
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import expect

from governance.imports.service import import_data
from governance.plans import lifecycle
from tests.integration.committee import plan_history, plan_text

pytestmark = pytest.mark.e2e

KEY = "editor-e2e"  # a plan of its own: the live database is shared by every e2e test
PAYEE = "ped-ana"
SHOT = os.environ.get("ACCORD_PLAN_EDITOR_SCREENSHOT")


def _text(rate: str) -> str:
    # No tiers: attainment tiers would need quotas, and every e2e payout run of a period
    # evaluates every plan of the shared database (tests/e2e/test_stale_draft_page.py).
    return plan_text(rate).replace("ae-plan", KEY)


@pytest.fixture(scope="module")
def plan(live_server):
    """KEY 1 active at 6%; PAYEE is assigned to it."""
    from app.database import db_session
    from models import User

    author = live_server.make_user("comp_admin")
    with live_server.app.app_context():
        session = db_session()
        import_data(session, plan_history(KEY, {PAYEE: "new"}, "PED"), source="e2e editor")
        writer = session.get(User, author.id)
        lifecycle.create_draft(session, writer, _text("0.06"))
        lifecycle.submit(session, writer, KEY, 1, effective_from=date(2025, 1, 1))
        lifecycle.approve(session, None, KEY, 1)
        lifecycle.activate(session, writer, KEY, 1)
        session.commit()


def test_a_comp_admin_drafts_checks_saves_and_submits_in_the_editor(
    new_context, live_server, sign_in, plan
):
    admin = live_server.make_user("comp_admin", name="Cora Comp")
    page = new_context().new_page()
    page.set_viewport_size({"width": 1280, "height": 1000})
    sign_in(page, admin)
    page.goto(f"/plans/{KEY}")
    with page.expect_navigation():
        page.get_by_role("button", name="New draft from the current version").click()
    assert page.url.endswith(f"/plans/{KEY}/2/edit")
    expect(page.get_by_test_id("check-status")).to_have_text(
        "No problems: lint and the embedded tests pass."
    )

    editor = page.get_by_label("YAML text")
    editor.fill(_text("six"))  # typing: the script checks after a pause, no button
    problem = page.get_by_test_id("problem")
    expect(problem).to_have_count(1)
    expect(problem).to_contain_text("line 12")
    expect(problem).to_contain_text("rule new-business")
    expect(problem).to_contain_text("$.rates[0].rate")
    expect(page.get_by_test_id("gutter").locator("span.bad")).to_have_text("12")
    if SHOT:
        Path(SHOT).parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SHOT, full_page=False)
    problem.click()  # selects the line in the text
    selected = editor.evaluate("a => a.value.slice(a.selectionStart, a.selectionEnd)")
    assert selected.strip() == "rate: six"

    editor.fill(_text("0.08"))
    expect(page.get_by_test_id("problem")).to_have_count(0)
    expect(page.get_by_test_id("check-status")).to_have_text(
        "No problems: lint and the embedded tests pass."
    )
    with page.expect_navigation():
        page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status").first).to_have_text(f"{KEY}/2 is saved.")
    assert "6% → 8%" in page.get_by_test_id("diff-rates").inner_text()

    page.get_by_label("Effective from (required)").fill("2026-01-01")
    with page.expect_navigation():
        page.get_by_role("button", name="Submit").click()
    expect(page.get_by_role("status").first).to_contain_text(
        f"{KEY}/2 is submitted to the committee, effective from 2026-01-01"
    )
    assert "submitted" in page.get_by_role("heading", level=1).inner_text()


def test_a_rep_reads_their_plan_in_words_and_acknowledges_it(
    new_context, live_server, sign_in, plan
):
    from app.database import db_session
    from models import User

    rep = live_server.make_user("rep", name="Ana Payee")
    with live_server.app.app_context():
        session = db_session()
        session.get(User, rep.id).participant_id = PAYEE
        session.commit()
    page = new_context().new_page()
    sign_in(page, rep)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My plan").click()
    words = page.get_by_test_id("plan-words")
    expect(words).to_contain_text('6% of the credited amount when the deal\'s type is "new"')
    expect(words).to_contain_text("2% of the credited amount otherwise (default).")
    with page.expect_navigation():
        page.get_by_role("button", name="I have read this plan").click()
    expect(page.get_by_role("status").first).to_contain_text(f"You acknowledged {KEY} version 1")
    expect(page.get_by_test_id("acknowledged")).to_be_visible()

    admin = new_context().new_page()
    sign_in(admin, live_server.make_user("comp_admin"))
    admin.goto(f"/plans/{KEY}/1")
    expect(admin.get_by_test_id("acknowledgements")).to_contain_text("Ana Payee")
