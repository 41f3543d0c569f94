"""Signing in through the real login page with Flask's test client.

`sign_in(client, email)` GETs /login, reads the CSRF token out of the form and POSTs the
credentials, so the client ends up holding a real session cookie; `csrf_token(client)`
gives the token to send with later unsafe requests (as the `csrf_token` form field or the
`X-CSRFToken` header).
"""

from __future__ import annotations

import re

from tests.conftest import PASSWORD

_TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def csrf_token(client) -> str:
    """The CSRF token of the client's session (starts a session when there is none)."""
    response = client.get("/login")
    found = _TOKEN.search(response.get_data(as_text=True))
    assert found, "the login page has no csrf_token field"
    return found.group(1)


def sign_in(client, email: str, password: str = PASSWORD, next_url: str | None = None):
    """POST the login form; returns the response (302 on success, 401 on bad credentials)."""
    token = csrf_token(client)
    query = {} if next_url is None else {"next": next_url}
    data = {"email": email, "password": password, "csrf_token": token}
    return client.post("/login", query_string=query, data=data)


def signed_in(app, user):
    """A test client of `app` holding `user`'s session (signed in through the form)."""
    client = app.test_client()
    assert sign_in(client, user.email).status_code == 302
    return client
