"""An incremental re-run always equals a full re-run (issue 14), on SQLite and PostgreSQL.

A hypothesis state machine over the payout tests' organisation (two plans: splits and a
manager override; 2026-Q2 locked, 2026-Q3 a draft) makes random changes to the engine's
inputs, through the importer and through raw SQL (which only the journal's triggers
see): deals (amount, owner, splits, close date moved across the quarter, added,
deleted), events, FX rates, adjustment exceptions, assignments, quotas, managers, new
participants, plan versions. After each re-run of 2026-Q3 (incremental: only the people
the change journal names are read), a full build of the same data in a savepoint that is
rolled back gives the same input hash, result hash and lines; and the close's re-check
of 2026-Q2 gives the same adjustment lines incrementally as reading every batch.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from governance import changes
from governance.errors import GovernanceError, RunRejected
from governance.exceptions import workflow as exceptions
from governance.imports.service import import_data
from governance.payouts import recheck, run_steps
from governance.payouts.runs import start_run
from models import Deal, PayoutLine, PayoutRun
from models.base import utcnow
from rules.problems import InvalidData
from tests.integration.exception_setup import make_person
from tests.integration.payout_support import MANAGER_PLAN, activate_plan, organisation

LOCKED, DRAFT = "2026-Q2", "2026-Q3"
DAYS = ["2026-05-03", "2026-07-02", "2026-08-15", "2026-09-29"]
SETTINGS = settings(
    max_examples=8,
    stateful_step_count=8,
    deadline=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
incremental_passes = 0  # re-runs that read only the changed people (the test checks some did)
compacted_rows = 0  # journal rows compacted away between changes (the test checks some were)


def _lines(db: Session, run: PayoutRun) -> list[tuple]:
    rows = db.scalars(
        select(PayoutLine).where(PayoutLine.run_id == run.id).order_by(PayoutLine.line_key)
    )
    return [
        (ln.line_key, ln.kind, ln.deal_id, ln.amount, ln.status, ln.adjusts_period, ln.trace)
        for ln in rows
    ]


def _outcome(db: Session, run: PayoutRun) -> tuple:
    lines = _lines(db, run)
    assert run.line_count == len(lines)  # summed from the statements, not counted
    return (run.input_data_hash, run.result_hash, run.statement_count, lines)


class Incremental(RuleBasedStateMachine):
    engine = None  # set by the test: the backend's migrated engine

    def __init__(self):
        super().__init__()
        self.connection = self.engine.connect()
        self.outer = self.connection.begin()
        self.db = Session(
            bind=self.connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
        )
        try:
            self._setup(self.db)
        except BaseException:
            self.teardown()  # hypothesis tears down only a machine that was made
            raise

    def _setup(self, db: Session) -> None:
        self.crew = {
            name: make_person(db, name, *roles, functions=functions)
            for name, roles, functions in (
                ("desk", ("deal_desk",), ()),
                ("lead", ("deal_desk",), ()),
                ("finance", ("committee",), ("finance",)),
                ("revops", ("committee",), ("revops",)),
            )
        }
        activate_plan(db)
        activate_plan(db, text=MANAGER_PLAN)
        self.data = organisation() | {"fx": [{"pair": "EUR/USD", "rate": "1.08"}]}
        import_data(db, self.data, source="test")
        db.commit()
        locked = start_run(db, None, LOCKED)
        locked.state = "approved"
        db.commit()
        locked.state, locked.locked_at = "locked", utcnow()
        db.commit()
        self.locked = locked
        start_run(db, None, DRAFT)
        db.commit()
        self.people = ["ana", "bo", "cy", "di"]
        self.serial = 100

    def teardown(self):
        self.db.close()
        self.outer.rollback()
        self.connection.close()

    def _import(self, section: str, records: list[dict]) -> None:
        try:
            import_data(self.db, {section: records}, source="test", correction=True)
        except (GovernanceError, InvalidData):
            self.db.rollback()
            return
        self.db.commit()

    def _deal(self, data) -> dict:
        return data.draw(st.sampled_from(self.data["deals"]))

    # ------------------------------------------------------------------ changes

    @rule(data=st.data(), amount=st.integers(1, 90).map(lambda n: f"{n * 1000}.25"))
    def deal_amount_raw_sql(self, data, amount):
        deal = self._deal(data)
        self.db.execute(update(Deal).where(Deal.id == deal["id"]).values(amount=Decimal(amount)))
        self.db.commit()

    @rule(
        data=st.data(), owner=st.sampled_from(["ana", "bo", "cy", "di"]), day=st.sampled_from(DAYS)
    )
    def deal_owner_and_day(self, data, owner, day):
        deal = self._deal(data) | {"owner": owner, "close_date": day}
        self._import("deals", [deal])

    @rule(data=st.data(), partner=st.sampled_from(["ana", "bo", "cy", "di"]))
    def deal_splits(self, data, partner):
        deal = self._deal(data)
        deal["splits"] = [
            {"participant": deal["owner"], "share": "0.5"},
            {"participant": partner, "share": "0.5"},
        ]
        if partner == deal["owner"]:
            deal["splits"] = [{"participant": partner, "share": "1"}]
        self._import("deals", [deal])

    @rule(owner=st.sampled_from(["ana", "bo", "cy"]), day=st.sampled_from(DAYS))
    def add_deal(self, owner, day):
        self.serial += 1
        deal = {
            "id": f"D-{self.serial}",
            "type": "new",
            "amount": "7000",
            "currency": "EUR",
            "close_date": day,
            "owner": owner,
            "gross_margin": "0.40",
            "cash_collected_date": day,
        }
        self.data["deals"].append(deal)
        self._import("deals", [deal])

    @precondition(lambda self: len(self.data["deals"]) > 5)
    @rule(data=st.data())
    def delete_deal_raw_sql(self, data):
        deal = self._deal(data)
        self.data["deals"].remove(deal)
        self.db.execute(delete(Deal).where(Deal.id == deal["id"]))
        self.db.commit()

    @rule(data=st.data(), day=st.sampled_from(["2026-08-01", "2026-09-20"]))
    def cancellation(self, data, day):
        deal = self._deal(data)
        self._import("events", [{"deal": deal["id"], "kind": "cancellation", "date": day}])

    @rule(rate=st.sampled_from(["1.05", "1.10"]), day=st.sampled_from([None, "2026-08-01"]))
    def fx_rate(self, rate, day):
        fx = {"pair": "EUR/USD", "rate": rate} | ({"from": day} if day else {})
        self._import("fx", [fx])

    @rule(who=st.sampled_from(["ana", "bo"]), period=st.sampled_from([LOCKED, DRAFT]))
    def adjustment_exception(self, who, period):
        fields = {
            "kind": "adjustment",
            "plan": "pay-plan",
            "participant": who,
            "period": period,
            "amount": "120.00",
            "justification": "promised at kickoff",
        }
        try:
            exc = exceptions.file_exception(
                self.db, self.crew["desk"], fields, today=date(2026, 9, 1)
            )
            for name in ("lead", "finance", "revops"):
                if exc.state == "submitted":
                    exceptions.cast_exception_vote(
                        self.db,
                        self.crew[name],
                        exc.id,
                        decision="approve",
                        content_hash=exc.content_hash,
                    )
        except GovernanceError:
            self.db.rollback()
            return
        self.db.commit()

    @rule(who=st.sampled_from(["ana", "bo", "cy"]), end=st.sampled_from(["2026-08-31", None]))
    def assignment(self, who, end):
        assignment = {"plan": "pay-plan", "start": "2026-01-01"} | ({"end": end} if end else {})
        self._import("participants", [{"id": who, "assignments": [assignment]}])

    @rule(who=st.sampled_from(["ana", "bo", "cy"]), amount=st.sampled_from(["50000", "90000"]))
    def quota(self, who, amount):
        record = {"participant": who, "plan": "pay-plan", "period": DRAFT, "amount": amount}
        self._import("quotas", [record])

    @rule(who=st.sampled_from(["ana", "bo", "cy"]), manager=st.sampled_from([None, "di", "bo"]))
    def manager(self, who, manager):
        if manager != who:
            self._import("participants", [{"id": who, "manager": manager}])

    @rule()
    def new_participant(self):
        self.serial += 1
        who = f"p{self.serial}"
        person = {
            "id": who,
            "manager": "di",
            "assignments": [{"plan": "pay-plan", "start": "2026-01-01"}],
        }
        self._import("participants", [person])
        self.people.append(who)

    @rule(rate=st.sampled_from(["0.05", "0.07"]))
    def plan_version(self, rate):
        activate_plan(self.db, rate=rate)
        self.db.commit()

    @rule()
    def compact_journal(self):
        """The journal compacted between changes and runs: the next re-run and re-check
        must still equal the full ones (the invariant below)."""
        global compacted_rows
        deleted = changes.compact(self.db)
        assert deleted is not None
        compacted_rows += deleted
        self.db.commit()

    # ------------------------------------------------------------------ the comparison

    @invariant()
    def re_run_equals_full_run(self):
        global incremental_passes
        db = self.db
        found = []
        real = run_steps.changed_people

        def spy(*args, **kwargs):
            people = real(*args, **kwargs)
            found.append(people)
            return people

        run_steps.changed_people = spy
        try:
            run = start_run(db, None, DRAFT)
        except RunRejected as exc:  # the data cannot be evaluated: nor can it in full
            db.rollback()
            run = db.scalars(select(PayoutRun).where(PayoutRun.state == "draft")).one()
            nested = db.begin_nested()
            db.execute(update(PayoutRun).where(PayoutRun.id == run.id).values(state="failed"))
            with pytest.raises(RunRejected) as full:
                start_run(db, None, DRAFT)
            nested.rollback()
            assert full.value.problems == exc.problems
            return
        finally:
            run_steps.changed_people = real
        db.commit()
        incremental_passes += sum(1 for people in found if people is not None)
        got = _outcome(db, run)
        # A full build of the same data: a new run (the draft set aside), rolled back.
        nested = db.begin_nested()
        db.execute(update(PayoutRun).where(PayoutRun.id == run.id).values(state="failed"))
        full = start_run(db, None, DRAFT)
        want = _outcome(db, full)
        nested.rollback()
        assert got == want
        db.expire_all()
        lines = recheck.recheck_locked(db, self.locked).lines
        assert lines == recheck.recheck_locked(db, self.locked, full=True).lines


def test_an_incremental_re_run_equals_a_full_re_run(engine):
    global incremental_passes, compacted_rows
    incremental_passes = compacted_rows = 0
    Incremental.engine = engine
    run_state_machine_as_test(Incremental, settings=SETTINGS)
    assert incremental_passes > 0  # not every example fell back to reading everything
    assert compacted_rows > 0  # compactions between the changes did delete rows
