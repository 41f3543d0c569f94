"""Bearer tokens: issue, use, list, revoke, expire; stored only as a SHA-256 digest."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from governance.accounts import issue_token
from models import ApiToken
from models.base import Base


def _bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def _new_token(client, headers, **body):
    response = client.post("/api/v1/me/tokens", json={"name": "ci", **body}, headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_a_new_token_is_shown_once_and_works(client, make_user, token_for):
    user = make_user("rep")
    created = _new_token(client, token_for(user))
    secret = created["secret"]
    assert secret.startswith("acc_")
    assert created["prefix"] == secret[:12]
    assert created["name"] == "ci"

    me = client.get("/api/v1/me", headers=_bearer(secret))
    assert me.status_code == 200
    assert me.get_json()["email"] == user.email

    listed = client.get("/api/v1/me/tokens", headers=_bearer(secret)).get_json()
    mine = next(t for t in listed if t["id"] == created["id"])
    assert "secret" not in mine
    assert mine["prefix"] == created["prefix"]
    assert mine["last_used_at"] is not None  # the calls above used it


def test_the_secret_is_nowhere_in_the_database(client, db, make_user, token_for):
    created = _new_token(client, token_for(make_user("rep")))
    secret = created["secret"]
    random_part = secret[len(created["prefix"]) :]

    row = db.get(ApiToken, created["id"])
    assert row.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    # Every column of every table: neither the secret nor its unshown part is stored.
    for table in Base.metadata.sorted_tables:
        for record in db.execute(select(table)).all():
            for value in record:
                assert random_part not in str(value), f"secret found in {table.name}"


@pytest.mark.parametrize(
    "header",
    [
        "Bearer acc_this-is-not-a-token",
        "Bearer not-even-our-prefix",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        "acc_missing-scheme",
    ],
)
def test_a_wrong_token_is_401(client, header):
    response = client.get("/api/v1/me", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.get_json()["code"] == 401


def test_a_token_differing_in_one_character_is_401(client, db, make_user):
    _row, secret = issue_token(db, make_user("rep"), "t")
    db.commit()
    flipped = secret[:-1] + ("A" if secret[-1] != "A" else "B")
    assert client.get("/api/v1/me", headers=_bearer(flipped)).status_code == 401
    assert client.get("/api/v1/me", headers=_bearer(secret)).status_code == 200


def test_a_revoked_token_is_401(client, db, make_user, token_for):
    user = make_user("rep")
    admin_headers = token_for(user)
    created = _new_token(client, admin_headers)
    revoked = client.delete(f"/api/v1/me/tokens/{created['id']}", headers=admin_headers)
    assert revoked.status_code == 204
    assert client.get("/api/v1/me", headers=_bearer(created["secret"])).status_code == 401

    listed = client.get("/api/v1/me/tokens", headers=admin_headers).get_json()
    revoked_at = next(t["revoked_at"] for t in listed if t["id"] == created["id"])
    assert revoked_at is not None
    # Revoking again is harmless and keeps the first moment.
    again = client.delete(f"/api/v1/me/tokens/{created['id']}", headers=admin_headers)
    assert again.status_code == 204
    listed = client.get("/api/v1/me/tokens", headers=admin_headers).get_json()
    assert next(t["revoked_at"] for t in listed if t["id"] == created["id"]) == revoked_at


def test_a_token_can_revoke_itself(client, make_user, token_for):
    created = _new_token(client, token_for(make_user("rep")))
    own = _bearer(created["secret"])
    assert client.delete(f"/api/v1/me/tokens/{created['id']}", headers=own).status_code == 204
    assert client.get("/api/v1/me", headers=own).status_code == 401


def test_an_expired_token_is_401_and_a_current_one_works(client, db, make_user):
    user = make_user("rep")
    now = datetime.now(UTC)
    _old, expired = issue_token(db, user, "old", expires_at=now - timedelta(minutes=1))
    _new, current = issue_token(db, user, "new", expires_at=now + timedelta(days=1))
    db.commit()
    assert client.get("/api/v1/me", headers=_bearer(expired)).status_code == 401
    assert client.get("/api/v1/me", headers=_bearer(current)).status_code == 200


def test_expiry_given_through_the_api_is_kept(client, make_user, token_for):
    headers = token_for(make_user("rep"))
    created = _new_token(client, headers, expires_at="2000-01-01T00:00:00+00:00")
    assert created["expires_at"].startswith("2000-01-01T00:00:00")
    assert client.get("/api/v1/me", headers=_bearer(created["secret"])).status_code == 401


def test_a_naive_expiry_is_rejected(client, make_user, token_for):
    headers = token_for(make_user("rep"))
    response = client.post(
        "/api/v1/me/tokens",
        json={"name": "x", "expires_at": "2000-01-01T00:00:00"},
        headers=headers,
    )
    assert response.status_code == 422


def test_the_token_of_an_inactive_user_is_401(client, db, make_user, token_for):
    user = make_user("rep")
    headers = token_for(user)
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    user.is_active = False
    db.commit()
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_someone_elses_token_id_is_404_and_stays_valid(client, db, make_user, token_for):
    owner, intruder = make_user("rep"), make_user("admin")
    token, secret = issue_token(db, owner, "theirs")
    db.commit()
    response = client.delete(f"/api/v1/me/tokens/{token.id}", headers=token_for(intruder))
    # The same answer as for an id that does not exist: no probing which ids are taken.
    assert response.status_code == 404
    missing = client.delete("/api/v1/me/tokens/999999", headers=token_for(intruder))
    assert missing.status_code == 404
    assert response.get_json()["message"].replace(str(token.id), "N") == missing.get_json()[
        "message"
    ].replace("999999", "N")
    db.refresh(token)
    assert token.revoked_at is None
    assert client.get("/api/v1/me", headers=_bearer(secret)).status_code == 200


def test_the_list_shows_only_ones_own_tokens(client, db, make_user, token_for):
    owner, other = make_user("rep"), make_user("rep")
    issue_token(db, other, "not yours")
    db.commit()
    headers = token_for(owner)
    listed = client.get("/api/v1/me/tokens", headers=headers).get_json()
    assert [t["name"] for t in listed] == ["test"]  # the one token_for issued


def test_a_password_change_revokes_every_token(client, db, make_user, token_for):
    # A password change ends what the old password opened: browser sessions and tokens
    # (a token may have been made by whoever learnt the old password). Others' stay.
    from governance.accounts import change_password

    user, other = make_user("rep"), make_user("rep")
    headers, others = token_for(user), token_for(other)
    revoked = change_password(db, user, "a brand new password")
    db.commit()
    assert revoked == {"sessions_revoked": 0, "tokens_revoked": 1}
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    assert all(t.revoked_at is not None for t in user.tokens)
    assert client.get("/api/v1/me", headers=others).status_code == 200


def test_token_times_are_utc_with_an_offset(client, make_user, token_for):
    """OpenAPI's date-time needs an offset; SQLite gives stored times back naive."""
    headers = token_for(make_user("rep"))
    expires = (datetime.now(UTC) + timedelta(days=3)).replace(microsecond=0)
    _new_token(client, headers, expires_at=expires.isoformat())
    listed = client.get("/api/v1/me/tokens", headers=headers).get_json()
    stamps = [t[k] for t in listed for k in ("created_at", "expires_at") if t[k] is not None]
    assert len(stamps) >= 3
    for stamp in stamps:
        assert stamp.endswith("+00:00"), stamp
        assert datetime.fromisoformat(stamp).tzinfo is not None
    assert datetime.fromisoformat(max(s for s in stamps)) == expires
