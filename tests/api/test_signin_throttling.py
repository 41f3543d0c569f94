"""Sign-in limits through the real login and password forms, on both databases.

Issue 12, item 4: 50 wrong passwords in a row used to be answered 401 and then the right
one worked. Every password attempt now counts against the account (the SHA-256 of the
normalized e-mail) and the client address; past a limit the form answers 429 with
`Retry-After` and checks no password, the right one included. Each app has its own
in-memory counts, so tests do not share them.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.auth.throttle import throttle
from config import Config, TestConfig
from models import AuditRecord
from tests.conftest import PASSWORD
from tests.support.sessions import csrf_token, sign_in

WRONG = "not the password at all"


@pytest.fixture
def limited_app(app_with):
    """The app with small limits: 3 attempts per account, 5 per address."""
    return app_with(
        SIGNIN_LIMIT_PER_ACCOUNT="3 per 15 minutes",
        SIGNIN_LIMIT_PER_ADDRESS="5 per minute",
    )


def _from(app, address: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def _audit(db, action: str) -> list[AuditRecord]:
    stmt = select(AuditRecord).where(AuditRecord.action == action).order_by(AuditRecord.id)
    return list(db.scalars(stmt))


def test_the_issue_scenario_the_right_password_is_refused_once_the_account_is_locked(
    client, make_user
):
    # The default limits (10 per account per 15 minutes), as `make run` serves them.
    assert TestConfig.SIGNIN_LIMIT_PER_ACCOUNT == Config.SIGNIN_LIMIT_PER_ACCOUNT
    user = make_user("rep")
    statuses = [sign_in(client, user.email, WRONG).status_code for _ in range(12)]
    assert statuses == [401] * 10 + [429] * 2

    right = sign_in(client, user.email)
    assert right.status_code == 429
    assert 0 < int(right.headers["Retry-After"]) <= 15 * 60
    assert "Too many sign-in attempts. Try again in 15 minutes." in right.get_data(as_text=True)
    assert client.get("/api/v1/me").status_code == 401


def test_an_unknown_e_mail_is_limited_exactly_like_a_real_one(limited_app, make_user):
    # Otherwise the limit would tell which e-mails exist.
    user = make_user("rep")
    for email, address in ((user.email, "10.0.0.1"), ("nobody@example.test", "10.0.0.2")):
        client = _from(limited_app, address)
        statuses = [sign_in(client, email, WRONG).status_code for _ in range(4)]
        assert statuses == [401, 401, 401, 429], email


def test_the_account_is_the_normalized_e_mail_whatever_the_address(limited_app, make_user):
    user = make_user("rep")
    for n, typed in enumerate((user.email, user.email.upper(), f"  {user.email} ")):
        assert sign_in(_from(limited_app, f"10.0.1.{n}"), typed, WRONG).status_code == 401
    elsewhere = _from(limited_app, "10.0.1.9")
    assert sign_in(elsewhere, user.email).status_code == 429
    # Another account is not affected.
    assert sign_in(elsewhere, make_user("rep").email).status_code == 302


def test_one_address_trying_many_accounts_is_limited(limited_app, make_user):
    users = [make_user("rep") for _ in range(6)]
    stuffing = _from(limited_app, "10.0.2.1")
    statuses = [sign_in(stuffing, u.email, WRONG).status_code for u in users]
    assert statuses == [401] * 5 + [429]
    # The same account from another address still signs in: the address was limited.
    assert sign_in(_from(limited_app, "10.0.2.2"), users[-1].email).status_code == 302


def test_right_attempts_count_too(limited_app, make_user):
    # Counting before the check is what keeps concurrent guesses from slipping past.
    user = make_user("rep")
    client = _from(limited_app, "10.0.3.1")
    assert [sign_in(client, user.email).status_code for _ in range(4)] == [302] * 3 + [429]


def test_a_throttled_attempt_is_audited_once_a_minute_without_the_password(
    limited_app, db, make_user
):
    user = make_user("rep")
    client = _from(limited_app, "10.0.4.1")
    for _ in range(3):
        sign_in(client, user.email, WRONG)
    for _ in range(3):
        assert sign_in(client, user.email).status_code == 429
    failed = _audit(db, "auth.sign_in_failed")
    assert [(r.object_id, r.payload["reason"]) for r in failed] == [
        (str(user.id), "wrong_password")
    ] * 3
    throttled = _audit(db, "auth.sign_in_throttled")
    assert len(throttled) == 1
    assert throttled[0].payload["reason"] == "account"
    assert throttled[0].payload["address"] == "10.0.4.1"
    for entry in failed + throttled:
        assert entry.actor_id is None
        assert PASSWORD not in str(entry.payload) and WRONG not in str(entry.payload)
    assert _audit(db, "auth.sign_in") == []


def test_wrong_current_passwords_on_the_password_form_count_against_the_account(
    limited_app, db, make_user
):
    user = make_user("rep")
    client = _from(limited_app, "10.0.5.1")
    assert sign_in(client, user.email).status_code == 302

    def change(current: str):
        data = {
            "current": current,
            "new": "a new and longer secret",
            "confirm": "a new and longer secret",
            "csrf_token": csrf_token(client),
        }
        return client.post("/account/password", data=data)

    assert [change(WRONG).status_code for _ in range(2)] == [400, 400]
    refused = change(PASSWORD)
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    db.refresh(user)
    assert user.session_epoch == 0  # nothing changed
    reasons = [r.payload["reason"] for r in _audit(db, "auth.sign_in_failed")]
    assert reasons == ["wrong_current", "wrong_current"]


def test_each_app_counts_on_its_own_and_reset_forgets(limited_app, app, make_user):
    user = make_user("rep")
    client = _from(limited_app, "10.0.6.1")
    for _ in range(3):
        sign_in(client, user.email, WRONG)
    assert sign_in(client, user.email).status_code == 429
    assert sign_in(app.test_client(), user.email).status_code == 302  # another app
    with limited_app.app_context():
        throttle().reset()
    assert sign_in(client, user.email).status_code == 302


def test_limits_and_storage_come_from_the_environment(monkeypatch):
    from app import create_app

    monkeypatch.setenv("ACCORD_SIGNIN_LIMIT_PER_ACCOUNT", "7 per hour")
    monkeypatch.setenv("ACCORD_RATELIMIT_STORAGE_URI", "memory://")
    values = TestConfig.finalize()
    assert (values["SIGNIN_LIMIT_PER_ACCOUNT"], values["RATELIMIT_STORAGE_URI"]) == (
        "7 per hour",
        "memory://",
    )
    monkeypatch.setenv("ACCORD_SIGNIN_LIMIT_PER_ADDRESS", "lots")
    with pytest.raises(RuntimeError, match="SIGNIN_LIMIT_PER_ADDRESS='lots'"):
        create_app(TestConfig)


def test_concurrent_attempts_get_no_more_than_the_limit():
    # Counted before the password check, atomically: 40 guesses at once, 10 go through.
    from concurrent.futures import ThreadPoolExecutor

    from app.auth.throttle import SignInThrottle

    limits = SignInThrottle("memory://", Config.SIGNIN_LIMIT_PER_ACCOUNT, "1000 per minute")
    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(
            pool.map(lambda n: limits.attempt("ana@example.test", f"10.1.{n}.1"), range(40))
        )
    refused = [o for o in outcomes if o is not None]
    assert (len(outcomes) - len(refused), len(refused)) == (10, 30)
    assert {o.limit for o in refused} == {"account"}
    assert sum(o.report for o in refused) == 1  # audited once a minute
