"""Administering users (governance/users.py) on both databases: deactivation stops
sessions and tokens, the last-admin guard, one-time expiring reset links, the audit, and
the reset mail received by a real SMTP server through the notifications outbox."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from governance import accounts, sign_in, users
from governance.errors import Conflict, Invalid, NotAllowed, NotFound
from models import AuditRecord, Participant
from models.identity import PasswordReset
from models.notifications import NotificationDelivery
from tests.integration.test_notifications import (  # noqa: F401 (fixtures)
    _sweep,
    _webhook,
    notifying_app,
    smtp,
)

KEY = "test-secret-key"
NEW_PASSWORD = "a-brand-new-passphrase"


def _actions(db, user) -> list[str]:
    stmt = select(AuditRecord).where(
        AuditRecord.object_type == "user", AuditRecord.object_id == str(user.id)
    )
    return [r.action for r in db.scalars(stmt.order_by(AuditRecord.id))]


def test_deactivation_revokes_sessions_tokens_and_is_audited(db, make_user):
    admin, rep = make_user("admin"), make_user("rep")
    opened = sign_in.sign_in(db, rep.email, "correct horse battery", sign_in.Client(None, None))
    _token, secret = accounts.issue_token(db, rep, "script")
    db.commit()
    revoked = users.deactivate(db, admin, rep)
    db.commit()
    assert revoked == {"sessions_revoked": int(opened is not None), "tokens_revoked": 1}
    assert accounts.user_for_token(db, secret) is None
    assert accounts.authenticate(db, rep.email, "correct horse battery") is None
    record = db.scalars(select(AuditRecord).where(AuditRecord.action == users.DEACTIVATED)).one()
    assert record.actor_id == admin.id and record.object_id == str(rep.id)
    assert users.reactivate(db, admin, rep) is True
    assert _actions(db, rep)[-2:] == [users.DEACTIVATED, users.REACTIVATED]


def test_no_one_deactivates_themselves_and_the_last_admin_stays(db, make_user):
    admin, other = make_user("admin"), make_user("comp_admin")
    with pytest.raises(Conflict, match="themselves"):
        users.deactivate(db, admin, admin)
    with pytest.raises(Conflict, match="last active admin"):
        users.deactivate(db, None, admin)
    with pytest.raises(Conflict, match="last active admin"):
        users.change_roles(db, None, admin, roles=["comp_admin"])
    with pytest.raises(NotAllowed):
        users.deactivate(db, other, admin)
    second = make_user("admin")
    users.change_roles(db, second, admin, roles=["comp_admin"])
    assert admin.role_names == {"comp_admin"}
    with pytest.raises(Conflict, match="last active admin"):
        users.deactivate(db, None, second)


def test_a_reset_link_works_once_and_revokes_every_session_and_token(db, make_user):
    admin, rep = make_user("admin"), make_user("rep")
    _token, secret = accounts.issue_token(db, rep, "script")
    reset = users.issue_reset(db, admin, rep, key=KEY)
    token = users.reset_token(KEY, reset)
    db.commit()
    assert token not in str([r.payload for r in db.scalars(select(AuditRecord))])
    assert reset.token_hash != token and users.live_reset(db, token + "x") is None
    epoch = rep.session_epoch
    assert users.use_reset(db, token, NEW_PASSWORD).id == rep.id
    db.commit()
    assert rep.session_epoch == epoch + 1 and accounts.user_for_token(db, secret) is None
    assert accounts.authenticate(db, rep.email, NEW_PASSWORD) is not None
    with pytest.raises(NotFound):
        users.use_reset(db, token, "yet-another-passphrase")
    assert _actions(db, rep)[-3:] == [
        users.RESET_ISSUED,
        accounts.PASSWORD_CHANGED,
        users.RESET_USED,
    ]


def test_a_reset_link_expires_and_a_newer_one_voids_it(db, make_user):
    rep = make_user("rep")
    first = users.issue_reset(db, None, rep, key=KEY)
    first_token = users.reset_token(KEY, first)
    second = users.issue_reset(db, None, rep, key=KEY)
    assert users.live_reset(db, first_token) is None  # voided by the newer one
    second.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    db.flush()
    with pytest.raises(NotFound):
        users.use_reset(db, users.reset_token(KEY, second), NEW_PASSWORD)
    third = users.issue_reset(db, None, rep, key=KEY)
    with pytest.raises(Invalid, match="at least"):
        users.use_reset(db, users.reset_token(KEY, third), "short")
    users.deactivate(db, None, rep)
    assert users.live_reset(db, users.reset_token(KEY, third)) is None
    with pytest.raises(Conflict, match="deactivated"):
        users.issue_reset(db, None, rep, key=KEY)


def test_the_reset_mail_reaches_the_user_alone_over_smtp(notifying_app, db, make_user, smtp):  # noqa: F811
    admin, rep = make_user("admin"), make_user("rep")
    everything = _webhook(db, {"admin": admin}, "http://127.0.0.1:9/unused")  # every kind
    key = notifying_app.config["SECRET_KEY"]
    with notifying_app.app_context():
        reset = users.issue_reset(db, admin, rep, key=key)
        db.commit()
        _sweep(notifying_app)
    [mail] = smtp.messages
    assert mail["To"] == rep.email and mail["Subject"] == "[Accord] Set your password"
    link = f"https://accord.example.test/password-reset/{users.reset_token(key, reset)}"
    assert link in mail.get_payload(decode=True).decode()
    deliveries = db.scalars(select(NotificationDelivery)).all()
    assert [(d.channel, d.user_id) for d in deliveries] == [("email", rep.id)]
    assert everything.id not in {d.webhook_id for d in deliveries}
    assert db.scalar(select(PasswordReset.token_hash)) != users.reset_token(key, reset)


def test_a_participant_is_linked_to_one_user_at_most(db):
    with pytest.raises(Invalid, match="no participant"):
        users.create(db, None, email="a@example.test", name="A", roles=["rep"],
                     participant_id="nobody")  # fmt: skip
    db.add(Participant(id="p-users", name="P"))
    db.flush()
    users.create(db, None, email="b@example.test", name="B", roles=["rep"],
                 participant_id="p-users")  # fmt: skip
    with pytest.raises(Invalid, match="already the user b@example.test"):
        users.create(db, None, email="c@example.test", name="C", roles=["rep"],
                     participant_id="p-users")  # fmt: skip
