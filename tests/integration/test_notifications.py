"""Notifications end to end with real parts: events recorded with their change, the
worker's tasks (run eagerly, as the other task tests do), a real SMTP server (aiosmtpd)
reading the e-mails and a real HTTP server checking each webhook's HMAC; both databases.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.tasks import EXTENSION
from app.tasks.notifications import SWEEP
from config import TestConfig
from governance.committee import approval_rules
from governance.notifications import messages, preferences
from models import AuditRecord
from models.notifications import DeliveryAttempt, NotificationDelivery, NotificationEvent
from tests.integration.committee import committee, lenient_rules
from tests.support.receivers import SmtpReceiver, WebhookReceiver

SECRET = "s3cret-for-tests"


@pytest.fixture
def people(make_user):
    return committee(make_user)


@pytest.fixture
def smtp():
    with SmtpReceiver() as receiver:
        yield receiver


@pytest.fixture
def notifying_app(app_with, smtp):
    """The app with an SMTP server, retries without waiting, three tries in all."""
    return app_with(
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=smtp.port,
        SMTP_FROM="accord@example.test",
        BASE_URL="https://accord.example.test",
        NOTIFY_RETRY_SECONDS=0,
        NOTIFY_MAX_ATTEMPTS=3,
    )


def _sweep(app) -> dict:
    return app.extensions[EXTENSION].tasks[SWEEP].apply_async().get()


def _webhook(db, people, url: str, fmt: str = "json", kinds=None):
    admin = people["admin"]
    hook = preferences.add_webhook(
        db, admin, name=f"hook-{fmt}-{url[-12:]}", url=url, format=fmt, kinds=kinds, secret=SECRET
    )
    db.commit()
    return hook


@pytest.fixture
def everyone(people, make_user):
    return {**people, "admin": make_user("admin")}


def test_a_proposal_is_announced_once_by_email_and_signed_webhook(
    notifying_app, db, everyone, smtp
):
    people = everyone
    with WebhookReceiver(SECRET) as hook:
        _webhook(db, people, hook.url)
        proposal = approval_rules.propose(db, people["author"], lenient_rules())
        # Recorded in the proposal's own transaction, beside its audit record.
        event = db.scalars(select(NotificationEvent)).one()
        record = db.get(AuditRecord, event.audit_record_id)
        assert (event.kind, record.action) == ("vote_requested", "approval_rules.submitted")
        db.commit()

        swept = _sweep(notifying_app)
        assert swept["events"] == [event.id]

        voters = ["finance", "sales", "hr", "both"]  # the admin may vote too
        addressed = sorted(to for _sender, tos in smtp.envelopes for to in tos)
        expected = sorted(people[p].email for p in [*voters, "admin"])
        assert addressed == expected  # not the author, not the rep
        mail = smtp.to(people["finance"].email)[0]
        assert mail["Subject"] == (
            f"[Accord] Your vote is requested: Approval rules {proposal.label}"
        )
        assert "https://accord.example.test/committee/approval-rules" in mail.get_payload()

        assert len(hook.requests) == 1 and hook.requests[0]["verified"]
        body = hook.received[0]
        assert body["kind"] == "vote_requested"
        assert body["subject"] == {
            "type": "approval_rules",
            "id": proposal.label,
            "title": f"Approval rules {proposal.label}",
        }
        assert hook.requests[0]["headers"][messages.EVENT_HEADER] == "vote_requested"

        # A second sweep (and a duplicate task) sends nothing again.
        assert _sweep(notifying_app) == {"events": [], "deliveries": []}
        notifying_app.extensions[EXTENSION].tasks["accord.notifications.fan_out"].apply_async(
            args=[event.id]
        ).get()
        assert len(smtp.messages) == 5 and len(hook.requests) == 1
        db.expire_all()
        states = db.scalars(select(NotificationDelivery.state)).all()
        assert sorted(states) == ["sent"] * 6


def test_a_decision_tells_the_author_and_voters_not_the_one_who_decided(
    notifying_app, db, everyone, smtp
):
    people = everyone
    proposal = approval_rules.propose(db, people["author"], lenient_rules())
    db.commit()
    _sweep(notifying_app)
    smtp.messages.clear()
    smtp.envelopes.clear()
    approval_rules.cast_rules_vote(
        db,
        people["sales"],
        proposal.number,
        decision="reject",
        content_hash=proposal.content_hash,
        comment="four is too many",
    )
    db.commit()
    _sweep(notifying_app)
    [mail] = smtp.messages
    assert mail["To"] == people["author"].email
    assert mail["Subject"] == f"[Accord] Decided: Approval rules {proposal.label} is rejected"


def test_a_user_who_turned_a_kind_off_gets_no_email_of_it(notifying_app, db, everyone, smtp):
    people = everyone
    preferences.set_email_choices(db, people["hr"].id, {"vote_requested": False})
    db.commit()
    approval_rules.propose(db, people["author"], lenient_rules())
    db.commit()
    _sweep(notifying_app)
    assert smtp.to(people["hr"].email) == []
    assert smtp.to(people["finance"].email) != []


def test_a_failing_webhook_is_retried_with_each_try_logged(notifying_app, db, everyone):
    people = everyone
    with WebhookReceiver(SECRET, fail_first=2) as hook:
        _webhook(db, people, hook.url, fmt="slack", kinds=["vote_requested"])
        approval_rules.propose(db, people["author"], lenient_rules())
        db.commit()
        _sweep(notifying_app)
        assert len(hook.requests) == 3 and all(r["verified"] for r in hook.requests)
        assert hook.received[-1]["text"].startswith("Your vote is requested: Approval rules")
        db.expire_all()
        delivery = db.scalars(
            select(NotificationDelivery).where(NotificationDelivery.channel == "webhook")
        ).one()
        assert (delivery.state, delivery.attempts) == ("sent", 3)
        log = db.scalars(
            select(DeliveryAttempt)
            .where(DeliveryAttempt.delivery_id == delivery.id)
            .order_by(DeliveryAttempt.number)
        ).all()
        assert [(a.number, a.ok, a.status_code) for a in log] == [
            (1, False, 500),
            (2, False, 500),
            (3, True, 200),
        ]


def test_a_webhook_that_never_answers_fails_after_its_tries(notifying_app, db, everyone):
    people = everyone
    with WebhookReceiver(SECRET, fail_first=99) as hook:
        _webhook(db, people, hook.url, kinds=["vote_requested"])
        approval_rules.propose(db, people["author"], lenient_rules())
        db.commit()
        _sweep(notifying_app)
        assert len(hook.requests) == 3  # NOTIFY_MAX_ATTEMPTS
    db.expire_all()
    delivery = db.scalars(
        select(NotificationDelivery).where(NotificationDelivery.channel == "webhook")
    ).one()
    assert delivery.state == "failed" and "given up after 3 tries" in delivery.message


def test_a_signature_over_other_bytes_or_an_old_timestamp_does_not_verify():
    body = b'{"kind":"vote_requested"}'
    signed = messages.signature(SECRET, 1_800_000_000, body)
    assert messages.verify(SECRET, "1800000000", body, signed, now=1_800_000_010)
    assert not messages.verify(SECRET, "1800000000", body + b" ", signed, now=1_800_000_010)
    assert not messages.verify("other", "1800000000", body, signed, now=1_800_000_010)
    assert not messages.verify(SECRET, "1800000000", body, signed, now=1_800_001_000)


def test_a_dispute_is_announced_to_reviewers_then_its_answer_and_lateness_to_the_rep(
    notifying_app, db, make_user, smtp
):
    from datetime import date

    from governance.disputes import workflow as disputes
    from tests.support.disputes import participants, run_with_lines

    _mia, ana, bob = participants(db, "-note")
    lines = run_with_lines(db, ana, bob)
    rep = make_user("rep", participant_id=ana)
    reviewer = make_user("comp_admin")
    late = disputes.file(db, rep, lines.ana.id, reason="late", today=date(2020, 1, 6))
    db.commit()
    _sweep(notifying_app)
    assert [m["Subject"] for m in smtp.to(reviewer.email)] == [
        f"[Accord] Dispute filed: Dispute {late.id}"
    ]
    assert smtp.to(rep.email) == []  # the rep filed it: no news to them

    disputes.escalate_overdue(db, date(2020, 3, 1))
    db.commit()
    _sweep(notifying_app)
    overdue = f"[Accord] Dispute overdue: Dispute {late.id}"
    assert overdue in [m["Subject"] for m in smtp.to(rep.email)]
    assert overdue in [m["Subject"] for m in smtp.to(reviewer.email)]

    disputes.resolve_reject(db, reviewer, late.id, resolution="the deal closed in Q4")
    db.commit()
    _sweep(notifying_app)
    answered = [m for m in smtp.to(rep.email) if "answered" in m["Subject"]]
    assert [m["Subject"] for m in answered] == [
        f"[Accord] Dispute answered: Dispute {late.id} (resolved rejected)"
    ]
    assert "the deal closed in Q4" in answered[0].get_payload()
    kinds = db.scalars(select(NotificationEvent.kind).order_by(NotificationEvent.id)).all()
    assert kinds == ["dispute_filed", "dispute_overdue", "dispute_answered"]


def test_beat_sweeps_for_notifications_every_few_seconds():
    from app import create_app

    schedule = create_app(TestConfig).extensions[EXTENSION].conf.beat_schedule
    assert schedule["send-notifications"] == {"task": SWEEP, "schedule": 10.0}


def test_a_run_approved_then_locked_is_told_to_its_starter_and_voters(
    notifying_app, db, make_user, smtp
):
    from governance.payouts import close as payout_close
    from tests.support.payout_close import make_run

    starter = make_user("comp_admin")
    finance = make_user("committee", functions=["finance"])
    revops = make_user("committee", functions=["revops"])
    run = make_run(db, starter, "2031-Q1")
    db.commit()
    for voter in (finance, revops):
        payout_close.cast_run_vote(
            db,
            voter,
            run.id,
            decision="approve",
            content_hash=payout_close.run_content_hash(run),
        )
    payout_close.lock_run(db, starter, run.id)
    db.commit()
    _sweep(notifying_app)
    title = f"Payout run {run.label}"
    assert [m["Subject"] for m in smtp.to(starter.email)] == [
        f"[Accord] Decided: {title} is approved",
    ]  # the starter locked it: no news to them of that
    assert sorted(m["Subject"] for m in smtp.to(finance.email)) == [
        f"[Accord] Decided: {title} is approved",
        f"[Accord] Locked: {title}",
    ]
    assert [m["Subject"] for m in smtp.to(revops.email)] == [f"[Accord] Locked: {title}"]


def test_a_delivery_sent_is_never_sent_again_and_one_of_a_lost_worker_is_queued_again(
    notifying_app, db, everyone, smtp
):
    from datetime import timedelta

    from app.tasks.notifications import DELIVER
    from governance.notifications import outbox
    from models.base import utcnow

    approval_rules.propose(db, everyone["author"], lenient_rules())
    db.commit()
    _sweep(notifying_app)
    sent = len(smtp.messages)
    deliver = notifying_app.extensions[EXTENSION].tasks[DELIVER]
    first = db.scalars(select(NotificationDelivery).order_by(NotificationDelivery.id)).first()
    assert deliver.apply_async(args=[first.id]).get() == "sent"  # a duplicate task
    assert len(smtp.messages) == sent

    # A worker lost mid-send: the row stays "sending" until its lease runs out.
    first.state, first.started_at = "sending", utcnow() - outbox.LEASE - timedelta(seconds=1)
    db.commit()
    assert outbox.release_stale(db) == 1
    db.commit()
    assert (first.state, first.published_at) == ("queued", None)
