"""The ledger invariant as a hypothesis state machine, on SQLite and PostgreSQL (issue 11).

Random sequences over four quarters of 2025: deals added, corrected and cancelled (in
USD and EUR), adjustment exceptions approved, plan versions activated with retroactive
effect, dated EUR/USD rates imported (as corrections when they reach a locked period),
runs and re-runs, rejections, approvals and locks, discards. After every lock, for every
locked period P and every line position (participant, plan, deal, kind, rule), what
locked runs paid for it (P's own line plus the locked prior-period adjustments of P at
that position) is what the engine (`rules.evaluate`, what `accord evaluate` prints)
computes for P over the data as it was when the last of those runs was built and locked:
paid exactly once, never twice. Only a run built on the current data is approved (a
stale draft is re-run first, as a comp admin would). At the end a settling run after the
four quarters is locked and the sums per (participant, plan, deal, rule) over all locked
runs equal the engine over the final data for every locked period.

How the invariant reads the ledger: docs/payout-close.md, "Exactly once".
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import select
from sqlalchemy.orm import Session

from governance.engine_input import database_data
from governance.errors import GovernanceError
from governance.exceptions import workflow as exceptions
from governance.imports.service import import_data
from governance.payouts import close as payout_close
from governance.payouts import runs as payout_runs
from governance.plans.lookup import plan_of, version_governing
from models import PayoutLine, PayoutRun
from rules.evaluate import evaluate
from rules.period import Period
from tests.integration.exception_setup import make_person
from tests.integration.payout_support import activate_plan

PERIODS = ("2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4")
SETTLE = "2026-Q1"
PEOPLE = ("ana", "bo")
PLAN = """\
policy: ledger-plan
title: Ledger plan
currency: USD
period: quarter
credit:
  - {{id: owner, to: owner, share: 1}}
rates:
  - {{id: new-business, when: deal.type == "new", rate: {rate}}}
  - {{id: default, rate: 0.02}}
clawbacks:
  - {{id: churn, triggers: [cancellation], within_days: 180, recover: full}}
