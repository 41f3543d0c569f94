"""Server-side sessions, what a password change revokes, the audit of sign-ins, and one
scrypt check whatever the e-mail (issue 12, items 4, 5 and 11), on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

import governance.accounts as accounts
from app.auth.identity import SESSION_ID
from governance.sign_in import email_digest
from models import AuditRecord, UserSession
from tests.conftest import PASSWORD
from tests.support.sessions import csrf_token, sign_in

NEW_PASSWORD = "a new and longer secret"


def _copy_of(client, app):
    """Another browser holding a copy of `client`'s session cookie (same address and UA)."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def _audit(db, action: str) -> list[AuditRecord]:
    stmt = select(AuditRecord).where(AuditRecord.action == action).order_by(AuditRecord.id)
    return list(db.scalars(stmt))


def _sessions(db, user) -> list[UserSession]:
    stmt = select(UserSession).where(UserSession.user_id == user.id).order_by(UserSession.id)
    return list(db.scalars(stmt).unique())


def test_a_cookie_copied_before_sign_out_no_longer_works(app, db, make_user):
    user = make_user("rep")
    client = app.test_client()
    assert sign_in(client, user.email).status_code == 302
    thief = _copy_of(client, app)
    assert thief.get("/api/v1/me").status_code == 200  # the copy works while signed in

    assert client.post("/logout", data={"csrf_token": csrf_token(client)}).status_code == 302
    assert thief.get("/api/v1/me").status_code == 401
    page = thief.get("/account/password")
    assert page.status_code == 302 and page.headers["Location"].startswith("/login")
    [row] = _sessions(db, user)
    assert row.revoked_at is not None
    [out] = _audit(db, "auth.sign_out")
    assert (out.actor_id, out.payload) == (user.id, {"revoked": True})


def test_sign_out_ends_only_that_session(app, make_user):
    user = make_user("rep")
    laptop, phone = app.test_client(), app.test_client()
    sign_in(laptop, user.email)
    sign_in(phone, user.email)
    laptop.post("/logout", data={"csrf_token": csrf_token(laptop)})
    assert laptop.get("/api/v1/me").status_code == 401
    assert phone.get("/api/v1/me").status_code == 200


