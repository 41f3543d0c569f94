"""The change-request page's layout in Chromium, on both databases: the impact and the
vote form are within the first 800 px of a 1280x800 window, and at a 390 px phone width
the page is no wider than the screen (tables scroll in their own box)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.e2e.setups import plan_change_waiting

pytestmark = pytest.mark.e2e

KEY = "crpage-e2e"  # a plan of its own: the live database is shared by every e2e test
# ACCORD_SCREENSHOT=docs/change-request.png writes the 1280x800 view there (docs' picture).
SHOT = os.environ.get("ACCORD_SCREENSHOT")


@pytest.fixture
def change_request(live_server):
    """KEY 1 active at 6%, KEY 2 at 9% submitted by its author, nobody has voted."""
    plan_change_waiting(live_server, KEY, "CRP")


def _open(new_context, sign_in, member, width: int, height: int):
    page = new_context().new_page()
    page.set_viewport_size({"width": width, "height": height})
    sign_in(page, member)
    page.goto(f"/committee/changes/{KEY}/2")
    return page


def test_impact_and_vote_form_are_above_the_fold_and_a_phone_does_not_scroll_sideways(
    new_context, live_server, sign_in, change_request
):
    finance = live_server.make_user("committee", functions=["finance"], name="Fin Fold")
    page = _open(new_context, sign_in, finance, 1280, 800)
    for testid in ("summary", "impact", "vote-form"):
        box = page.get_by_test_id(testid).bounding_box()
        assert box is not None and box["y"] + box["height"] <= 800, (testid, box)
    diff = page.get_by_test_id("diff")
    assert diff.bounding_box()["y"] > page.get_by_test_id("vote-form").bounding_box()["y"]
    assert "6% → 9%" in page.get_by_test_id("diff-rates").inner_text()
    assert '{"' not in diff.inner_text()
    if SHOT:
        page.screenshot(path=str(Path(SHOT)))

    phone = _open(new_context, sign_in, finance, 390, 844)
    width = phone.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390
    assert phone.get_by_test_id("vote-form").is_visible()