"""
D = Decimal
ZERO = D("0.00")
# Tuned so that each backend takes well under a minute, and so that the double payment
# of the code before the fix is found (docs/payout-close.md, "Exactly once").
SETTINGS = settings(
    max_examples=12,
    stateful_step_count=24,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)


def _day(period: str, offset: int) -> date:
    return Period.parse(period).start + timedelta(days=offset)


class Ledger(RuleBasedStateMachine):
    engine = None  # set by the test: the backend's migrated engine

    def __init__(self):
        super().__init__()
        self.connection = self.engine.connect()
        self.outer = self.connection.begin()
        self.db = Session(
            bind=self.connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
        )
        db = self.db
        self.admin = make_person(db, "admin", "comp_admin")
        self.voters = [
            make_person(db, f, "committee", functions=[f]) for f in ("finance", "revops")
        ]
        self.desk = make_person(db, "desk", "deal_desk")
        self.lead = make_person(db, "lead", "deal_desk")
        self.rate = "0.06"
        activate_plan(db, text=PLAN.format(rate=self.rate), effective=date(2025, 1, 1))
        people = [
            {"id": p, "assignments": [{"plan": "ledger-plan", "start": "2025-01-01"}]}
            for p in PEOPLE
        ]
        import_data(db, {"participants": people, "fx": {"EUR/USD": "1.08"}}, source="ledger")
        db.commit()
        self.deals: dict[str, dict] = {}
        self.version = 0  # the data's version: +1 on every change
        self.built: dict[int, int] = {}  # run id -> the data version of its last build
        self.lock_order: dict[int, int] = {}  # run id -> its place in the lock sequence
        self.engine_at: dict[int, dict] = {}  # data version -> engine positions per period
        self.broken = False  # the invariant failed: no settling then

    def teardown(self):
        self.db.close()
        self.outer.rollback()
        self.connection.close()

    # ------------------------------------------------------------------ data changes

    def _changed(self, do) -> None:
        try:
            do()
        except GovernanceError:
            self.db.rollback()
            return
        self.db.commit()
        self.version += 1

    @rule(
        owner=st.sampled_from(PEOPLE),
        period=st.sampled_from(PERIODS),
        amount=st.integers(1, 40).map(lambda n: n * 1000),
        new=st.booleans(),
        currency=st.sampled_from(["USD", "EUR"]),
    )
    def add_deal(self, owner, period, amount, new, currency):
        deal = {
            "id": f"D-{len(self.deals) + 1}",
            "type": "new" if new else "renewal",
            "amount": str(amount),
            "currency": currency,
            "close_date": _day(period, 20).isoformat(),
            "owner": owner,
        }
        self.deals[deal["id"]] = deal
        self._changed(lambda: import_data(self.db, {"deals": [deal]}, source="ledger"))

    @precondition(lambda self: self.deals)
    @rule(data=st.data(), amount=st.integers(1, 40).map(lambda n: n * 1000 + 500))
    def correct_deal(self, data, amount):
        deal = self.deals[data.draw(st.sampled_from(sorted(self.deals)))]
        deal["amount"] = str(amount)
        self._changed(lambda: import_data(self.db, {"deals": [deal]}, source="ledger"))

    @precondition(lambda self: self.deals)
    @rule(data=st.data(), days=st.integers(10, 150))
    def cancel_deal(self, data, days):
        deal = self.deals[data.draw(st.sampled_from(sorted(self.deals)))]
        day = date.fromisoformat(deal["close_date"]) + timedelta(days=days)
        event = {"deal": deal["id"], "kind": "cancellation", "date": day.isoformat()}
        self._changed(lambda: import_data(self.db, {"events": [event]}, source="ledger"))

    @rule(
        who=st.sampled_from(PEOPLE),
        period=st.sampled_from(PERIODS),
        amount=st.sampled_from(["450.00", "-120.00", "75.50"]),
    )
    def approve_adjustment_exception(self, who, period, amount):
        fields = {
            "kind": "adjustment",
            "plan": "ledger-plan",
            "participant": who,
            "period": period,
            "amount": amount,
            "justification": "promised in the kickoff",
        }

        def file_and_approve():
            ex = exceptions.file_exception(self.db, self.desk, fields, today=date(2026, 1, 5))
            for voter in (self.lead, self.voters[0]):
                exceptions.cast_exception_vote(
                    self.db, voter, ex.id, decision="approve", content_hash=ex.content_hash
                )

        self._changed(file_and_approve)

    @rule(rate=st.sampled_from(["0.05", "0.06", "0.07"]))
    def activate_plan_version(self, rate):
        if rate == self.rate:
            return
        self.rate = rate
        text = PLAN.format(rate=rate)
        self._changed(lambda: activate_plan(self.db, text=text, effective=date(2025, 1, 1)))

    @rule(
        period=st.sampled_from(PERIODS),
        offset=st.sampled_from([0, 30]),
        rate=st.sampled_from(["1.05", "1.10", "1.12"]),
    )
    def change_fx(self, period, offset, rate):
        """A dated EUR/USD rate; one reaching a locked period is imported as a correction
        (the import refuses it otherwise), so later runs carry its adjustments."""
        fx = [{"pair": "EUR/USD", "rate": rate, "from": _day(period, offset).isoformat()}]
        self._changed(lambda: import_data(self.db, {"fx": fx}, source="ledger", correction=True))

    # ------------------------------------------------------------------ runs and the close

    def _holding(self, period: str) -> PayoutRun | None:
        return self.db.scalars(
            select(PayoutRun).where(
                PayoutRun.period == period, PayoutRun.state.in_(("draft", "approved", "locked"))
            )
        ).one_or_none()

    def _build(self, period: str) -> PayoutRun | None:
        try:
            run = payout_runs.start_run(self.db, self.admin, period)
        except GovernanceError:
            self.db.rollback()
            return None
        self.db.commit()
        self.built[run.id] = self.version
        return run

    @rule(period=st.sampled_from(PERIODS))
    def run_or_re_run(self, period):
        self._build(period)

    @rule(period=st.sampled_from(PERIODS))
    def reject(self, period):
        run = self._holding(period)
        if run is None or run.state != "draft":
            return
        try:
            payout_close.cast_run_vote(
                self.db,
                self.voters[1],
                run.id,
                decision="reject",
                content_hash=payout_close.run_content_hash(run),
                comment="does not tie out",
            )
        except GovernanceError:
            self.db.rollback()
            return
        self.db.commit()

    @rule(period=st.sampled_from(PERIODS))
    def discard(self, period):
        discard_run = getattr(payout_close, "discard_run", None)
        run = self._holding(period)
        if discard_run is None or run is None or run.state != "draft":
            return
        discard_run(self.db, self.admin, run.id, reason="built too early")
        self.db.commit()

    @rule(period=st.sampled_from(PERIODS))
    def close(self, period):
        self._close(period)

    def _close(self, period: str, *, rebuild: bool = False) -> bool:
        """Approve and lock the period's draft (re-run first if its data changed)."""
        run = self._holding(period)
        if run is None or run.state != "draft":
            return False
        if rebuild or self.built[run.id] != self.version:  # stale: re-run it first
            run = self._build(period)
            if run is None:
                return False
        try:
            for voter in self.voters:
                payout_close.cast_run_vote(
                    self.db,
                    voter,
                    run.id,
                    decision="approve",
                    content_hash=payout_close.run_content_hash(run),
                )
            payout_close.lock_run(self.db, self.admin, run.id)
        except GovernanceError:
            self.db.rollback()  # refused (a rejected ballot, the ledger rule): stays a draft
            return False
        self.db.commit()
        self.lock_order[run.id] = len(self.lock_order)
        self.engine_at.setdefault(self.version, self._engine())
        self._check_paid_once()
        return True

    # ------------------------------------------------------------------ the invariant

    def _engine(self) -> dict[str, dict[tuple, Decimal]]:
        """{period: {position: payable}} as `rules.evaluate` computes it today."""
        out: dict[str, dict[tuple, Decimal]] = {}
        for name in (*PERIODS, SETTLE):
            period = Period.parse(name)
            plan = plan_of(version_governing(self.db, "ledger-plan", period.end))
            in_force = exceptions.approved_exceptions(self.db, as_of=period.end)
            data = database_data(self.db, up_to=period.end, exceptions=in_force)
            paid: dict[tuple, Decimal] = defaultdict(lambda: ZERO)
            for statement in evaluate([plan], data, name)["statements"]:
                for line in statement["lines"]:
                    if line["status"] == "payable":
                        key = (statement["participant"], statement["plan"], line["deal"])
                        paid[(*key, line["kind"], line["rule"])] += D(line["amount"])
            out[name] = paid
        return out

    def _ledger(self) -> tuple[dict, dict]:
        """What locked runs paid per (period, position), and the runs that set each."""
        paid: dict[tuple, Decimal] = defaultdict(lambda: ZERO)
        setters: dict[tuple, set[int]] = defaultdict(set)
        rows = self.db.execute(
            select(PayoutLine, PayoutRun.period)
            .join(PayoutRun, PayoutRun.id == PayoutLine.run_id)
            .where(PayoutRun.state == "locked")
        )
        for line, run_period in rows:
            if line.status != "payable":
                continue
            period, kind, rule = run_period, line.kind, line.rule
            if line.adjusts_period:  # re-keyed to the position it adjusts
                step = next(s for s in line.trace if s.get("step") == "prior_period_adjustment")
                period, kind, rule = line.adjusts_period, *step["adjusts"].values()
            key = (period, line.participant_id, line.plan_key, line.deal_id, kind, rule)
            paid[key] += D(line.amount)
            setters[key].add(line.run_id)
        return paid, setters

    def _check_paid_once(self) -> None:
        paid, setters = self._ledger()
        locked = dict(
            self.db.execute(
                select(PayoutRun.period, PayoutRun.id).where(PayoutRun.state == "locked")
            ).all()
        )
        keys = set(paid)
        for period in locked:
            keys |= {(period, *k) for k in self.engine_at[self.version][period]}
        for key in keys:
            period = key[0]
            if period not in locked:
                continue
            runs = setters.get(key, set()) | {locked[period]}
            last = max(runs, key=self.lock_order.__getitem__)
            expected = self.engine_at[self.built[last]][period].get(key[1:], ZERO)
            self.broken = paid.get(key, ZERO) != expected
            assert not self.broken, (
                f"{key}: locked runs paid {paid.get(key, ZERO)}, the engine computes "
                f"{expected} (data version {self.built[last]}, set by run {last})"
            )

    @invariant()
    def no_discarded_run_pays(self):
        for run in self.db.scalars(select(PayoutRun).where(PayoutRun.state == "discarded")):
            assert run.id not in self.lock_order

    def settle(self) -> None:
        """Lock the open quarters in order, then a settling run: every locked period is
        then paid exactly what the engine computes over the final data."""
        for period in PERIODS:
            self._close(period, rebuild=True)
        assert self._build(SETTLE) is not None and self._close(SETTLE)
        paid, _setters = self._ledger()
        expected = self.engine_at[self.version]
        locked = set(self.db.scalars(select(PayoutRun.period).where(PayoutRun.state == "locked")))
        by_key: dict[tuple, Decimal] = defaultdict(lambda: ZERO)
        want: dict[tuple, Decimal] = defaultdict(lambda: ZERO)
        for (_period, who, plan, deal, _kind, rule_id), amount in paid.items():
            by_key[(who, plan, deal, rule_id)] += amount
        for period in locked:
            for (who, plan, deal, _kind, rule_id), amount in expected[period].items():
                want[(who, plan, deal, rule_id)] += amount
        for key in set(by_key) | set(want):
            assert by_key[key] == want[key], f"{key}: paid {by_key[key]}, owed {want[key]}"


class SettledLedger(Ledger):
    def teardown(self):
        try:
            if not self.broken:
                self.settle()
        finally:
            super().teardown()


def test_every_amount_is_paid_exactly_once(engine):
    SettledLedger.engine = engine
    run_state_machine_as_test(SettledLedger, settings=SETTINGS)