def test_a_password_change_ends_every_session_and_token_of_the_user(app, db, make_user, token_for):
    user, other = make_user("rep"), make_user("rep")
    this, elsewhere, bystander = app.test_client(), app.test_client(), app.test_client()
    for browser, who in ((this, user), (elsewhere, user), (bystander, other)):
        assert sign_in(browser, who.email).status_code == 302
    copied = _copy_of(elsewhere, app)
    headers, others = token_for(user), token_for(other)

    data = {"current": PASSWORD, "new": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    changed = this.post("/account/password", data={**data, "csrf_token": csrf_token(this)})
    assert changed.status_code == 302

    for browser in (this, elsewhere, copied):
        assert browser.get("/api/v1/me").status_code == 401
    assert this.get("/api/v1/me", headers=headers).status_code == 401
    assert all(row.revoked_at is not None for row in _sessions(db, user))
    assert bystander.get("/api/v1/me").status_code == 200
    assert this.get("/api/v1/me", headers=others).status_code == 200
    [record] = _audit(db, "auth.password_changed")
    assert (record.actor_id, record.object_id) == (user.id, str(user.id))
    assert record.payload == {"sessions_revoked": 2, "tokens_revoked": 1}
    assert NEW_PASSWORD not in str(record.payload)


def test_a_session_revoked_on_the_server_is_refused(app, db, make_user):
    user = make_user("rep")
    client = app.test_client()
    sign_in(client, user.email)
    [row] = _sessions(db, user)
    row.revoked_at = datetime.now(UTC)
    db.commit()
    assert client.get("/api/v1/me").status_code == 401


def test_a_cookie_without_a_server_session_id_is_refused(app, make_user):
    # What a cookie issued before migration 0015 looks like: the user, no session id.
    user = make_user("rep")
    client = app.test_client()
    sign_in(client, user.email)
    with client.session_transaction() as cookie:
        assert isinstance(cookie.pop(SESSION_ID), str)
    assert client.get("/api/v1/me").status_code == 401


def test_another_users_session_id_is_refused(app, make_user):
    # The cookie is signed, so this needs the secret key; still, a row names its user.
    victim, intruder = make_user("admin"), make_user("rep")
    client, other = app.test_client(), app.test_client()
    sign_in(client, victim.email)
    sign_in(other, intruder.email)
    with client.session_transaction() as theirs:
        victims_session = theirs[SESSION_ID]
    with other.session_transaction() as mine:
        mine[SESSION_ID] = victims_session
    assert other.get("/api/v1/me").status_code == 401


def test_a_session_records_where_it_was_opened_and_when_it_was_last_seen(app, db, make_user):
    user = make_user("rep")
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "192.0.2.7"
    sign_in(client, user.email)
    [row] = _sessions(db, user)
    assert (row.address, row.user_agent) == ("192.0.2.7", "Werkzeug/3.1.9")
    assert len(row.id) >= 43  # 32 random bytes

    long_ago = datetime.now(UTC) - timedelta(hours=1)
    row.last_seen_at = long_ago
    db.commit()
    assert client.get("/api/v1/me").status_code == 200
    db.refresh(row)
    seen = row.last_seen_at if row.last_seen_at.tzinfo else row.last_seen_at.replace(tzinfo=UTC)
    assert seen > long_ago + timedelta(minutes=59)


def test_sign_ins_and_failures_are_audited_without_what_was_typed(client, db, make_user):
    user = make_user("rep")
    typo = "correct horse battery staple"  # a password typed into the e-mail field
    assert sign_in(client, typo, PASSWORD).status_code == 401
    assert sign_in(client, user.email, "not the password").status_code == 401
    assert sign_in(client, user.email.upper()).status_code == 302

    unknown, wrong = _audit(db, "auth.sign_in_failed")
    assert (unknown.actor_id, unknown.object_id) == (None, "unknown")
    assert unknown.payload["reason"] == "unknown_email"
    assert unknown.payload["email_sha256"] == email_digest(typo)
    assert typo not in str(unknown.payload)
    assert (wrong.object_id, wrong.payload["reason"]) == (str(user.id), "wrong_password")
    assert wrong.payload["email_sha256"] == email_digest(user.email)
    [ok] = _audit(db, "auth.sign_in")
    assert (ok.actor_id, ok.object_id) == (user.id, str(user.id))
    assert ok.payload == {"address": "127.0.0.1", "user_agent": "Werkzeug/3.1.9"}
    for entry in (unknown, wrong, ok):
        assert PASSWORD not in str(entry.payload) and "not the password" not in str(entry.payload)


def test_an_inactive_users_attempt_is_audited_as_such(client, db, make_user):
    user = make_user("rep")
    user.is_active = False
    db.commit()
    assert sign_in(client, user.email).status_code == 401
    [failed] = _audit(db, "auth.sign_in_failed")
    assert (failed.object_id, failed.payload["reason"]) == (str(user.id), "inactive")


@pytest.fixture
def password_checks(monkeypatch):
    """The hashes each password check of this test ran against (the real check runs)."""
    checked: list[str] = []
    real = accounts.check_password_hash

    def spy(password_hash: str, password: str) -> bool:
        checked.append(password_hash)
        return real(password_hash, password)

    monkeypatch.setattr(accounts, "check_password_hash", spy)
    return checked


@pytest.mark.parametrize("case", ["unknown", "inactive", "wrong", "right"])
def test_every_attempt_runs_one_scrypt_check_of_the_same_cost(
    client, db, make_user, password_checks, case
):
    # Item 5: an unknown e-mail used to skip the hash (6 ms against 112 ms), which told
    # which e-mails exist. Now each case runs exactly one check at the same parameters.
    user = make_user("rep")
    if case == "inactive":
        user.is_active = False
        db.commit()
    email = "nobody@example.test" if case == "unknown" else user.email
    password = PASSWORD if case in ("inactive", "right") else "not the password"
    expected = 302 if case == "right" else 401
    assert sign_in(client, email, password).status_code == expected

    [checked] = password_checks
    method, _salt, _digest = checked.split("$")
    assert method == user.password_hash.split("$")[0]  # scrypt:32768:8:1, the same cost
    assert (checked == user.password_hash) is (case != "unknown")


def test_signing_in_again_revokes_the_session_the_browser_held(app, db, make_user):
    first, second = make_user("rep"), make_user("rep")
    browser = app.test_client()
    assert sign_in(browser, first.email).status_code == 302
    copied = _copy_of(browser, app)
    assert copied.get("/api/v1/me").json["id"] == first.id

    assert sign_in(browser, second.email).status_code == 302  # without signing out
    assert browser.get("/api/v1/me").json["id"] == second.id
    assert copied.get("/api/v1/me").status_code == 401  # the old cookie died with it
    [old] = _sessions(db, first)
    [new] = _sessions(db, second)
    assert old.revoked_at is not None and new.revoked_at is None
