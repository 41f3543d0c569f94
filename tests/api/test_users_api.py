"""`/api/v1/users`, `/admin/users` and `/password-reset/<token>` (issue 15, "Users"), on
both databases: a deactivated user's browser session and API token stop at the next
request, the guards answer 409, a reset link sets a password once and ends every
session, and each change is audited with its actor."""

from __future__ import annotations

import re

from sqlalchemy import select

from governance import users
from models import AuditRecord
from models.identity import PasswordReset
from tests.conftest import PASSWORD
from tests.support.sessions import csrf_token, sign_in

NEW_PASSWORD = "a new and longer secret"


def _audit(db, action: str) -> list[AuditRecord]:
    stmt = select(AuditRecord).where(AuditRecord.action == action).order_by(AuditRecord.id)
    return list(db.scalars(stmt))


def test_deactivation_stops_a_live_session_and_a_token_at_once(app, db, make_user, token_for):
    admin, rep = make_user("admin"), make_user("rep")
    admin_headers, rep_headers = token_for(admin), token_for(rep)
    browser = app.test_client()
    assert sign_in(browser, rep.email).status_code == 302
    assert browser.get("/api/v1/me").status_code == 200
    assert app.test_client().get("/api/v1/me", headers=rep_headers).status_code == 200

    answer = app.test_client().post(f"/api/v1/users/{rep.id}/deactivate", headers=admin_headers)
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert body["user"]["active"] is False
    assert (body["sessions_revoked"], body["tokens_revoked"]) == (1, 1)

    assert browser.get("/api/v1/me").status_code == 401
    assert app.test_client().get("/api/v1/me", headers=rep_headers).status_code == 401
    assert sign_in(app.test_client(), rep.email).status_code == 401
    [record] = _audit(db, users.DEACTIVATED)
    assert (record.actor_id, record.object_id) == (admin.id, str(rep.id))


def test_self_and_last_admin_are_refused_with_409(app, make_user, token_for):
    admin = make_user("admin")
    headers = token_for(admin)
    client = app.test_client()
    answer = client.post(f"/api/v1/users/{admin.id}/deactivate", headers=headers)
    assert answer.status_code == 409 and "themselves" in answer.get_json()["message"]
    answer = client.put(
        f"/api/v1/users/{admin.id}/roles", headers=headers, json={"roles": ["auditor"]}
    )
    assert answer.status_code == 409 and "last active admin" in answer.get_json()["message"]
    answer = client.put(
        f"/api/v1/users/{admin.id}/roles", headers=headers, json={"roles": ["committee"]}
    )
    assert answer.status_code in (409, 422)


def test_invite_search_and_roles(app, db, make_user, token_for):
    headers = token_for(make_user("admin"))
    client = app.test_client()
    created = client.post(
        "/api/v1/users",
        headers=headers,
        json={"email": "New.Person@Example.test", "name": "New Person", "roles": ["rep"]},
    )
    assert created.status_code == 201, created.get_json()
    user = created.get_json()
    assert (user["email"], user["roles"], user["active"]) == (
        "new.person@example.test",
        ["rep"],
        True,
    )
    assert db.scalar(select(PasswordReset.user_id)) == user["id"]  # invited: a link is issued
    found = client.get("/api/v1/users?q=new person&per_page=1", headers=headers).get_json()
    assert found["total"] == 1 and found["items"][0]["id"] == user["id"]
    changed = client.put(
        f"/api/v1/users/{user['id']}/roles",
        headers=headers,
        json={"roles": ["committee"], "functions": ["finance"]},
    )
    assert changed.status_code == 200 and changed.get_json()["functions"] == ["finance"]
    bad = client.put(
        f"/api/v1/users/{user['id']}/roles", headers=headers, json={"roles": ["committee"]}
    )
    assert bad.status_code == 422
    again = client.post("/api/v1/users", headers=headers, json={**user, "roles": ["rep"]})
    assert again.status_code == 422


def test_a_reset_link_sets_the_password_once_and_ends_every_session(app, db, make_user):
    admin, rep = make_user("admin"), make_user("rep")
    browser = app.test_client()
    assert sign_in(browser, rep.email).status_code == 302
    reset = users.issue_reset(db, admin, rep, key=app.config["SECRET_KEY"])
    db.commit()
    path = f"/password-reset/{users.reset_token(app.config['SECRET_KEY'], reset)}"
    stranger = app.test_client()
    assert stranger.get(path).status_code == 200
    data = {"new": NEW_PASSWORD, "confirm": NEW_PASSWORD, "csrf_token": csrf_token(stranger)}
    assert stranger.post(path, data=data).status_code == 302
    assert browser.get("/api/v1/me").status_code == 401  # the old session is over
    assert sign_in(app.test_client(), rep.email, PASSWORD).status_code == 401
    assert sign_in(app.test_client(), rep.email, NEW_PASSWORD).status_code == 302
    again = stranger.post(path, data={**data, "csrf_token": csrf_token(stranger)})
    assert again.status_code == 404
    assert [r.actor_id for r in _audit(db, users.RESET_USED)] == [rep.id]


def test_the_admin_pages_deactivate_with_csrf(app, db, make_user):
    admin, rep = make_user("admin"), make_user("rep")
    browser = app.test_client()
    sign_in(browser, admin.email)
    listing = browser.get("/admin/users?q=rep").get_data(as_text=True)
    assert rep.email in listing and admin.email not in listing
    assert 'href="/admin/users"' in browser.get("/").get_data(as_text=True)  # nav link
    page = browser.get(f"/admin/users/{rep.id}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert browser.post(f"/admin/users/{rep.id}/deactivate").status_code == 400  # no CSRF
    done = browser.post(f"/admin/users/{rep.id}/deactivate", data={"csrf_token": token})
    assert done.status_code == 303
    db.refresh(rep)
    assert rep.is_active is False
    refused = browser.post(f"/admin/users/{admin.id}/deactivate", data={"csrf_token": token})
    assert refused.status_code == 409


def test_the_users_page_pages_with_the_search_kept(app, make_user):
    admin = make_user("admin")
    for _ in range(26):
        make_user("rep")
    browser = app.test_client()
    sign_in(browser, admin.email)
    first = browser.get("/admin/users?q=example.test").get_data(as_text=True)
    assert "Page 1 of 2" in first and 'rel="prev"' not in first
    assert (
        'href="/admin/users?q=example.test&amp;sort=email&amp;dir=asc&amp;page=2" rel="next"'
        in first
    )
    second = browser.get("/admin/users?q=example.test&page=2").get_data(as_text=True)
    assert "Page 2 of 2" in second and 'rel="next"' not in second
    previous = "/admin/users?q=example.test&amp;sort=email&amp;dir=asc&amp;page=1"
    assert f'href="{previous}" rel="prev"' in second
