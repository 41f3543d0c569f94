"""The change journal (revision 0025): every input table journaled, every writer caught.

What a change reaches (deal -> the people it credits before and after, and their
managers; participant -> them and their managers before and after; FX -> everyone), and
"changed since a revision" across transactions on PostgreSQL (a change committed after
the revision's snapshot, by a transaction that began before it, is still seen).
"""

from __future__ import annotations

import inspect as pyinspect
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal

import pytest
from sqlalchemy import Engine, delete, inspect, text, update
from sqlalchemy.orm import Session

from governance import changes, engine_input
from governance.imports.service import import_data
from governance.payouts import build
from models import (
    Base,
    Deal,
    DealSplit,
    InputChange,
    PayoutException,
    PlanVersion,
    PolicyPlan,
    schema,
)
from models.engine import make_engine
from tests.conftest import BACKENDS
from tests.integration.payout_support import setup_org


def _input_tables() -> set[str]:
    """Every table the engine's input is read from: the models the readers name (a new
    model read by `engine_input` is found here, and must be journaled)."""
    models = {
        obj
        for module in (engine_input, build)
        for obj in vars(module).values()
        if pyinspect.isclass(obj) and issubclass(obj, Base) and obj is not Base
    }
    models |= {PayoutException, PlanVersion, PolicyPlan}
    return {m.__tablename__ for m in models}


def _journaled(db: Session) -> dict[str, set[str]]:
    """{table: {"insert", "update", "delete"}} of the journal's triggers."""
    if db.get_bind().dialect.name == "postgresql":
        rows = db.execute(
            text(
                "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
            )
        )
    else:
        rows = db.execute(text("SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger'"))
    out: dict[str, set[str]] = {}
    for table, name in rows:
        if name.startswith(f"{table}_journal_"):
            out.setdefault(table, set()).add(name.rsplit("_", 1)[1])
    return out


def test_every_input_table_is_journaled_on_every_write(db):
    tables = _input_tables()
    assert {"deals", "deal_events", "participants", "fx_rates", "payout_exceptions"} <= tables
    journaled = _journaled(db)
    for table in tables:
        assert journaled.get(table) == {"insert", "update", "delete"}, table


def _since(db, at):
    found = changes.changes_since(db, at)
    assert found is not None
    return found


def test_a_raw_sql_change_to_a_deal_names_the_deal_and_its_people(db):
    setup_org(db)
    db.commit()
    at = changes.revision(db)
    assert _since(db, at).empty
    db.execute(update(Deal).where(Deal.id == "D-3").values(amount=Decimal("1")))
    db.commit()
    found = _since(db, at)
    assert (found.kinds, found.deals, found.people) == ({"deal"}, {"D-3"}, {"ana"})
    assert changes.people_reached(db, found, []) == {"ana", "di"}  # di: ana's manager


def test_a_split_moved_names_the_partner_before_and_after(db):
    setup_org(db)
    db.commit()
    at = changes.revision(db)
    db.execute(
        update(DealSplit)
        .where(DealSplit.deal_id == "D-4", DealSplit.participant_id == "cy")
        .values(participant_id="bo")
    )
    db.commit()
    found = _since(db, at)
    assert found.people == {"cy", "bo"}
    assert changes.people_reached(db, found, []) >= {"ana", "bo", "cy", "di"}
    at = changes.revision(db)
    db.execute(delete(Deal).where(Deal.id == "D-4"))  # the splits go with it (cascade)
    db.commit()
    assert _since(db, at).people == {"ana", "bo"}  # D-4's owner and its splits, gone


def test_a_manager_change_names_both_managers_and_fx_reaches_everyone(db):
    setup_org(db)
    db.commit()
    at = changes.revision(db)
    import_data(db, {"participants": [{"id": "ana", "manager": "bo"}]}, source="test")
    db.commit()
    assert _since(db, at).people == {"ana", "di", "bo"}
    import_data(db, {"fx": [{"pair": "EUR/USD", "rate": "1.1"}]}, source="test")
    db.commit()
    assert _since(db, at).everyone


def test_an_unknown_or_foreign_revision_means_read_everything(db):
    assert changes.changes_since(db, None) is None
    assert changes.changes_since(db, "bogus") is None
    other = "id:5" if db.get_bind().dialect.name == "postgresql" else "snapshot:1:1:;0;0"
    assert changes.changes_since(db, other) is None


@contextmanager
def _organisation(url: str) -> Iterator[Engine]:
    """An engine on a migrated database of its own holding the payout tests' organisation
    (tests of several connections at once)."""
    schema.upgrade(url)
    engine = make_engine(url)
    try:
        with Session(engine) as setup:
            setup_org(setup)
            setup.commit()
        yield engine
    finally:
        engine.dispose()


@pytest.mark.parametrize("backend_name", BACKENDS)
def test_a_change_committed_after_the_revision_is_seen(backend_name, fresh_database_url):
    """A writer that began (and took its transaction id) before the revision was taken and
    committed after: its change is not in what the run read, so it is "since"."""
    with (
        _organisation(fresh_database_url(backend_name)) as engine,
        Session(engine) as writer,
        Session(engine) as reader,
    ):
        if backend_name == "postgresql":
            writer.execute(update(Deal).where(Deal.id == "D-1").values(amount=Decimal("2")))
            at = changes.revision(reader)  # the writer is in progress in this snapshot
            reader.commit()
            writer.commit()
        else:  # one writer at a time: the revision is the last id committed
            at = changes.revision(reader)
            reader.commit()
            writer.execute(update(Deal).where(Deal.id == "D-1").values(amount=Decimal("2")))
            writer.commit()
        assert _since(reader, at).deals == {"D-1"}
        reader.commit()
        assert _since(reader, changes.revision(reader)).empty
        assert reader.query(InputChange).count() > 0


