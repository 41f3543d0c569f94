"""Notifications sent by a real Celery worker (`accord worker`) over a real broker (a
Redis server of the test's own, or the embedded default's SQLite transport), to a real
SMTP server and a real HTTP receiver that checks each signature. Nothing runs eagerly:
an approval-rules proposal is committed, the worker starts, sweeps, fans the event out
and sends; the test reads what the servers received."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from governance.accounts import create_user
from governance.committee import approval_rules
from governance.notifications import preferences
from models.engine import make_engine
from models.notifications import NotificationDelivery
from tests.conftest import BACKENDS
from tests.integration.committee import lenient_rules
from tests.support.receivers import SmtpReceiver, WebhookReceiver
from tests.support.services import TempRedis, Worker, environment

pytestmark = pytest.mark.slow

CASES = [
    pytest.param(b, k, id=f"{b}-{k}")
    for b, k in (("postgresql", "redis"), ("sqlite", "embedded"))
    if b in BACKENDS
]
SECRET = "worker-secret"


def _people(session: Session) -> dict:
    def user(email: str, *roles: str, functions=()):
        return create_user(
            session,
            email=email,
            name=email.split("@")[0],
            password="correct horse battery",
            roles=list(roles),
            functions=list(functions),
        )

    return {
        "author": user("author@example.test", "comp_admin"),
        "admin": user("admin@example.test", "admin"),
        "finance": user("finance@example.test", "committee", functions=["finance"]),
        "sales": user("sales@example.test", "committee", functions=["sales"]),
    }


def _until(check, deadline: float = 120.0) -> None:
    end = time.monotonic() + deadline
    while not check() and time.monotonic() < end:
        time.sleep(0.2)


@pytest.mark.parametrize(("backend", "broker"), CASES)
def test_a_worker_sends_the_emails_and_the_signed_webhook(
    migrated_database, tmp_path, backend, broker
):
    redis = TempRedis().start() if broker == "redis" else None
    url = redis.url if redis else f"sqla+sqlite:///{tmp_path / 'broker.sqlite'}"
    with (
        migrated_database(backend) as database_url,
        SmtpReceiver() as smtp,
        WebhookReceiver(SECRET) as hook,
    ):
        engine = make_engine(database_url)
        with Session(engine) as session:
            people = _people(session)
            preferences.add_webhook(session, None, name="chat", url=hook.url, secret=SECRET)
            approval_rules.propose(session, people["author"], lenient_rules())
            session.commit()
        env = environment(
            database_url,
            url,
            tmp_path / "instance",
            ACCORD_SMTP_HOST="127.0.0.1",
            ACCORD_SMTP_PORT=str(smtp.port),
            ACCORD_BASE_URL="https://accord.example.test",
        )
        worker = Worker(env, tmp_path / "worker.log")
        try:
            _until(lambda: len(smtp.messages) >= 3 and hook.requests)
            addressed = sorted(to for _sender, tos in smtp.envelopes for to in tos)
            assert addressed == [
                "admin@example.test",
                "finance@example.test",
                "sales@example.test",
            ], worker.output()
            assert all(
                m["Subject"].startswith("[Accord] Your vote is requested") for m in smtp.messages
            )
            assert [r["verified"] for r in hook.requests] == [True]
            assert hook.received[0]["kind"] == "vote_requested"
            with Session(engine) as check:
                _until(lambda: set(check.scalars(select(NotificationDelivery.state))) == {"sent"})
                rows = check.scalars(select(NotificationDelivery)).all()
                assert len(rows) == 4 and {r.state for r in rows} == {"sent"}
                assert all(r.worker and r.worker.startswith("celery@") for r in rows)
        finally:
            worker.stop()
            engine.dispose()
            if redis is not None:
                redis.close()
