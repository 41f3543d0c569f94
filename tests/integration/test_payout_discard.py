"""Discarding a draft run and refusing runs of periods not begun, on both databases
(issue 11, "Periods"): the service, its audit, the database guard and the CLI."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from governance import periods
from governance.accounts import create_user
from governance.errors import Invalid, InvalidTransition, NotAllowed, RunRejected
from governance.exceptions import workflow as exceptions
from governance.payouts import close as payout_close
from governance.payouts.runs import start_run
from models import AuditRecord, PayoutLine, PayoutRun
from models.engine import make_engine
from tests.integration.exception_setup import adjustment, people, setup_plan_and_data
from tests.support.cli import run as cli
from tests.support.payout_close import approve_by_vote, make_run

TODAY = date(2026, 12, 3)


@pytest.fixture
def crew(db, monkeypatch):
    monkeypatch.setattr(periods, "today", lambda: TODAY)
    crew = people(db)
    setup_plan_and_data(db, crew["author"])
    db.commit()
    return crew


def _audit(db, action: str) -> list[AuditRecord]:
    return list(db.scalars(select(AuditRecord).where(AuditRecord.action == action)))


def test_a_discarded_draft_never_pays_and_its_period_runs_again(db, crew):
    author = crew["author"]
    q3 = start_run(db, author, "2026-Q3")
    approve_by_vote(db, q3)
    payout_close.lock_run(db, author, q3.id)
    ex = exceptions.file_exception(db, crew["desk"], adjustment("450.00"), today=TODAY)
    for who in ("lead", "finance"):
        exceptions.cast_exception_vote(
            db, crew[who], ex.id, decision="approve", content_hash=ex.content_hash
        )
    q4 = start_run(db, author, "2026-Q4")
    q1 = start_run(db, author, "2027-Q1", early=True)
    lines_before = q4.line_count
    db.commit()

    payout_close.discard_run(db, author, q4.id, reason="started before the import")
    db.commit()
    assert (q4.state, q4.line_count) == ("discarded", lines_before)  # kept, for the record
    assert (q3.state, q1.state) == ("locked", "draft")  # nothing else changes
    [record] = _audit(db, "payout_run.discarded")
    assert record.payload["note"] == "started before the import"
    # Q3's adjustment now belongs to the 2027-Q1 draft: its re-run carries it, once.
    q1 = start_run(db, author, "2027-Q1", early=True)
    approve_by_vote(db, q1)
    payout_close.lock_run(db, author, q1.id)
    paid = db.scalars(
        select(PayoutLine.amount)
        .join(PayoutRun, PayoutRun.id == PayoutLine.run_id)
        .where(PayoutRun.state == "locked", PayoutLine.adjusts_period == "2026-Q3")
    ).all()
    assert paid == [Decimal("450.00")]
    again = start_run(db, author, "2026-Q4")  # the period is free again
    assert again.id != q4.id and again.state == "draft"
    with pytest.raises(InvalidTransition):
        payout_close.cast_run_vote(
            db, crew["finance"], q4.id, decision="approve", content_hash=q4.result_hash
        )


def test_only_a_draft_is_discarded_by_a_comp_admin_with_a_reason(db, crew):
    author = crew["author"]
    q3 = start_run(db, author, "2026-Q3")
    db.commit()
    with pytest.raises(NotAllowed):
        payout_close.discard_run(db, crew["finance"], q3.id, reason="no")
    with pytest.raises(NotAllowed):
        payout_close.discard_run(db, None, q3.id, reason="no")
    with pytest.raises(Invalid):
        payout_close.discard_run(db, author, q3.id, reason="  ")
    approve_by_vote(db, q3)
    with pytest.raises(InvalidTransition, match="cannot become discarded"):
        payout_close.discard_run(db, author, q3.id, reason="too late")


def test_the_database_keeps_a_discarded_run_as_it_is(db, crew):
    q3 = start_run(db, crew["author"], "2026-Q3")
    payout_close.discard_run(db, crew["author"], q3.id, reason="test")
    db.commit()
    for sql in (
        "UPDATE payout_runs SET state = 'draft' WHERE id = :id",
        "UPDATE payout_runs SET note = 'changed' WHERE id = :id",
    ):
        with pytest.raises(IntegrityError), db.begin_nested():
            db.execute(text(sql), {"id": q3.id})


def test_a_period_that_has_not_begun_is_refused_unless_early(db, crew):
    with pytest.raises(RunRejected, match="2027-Q1 has not begun: it starts on 2027-01-01"):
        start_run(db, crew["author"], "2027-Q1")
    assert db.scalars(select(PayoutRun)).all() == []
    run = start_run(db, crew["author"], "2027-Q1", early=True)
    [record] = _audit(db, "payout_run.started_early")
    assert record.payload["period"] == "2027-Q1" and run.state == "draft"
    start_run(db, crew["author"], "2026-Q4")  # begun: no early record
    assert len(_audit(db, "payout_run.started_early")) == 1


@pytest.fixture
def cli_world(cli_env):
    engine = make_engine(cli_env)
    with Session(engine) as session:
        admin = create_user(
            session,
            email="admin@example.test",
            name="admin",
            password="correct horse battery",
            roles=["comp_admin"],
        )
        make_run(session, admin, "2026-Q1")
        make_run(session, admin, "2026-Q2", state="locked")
        session.commit()
    engine.dispose()


def test_discard_and_early_at_the_shell(cli_world):
    done = cli("payouts", "discard", "1", "--as", "admin@example.test", "--reason", "stale")
    assert done.exit_code == 0, done.output
    assert "payout-run/2026-Q1#1: discarded" in done.output
    shown = json.loads(cli("payouts", "show", "1").output)
    assert shown["state"] == "discarded"
    locked = cli("payouts", "discard", "2", "--as", "admin@example.test", "--reason", "no")
    assert locked.exit_code == 2 and "cannot become discarded" in locked.output
    future = cli("payouts", "run", "--period", "2099-Q1", "--no-progress")
    assert future.exit_code == 2 and "2099-Q1 has not begun" in future.output
