"""Sessions through the real login page: sign in and out, password change, CSRF, `next`."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from models import ApiToken
from tests.conftest import PASSWORD
from tests.support.sessions import csrf_token, sign_in

NEW_PASSWORD = "a new and longer secret"


def test_sign_in_redirects_home_and_the_session_reaches_the_api(client, make_user):
    user = make_user("comp_admin", "auditor")
    response = sign_in(client, user.email)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    me = client.get("/api/v1/me")
    assert me.status_code == 200
    assert me.get_json()["email"] == user.email
    assert me.get_json()["roles"] == ["auditor", "comp_admin"]


def test_e_mail_is_matched_without_case_or_surrounding_spaces(client, make_user):
    user = make_user("rep")
    assert sign_in(client, f"  {user.email.upper()} ").status_code == 302


@pytest.mark.parametrize("wrong", ["password", "e-mail"])
def test_wrong_credentials_give_one_message_and_no_session(client, make_user, wrong):
    user = make_user("rep")
    if wrong == "password":
        response = sign_in(client, user.email, "not the password at all")
    else:
        response = sign_in(client, "nobody@example.test")
    assert response.status_code == 401
    # The same words for both cases: the page does not tell which e-mails exist.
    assert "E-mail or password is wrong." in response.get_data(as_text=True)
    assert client.get("/api/v1/me").status_code == 401


def test_an_inactive_user_cannot_sign_in(client, db, make_user):
    user = make_user("rep")
    user.is_active = False
    db.commit()
    assert sign_in(client, user.email).status_code == 401


def test_deactivating_a_user_ends_their_sessions(client, db, make_user):
    user = make_user("rep")
    sign_in(client, user.email)
    user.is_active = False
    db.commit()
    assert client.get("/api/v1/me").status_code == 401


def test_login_without_csrf_token_is_rejected(client, make_user):
    user = make_user("rep")
    client.get("/login")
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/api/v1/me").status_code == 401


def test_logout_ends_the_session(client, make_user):
    user = make_user("rep")
    sign_in(client, user.email)
    response = client.post("/logout", data={"csrf_token": csrf_token(client)})
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    assert client.get("/api/v1/me").status_code == 401


def test_logout_needs_post_with_csrf(client, make_user):
    user = make_user("rep")
    sign_in(client, user.email)
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400
    assert client.get("/api/v1/me").status_code == 200


def _change_password(client, current=PASSWORD, new=NEW_PASSWORD, confirm=None):
    return client.post(
        "/account/password",
        data={
            "current": current,
            "new": new,
            "confirm": new if confirm is None else confirm,
            "csrf_token": csrf_token(client),
        },
    )


def test_password_change_bumps_the_epoch_and_ends_every_session(app, db, make_user):
    user = make_user("rep")
    this_browser, other_browser = app.test_client(), app.test_client()
    sign_in(this_browser, user.email)
    sign_in(other_browser, user.email)
    epoch = user.session_epoch

    response = _change_password(this_browser)
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    db.refresh(user)
    assert user.session_epoch == epoch + 1

    for browser in (this_browser, other_browser):
        assert browser.get("/api/v1/me").status_code == 401
        page = browser.get("/")
        assert page.status_code == 302
        assert page.headers["Location"].startswith("/login?next=")
    assert sign_in(other_browser, user.email, PASSWORD).status_code == 401
    assert sign_in(other_browser, user.email, NEW_PASSWORD).status_code == 302
    assert other_browser.get("/api/v1/me").status_code == 200


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"current": "not my password"}, "The current password is wrong."),
        ({"new": "short", "confirm": "short"}, "at least 10 characters"),
        ({"confirm": "something else entirely"}, "Passwords differ."),
    ],
)
def test_rejected_password_change_changes_nothing(client, db, make_user, form, message):
    user = make_user("rep")
    sign_in(client, user.email)
    before = (user.password_hash, user.session_epoch)
    response = _change_password(client, **form)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    db.refresh(user)
    assert (user.password_hash, user.session_epoch) == before
    assert client.get("/api/v1/me").status_code == 200


def test_password_change_without_csrf_token_is_rejected(client, db, make_user):
    user = make_user("rep")
    sign_in(client, user.email)
    response = client.post(
        "/account/password",
        data={"current": PASSWORD, "new": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert response.status_code == 400
    db.refresh(user)
    assert user.session_epoch == 0
    assert client.get("/api/v1/me").status_code == 200


def test_a_session_cookie_from_another_browser_is_dropped(client, make_user):
    # Strong session protection: the session is bound to the address and User-Agent.
    user = make_user("rep")
    sign_in(client, user.email)
    assert client.get("/api/v1/me").status_code == 200
    assert client.get("/api/v1/me", headers={"User-Agent": "another/1.0"}).status_code == 401


def test_session_cookie_flags(client, make_user):
    user = make_user("rep")
    response = sign_in(client, user.email)
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("session=")
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_unsafe_api_call_on_a_session_needs_the_csrf_header(client, db, make_user):
    user = make_user("rep")
    sign_in(client, user.email)
    response = client.post("/api/v1/me/tokens", json={"name": "forged"})
    assert response.status_code == 400
    assert response.get_json()["message"] == "The CSRF token is missing."
    assert db.scalars(select(ApiToken).where(ApiToken.user_id == user.id)).all() == []

    headers = {"X-CSRFToken": csrf_token(client)}
    response = client.post("/api/v1/me/tokens", json={"name": "mine"}, headers=headers)
    assert response.status_code == 201


def test_delete_on_a_session_without_csrf_header_revokes_nothing(client, db, make_user):
    from governance.accounts import issue_token

    user = make_user("rep")
    token, _secret = issue_token(db, user, "keep")
    db.commit()
    sign_in(client, user.email)
    assert client.delete(f"/api/v1/me/tokens/{token.id}").status_code == 400
    db.refresh(token)
    assert token.revoked_at is None


def test_a_bearer_token_needs_no_csrf_token(client, make_user, token_for):
    headers = token_for(make_user("rep"))
    response = client.post("/api/v1/me/tokens", json={"name": "script"}, headers=headers)
    assert response.status_code == 201


def test_anonymous_unsafe_api_call_is_401_not_a_csrf_error(client):
    client.get("/login")  # holds an anonymous session cookie, as a browser would
    response = client.post("/api/v1/me/tokens", json={"name": "x"})
    assert response.status_code == 401


def test_a_bearer_request_ignores_the_session_cookie(app, make_user, token_for):
    # The token alone decides: a wrong token does not fall back to the cookie (which
    # would let a request with a junk header skip CSRF on the strength of the cookie),
    # and a valid one acts as its own user even next to someone else's session.
    signed_in, other = make_user("rep"), make_user("auditor")
    client = app.test_client()
    sign_in(client, signed_in.email)

    junk = {"Authorization": "Bearer acc_not-a-real-token"}
    assert client.get("/api/v1/me", headers=junk).status_code == 401
    assert client.post("/api/v1/me/tokens", json={"name": "x"}, headers=junk).status_code == 401

    me = client.get("/api/v1/me", headers=token_for(other))
    assert me.status_code == 200
    assert me.get_json()["email"] == other.email
    assert client.get("/api/v1/me").get_json()["email"] == signed_in.email


def test_a_bearer_token_works_next_to_an_anonymous_session_cookie(client, make_user, token_for):
    # Regression: flask-login's strong session protection used to hide the token
    # whenever the browser held an anonymous session (e.g. after seeing /login).
    headers = token_for(make_user("rep"))
    client.get("/login")
    assert client.get("/api/v1/me", headers=headers).status_code == 200


@pytest.mark.parametrize(
    "target",
    ["/account/password", "/?tab=mine", "/api/v1/me"],
)
def test_next_follows_same_site_paths(client, make_user, target):
    response = sign_in(client, make_user("rep").email, next_url=target)
    assert response.status_code == 302
    assert response.headers["Location"] == target


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/",
        "///evil.example/",
        "/\\evil.example/",
        "\\\\evil.example/",
        "/\t/evil.example/",
        "/\n/evil.example/",
        "javascript:alert(1)",
        "http:evil.example",
        "evil.example",
        "",
    ],
)
def test_next_never_leaves_the_site(client, make_user, target):
    response = sign_in(client, make_user("rep").email, next_url=target)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_pages_redirect_anonymous_visitors_to_login_with_next(client):
    response = client.get("/account/password")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/account/password"