def test_the_journal_table_is_in_the_schema(db):
    assert "input_changes" in inspect(db.get_bind()).get_table_names()


def _answer(session: Session, at: str) -> tuple:
    found = changes.changes_since(session, at)
    return (found.kinds, found.deals, found.people) if found is not None else None


@pytest.mark.parametrize("backend_name", BACKENDS)
def test_compaction_keeps_every_answer_and_drops_what_repeats(backend_name, fresh_database_url):
    """Changes in many transactions with revisions between them (one taken while a writer
    was in progress, on PostgreSQL): after `compact`, `changes_since` answers exactly as
    before for each revision in use and for a new one, with fewer rows."""
    with _organisation(fresh_database_url(backend_name)) as engine:
        with Session(engine) as db:
            revisions = [changes.revision(db)]
            db.commit()
            for step in range(12):
                deal = "D-1" if step % 3 else "D-2"
                db.execute(update(Deal).where(Deal.id == deal).values(amount=Decimal(100 + step)))
                db.commit()
                if step in (3, 7):
                    revisions.append(changes.revision(db))
                    db.commit()
        if backend_name == "postgresql":  # a revision with a writer in progress in it
            with Session(engine) as writer, Session(engine) as reader:
                writer.execute(update(Deal).where(Deal.id == "D-2").values(amount=Decimal("7")))
                revisions.append(changes.revision(reader))
                reader.commit()
                writer.commit()
            with Session(engine) as db:
                db.execute(update(Deal).where(Deal.id == "D-2").values(amount=Decimal("8")))
                db.commit()
        with Session(engine) as db:
            before = {at: _answer(db, at) for at in revisions}
            rows_before = db.query(InputChange).count()
            assert changes.compact(db, revisions) > 0
            db.commit()
            assert {at: _answer(db, at) for at in revisions} == before
            assert db.query(InputChange).count() < rows_before
            assert changes.compact(db, revisions) == 0  # nothing repeats any more
            db.commit()
            now = changes.revision(db)
            assert changes.changes_since(db, now).empty


@pytest.mark.parametrize("backend_name", BACKENDS)
def test_compaction_waits_for_a_revision_not_yet_stored_and_finds_those_in_use(
    backend_name, fresh_database_url
):
    with _organisation(fresh_database_url(backend_name)) as engine:
        with Session(engine) as db:
            assert changes.revisions_in_use(db) == set()
        with Session(engine) as builder, Session(engine) as compactor:
            changes.revision(builder)  # taken, not yet stored: its transaction is open
            if backend_name == "postgresql":
                assert changes.compact(compactor) is None  # try again later
            else:  # ids follow commits: merging into the latest row is exact for any revision
                assert changes.compact(compactor) is not None
            compactor.rollback()
            builder.rollback()
            assert changes.compact(compactor) is not None
            compactor.rollback()


def test_the_revisions_in_use_are_the_runs_and_active_builds(db):
    """Each run's revision is in use (a draft is re-run, a locked period re-checked), and
    a compaction after changes keeps what the draft's re-run reads. That a re-run after
    compactions equals a full build: tests/integration/test_incremental_property.py."""
    from governance.payouts.runs import start_run

    setup_org(db)
    db.commit()
    run = start_run(db, None, "2026-Q3")
    db.commit()
    assert changes.revisions_in_use(db) == {run.input_revision}
    for amount in ("1000", "2000", "3000"):
        db.execute(update(Deal).where(Deal.id == "D-1").values(amount=Decimal(amount)))
        db.commit()
    before = _answer(db, run.input_revision)
    assert changes.compact(db) > 0
    db.commit()
    assert _answer(db, run.input_revision) == before and "D-1" in before[1]


def test_the_cli_compacts_the_journal(cli_env):
    """`accord payouts compact-journal`: what beat's daily task does, by hand."""
    from tests.support.cli import run

    engine = make_engine(cli_env)
    try:
        with Session(engine) as db:
            setup_org(db)
            db.commit()
            for amount in ("1000", "2000"):
                db.execute(update(Deal).where(Deal.id == "D-1").values(amount=Decimal(amount)))
                db.commit()
            rows = db.query(InputChange).count()
        out = run("payouts", "compact-journal")
        assert out.exit_code == 0, out.output
        deleted = int(out.output.split("change journal: ")[1].split(" of ")[0].replace(",", ""))
        assert 0 < deleted < rows and f"of {rows:,} rows deleted" in out.output
        with Session(engine) as db:
            assert db.query(InputChange).count() == rows - deleted
            db.execute(update(Deal).where(Deal.id == "D-1").values(amount=Decimal("3000")))
            db.commit()
        again = run("payouts", "compact-journal").output  # the new D-1 rows replace the kept
        assert again.startswith("change journal: ") and not again.startswith("change journal: 0")
    finally:
        engine.dispose()


def test_beat_compacts_the_journal_daily(app, db):
    setup_org(db)
    db.commit()
    for amount in ("1000", "2000"):
        db.execute(update(Deal).where(Deal.id == "D-1").values(amount=Decimal(amount)))
        db.commit()
    task = app.extensions["accord.celery"].tasks["accord.background.compact_journal"]
    entry = app.extensions["accord.celery"].conf.beat_schedule["compact-change-journal"]
    assert entry["task"] == "accord.background.compact_journal"
    with app.app_context():
        assert task.apply().get() > 0
        assert task.apply().get() == 0
