"""Administering users in a real browser: an admin invites a user, then deactivates them,
and the deactivated user's open session is refused at its next page."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def test_an_admin_invites_then_deactivates_a_user(new_context, live_server, sign_in):
    admin = live_server.make_user("admin", name="Ada Admin")
    rep = live_server.make_user("rep", name="Ren Rep")
    rep_page = new_context().new_page()
    sign_in(rep_page, rep)
    assert urlsplit(rep_page.url).path == "/"

    page = new_context().new_page()
    sign_in(page, admin)
    page.get_by_role("link", name="Users").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Users")
    page.get_by_test_id("new-user").click()
    page.get_by_test_id("email").fill("invited@example.test")
    page.get_by_test_id("name").fill("Ivy Invited")
    page.get_by_test_id("role-rep").check()
    with page.expect_navigation():
        page.get_by_test_id("invite").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ivy Invited")
    expect(page.get_by_test_id("user-status")).to_have_text("active")

    page.goto(f"/admin/users?q={rep.email}")
    page.get_by_role("link", name=rep.email).click()
    with page.expect_navigation():
        page.get_by_test_id("deactivate").click()
    expect(page.get_by_test_id("user-status")).to_have_text("deactivated")
    expect(page.get_by_role("status")).to_contain_text("is deactivated")

    rep_page.goto("/")
    assert urlsplit(rep_page.url).path == "/login"  # the open session is over
