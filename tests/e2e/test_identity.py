"""Identity in a real browser: sign in and out, password change, cookies, CSRF, `next`."""

from __future__ import annotations

import struct
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

NEW_PASSWORD = "another long passphrase"


def _path(page) -> str:
    return urlsplit(page.url).path


def _session_cookie(context) -> dict:
    cookies = {c["name"]: c for c in context.cookies()}
    assert "session" in cookies, f"no session cookie among {sorted(cookies)}"
    return cookies["session"]


def test_sign_in_lands_on_home_with_name_and_roles(page, live_server):
    user = live_server.make_user("committee", "auditor", functions=["finance"], name="Ada Quota")
    page.goto("/")
    assert _path(page) == "/login"
    assert parse_qs(urlsplit(page.url).query) == {"next": ["/"]}

    page.get_by_label("E-mail").fill(user.email)
    page.get_by_label("Password").fill(user.password)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()

    assert page.url == live_server.url + "/"
    assert page.get_by_test_id("who").inner_text() == "Ada Quota"
    assert page.get_by_role("heading", level=1).inner_text() == "Welcome, Ada Quota"
    assert page.get_by_test_id("roles").inner_text() == "auditor, committee"
    assert "committee functions: finance" in page.locator("main").inner_text()
    expect(page.get_by_text("audit.read")).to_have_count(1)


def test_a_wrong_password_shows_an_error_and_stays_signed_out(page, live_server, sign_in):
    user = live_server.make_user("rep")
    response = sign_in(page, user, password="not the right password")
    assert response.status == 401
    assert _path(page) == "/login"
    assert page.get_by_role("status").inner_text() == "E-mail or password is wrong."
    expect(page.get_by_test_id("who")).to_have_count(0)

    page.goto("/")
    assert _path(page) == "/login"


def test_sign_out_ends_the_session(page, live_server, sign_in):
    user = live_server.make_user("rep")
    sign_in(page, user)
    assert _path(page) == "/"

    with page.expect_navigation():
        page.get_by_test_id("logout").click()
    assert _path(page) == "/login"
    assert page.get_by_role("status").inner_text() == "Signed out."

    page.goto("/")
    assert _path(page) == "/login"
    expect(page.get_by_test_id("who")).to_have_count(0)


def test_a_password_change_in_one_browser_signs_out_the_other(new_context, live_server, sign_in):
    user = live_server.make_user("manager")
    here, there = new_context().new_page(), new_context().new_page()
    sign_in(here, user)
    sign_in(there, user)
    assert _path(here) == _path(there) == "/"

    here.goto("/account/password")
    here.get_by_label("Current password").fill(user.password)
    here.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    here.get_by_label("Repeat new password").fill(NEW_PASSWORD)
    with here.expect_navigation():
        here.get_by_role("button", name="Change password").click()
    assert _path(here) == "/login"
    assert "Password changed" in here.get_by_role("status").inner_text()
    assert live_server.user_row(user.email).session_epoch == 1

    for page in (here, there):
        page.goto("/")
        assert _path(page) == "/login", "the old session still works"

    assert sign_in(there, user).status == 401  # the old password is gone
    for page in (here, there):
        sign_in(page, user, password=NEW_PASSWORD)
        assert _path(page) == "/"
        assert page.get_by_test_id("who").inner_text() == user.name


def test_session_cookie_is_httponly_and_samesite_lax(page, live_server, sign_in):
    page.goto("/login")
    cookie = _session_cookie(page.context)
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Lax"

    sign_in(page, live_server.make_user("rep"))
    cookie = _session_cookie(page.context)
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Lax"
    # What HttpOnly is for: the page's scripts cannot read the session.
    assert page.evaluate("document.cookie") == ""


def test_a_form_posted_without_its_csrf_token_is_rejected_and_changes_nothing(
    new_context, live_server, sign_in
):
    user = live_server.make_user("rep")
    page = new_context().new_page()
    sign_in(page, user)
    page.goto("/account/password")
    page.get_by_label("Current password").fill(user.password)
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Repeat new password").fill(NEW_PASSWORD)
    # What a forged form lacks: the per-session token the page embeds.
    page.locator("form:has(#current) input[name=csrf_token]").evaluate("e => e.remove()")
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="Change password").click()

    assert navigation.value.status == 400
    assert "The CSRF token is missing." in page.locator("main").inner_text()
    assert live_server.user_row(user.email).session_epoch == 0
    page.goto("/")
    assert _path(page) == "/", "the session should have survived"
    other = new_context().new_page()
    sign_in(other, user)  # the old password still works
    assert _path(other) == "/"


def test_sign_out_without_its_csrf_token_is_rejected(page, live_server, sign_in):
    sign_in(page, live_server.make_user("rep"))
    page.locator("form.inline input[name=csrf_token]").evaluate("e => e.remove()")
    with page.expect_navigation() as navigation:
        page.get_by_test_id("logout").click()
    assert navigation.value.status == 400
    page.goto("/")
    assert _path(page) == "/"


@pytest.mark.parametrize("target", ["/account/password", "/?view=mine"])
def test_next_leads_to_a_page_of_the_site(page, live_server, sign_in, target):
    sign_in(page, live_server.make_user("rep"), next=target)
    assert page.url == live_server.url + target


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example/",
        "/\t/evil.example/",
        "javascript:alert(document.domain)",
    ],
)
def test_next_never_leads_off_the_site(page, live_server, sign_in, target):
    # Were the app to redirect away, the harness would also abort and report the request.
    sign_in(page, live_server.make_user("rep"), next=target)
    assert page.url == live_server.url + "/"
    expect(page.get_by_test_id("who")).to_have_count(1)


def test_home_page_screenshot(page, live_server, sign_in, tmp_path):
    user = live_server.make_user("comp_admin", "auditor", name="Grace Ledger")
    sign_in(page, user)
    page.set_viewport_size({"width": 1280, "height": 800})
    shot = tmp_path / "home.png"
    page.screenshot(path=str(shot), full_page=True)

    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    assert width == 1280
    assert height >= 800
