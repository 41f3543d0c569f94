"""Batched payout runs on both databases: a run evaluated a few participants at a time is
the run `accord evaluate` computes over the whole data, line for line and hash for hash,
and each batch reads only its own deals (and the deals an exception credits its people with).

The data is the demo organisation (five example plans: splits, teams, touchpoints,
manager roll-ups, holds, clawbacks, draws), small enough to evaluate many times.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select, update

from app.demo.generator import generate_demo_data
from app.demo.history import EXAMPLES
from app.demo.roster import PLANS
from governance.engine_input import database_data, organisation_json
from governance.errors import RunRejected
from governance.exceptions import workflow as exceptions
from governance.exceptions.workflow import approved_exceptions
from governance.imports.service import import_data
from governance.payouts import batches as payout_batches
from governance.payouts.batches import plan_batches, read_batch
from governance.payouts.build import participant_slices
from governance.payouts.runs import start_run
from governance.plans import lifecycle
from governance.plans.lookup import plan_of, version_governing
from models import Deal, PayoutLine, PayoutRun, Statement
from rules.evaluate import evaluate
from tests.integration.exception_setup import people

PERIOD = "2026-Q3"
END = date(2026, 9, 30)


@pytest.fixture
def demo(db):
    data = generate_demo_data(deals=400)
    import_data(db, {k: v for k, v in data.items() if k != "exceptions"}, source="test")
    for plan in PLANS:
        text = (EXAMPLES / f"{plan}.yaml").read_text(encoding="utf-8")
        version = lifecycle.create_draft(db, None, text, base_dir=EXAMPLES)
        lifecycle.submit(
            db, None, version.plan_key, version.number, effective_from=date(2025, 1, 1)
        )
        lifecycle.approve(db, None, version.plan_key, version.number)
        lifecycle.activate(db, None, version.plan_key, version.number)
    db.commit()
    return data


def _stored(db, run) -> dict[tuple[str, str], list[tuple]]:
    out: dict[tuple[str, str], list[tuple]] = {
        (st.participant_id, st.plan_key): []
        for st in db.scalars(select(Statement).where(Statement.run_id == run.id))
    }
    for ln in db.scalars(
        select(PayoutLine)
        .where(PayoutLine.run_id == run.id)
        .order_by(PayoutLine.participant_id, PayoutLine.plan_key, PayoutLine.position)
    ):
        out[ln.participant_id, ln.plan_key].append(
            (ln.kind, ln.deal_id, ln.status, ln.amount, ln.trace)
        )
    return out


def _discard(db, run) -> None:
    db.execute(update(PayoutRun).where(PayoutRun.id == run.id).values(state="failed"))
    db.commit()


def _approved_split_override(db, demo) -> str:
    """An approved exception crediting someone in another batch than the deal's owner."""
    ae = sorted(
        p["id"]
        for p in demo["participants"]
        if any(a["plan"] == "ae-plan" for a in p["assignments"])
    )
    deal = db.scalar(
        select(Deal)
        .where(Deal.owner_id == ae[0], Deal.close_date.between(date(2026, 7, 1), END))
        .order_by(Deal.id)
    )
    crew = people(db)
    fields = {
        "kind": "override_split",
        "plan": "ae-plan",
        "deal": deal.id,
        "credits": [
            {"participant": ae[0], "share": "0.5"},
            {"participant": ae[-1], "share": "0.5"},
        ],
        "justification": "co-sold across regions",
    }
    exc = exceptions.file_exception(db, crew["desk"], fields)
    for name in ("lead", "finance", "sales", "hr"):
        if exc.state == "submitted":
            exceptions.cast_exception_vote(
                db, crew[name], exc.id, decision="approve", content_hash=exc.content_hash
            )
    db.commit()
    assert exc.state == "approved"
    return ae[-1]


def test_a_run_in_batches_is_the_engine_over_the_whole_data(db, demo, monkeypatch):
    credited = _approved_split_override(db, demo)
    data = database_data(db, up_to=END, exceptions=approved_exceptions(db, as_of=END))
    plans = [plan_of(version_governing(db, key, END)) for key in sorted(PLANS)]
    expected = evaluate(plans, data, PERIOD)
    want = {
        (st["participant"], st["plan"]): [
            (ln["kind"], ln["deal"], ln["status"], Decimal(ln["amount"]), ln["trace"])
            for ln in st["lines"]
        ]
        for st in expected["statements"]
    }
    assert sum(len(v) for v in want.values()) > 200
    assert any("override" in str(ln[4]) for ln in want[credited, "ae-plan"])

    whole = start_run(db, None, PERIOD)  # the demo fits in one batch
    db.commit()
    assert _stored(db, whole) == want
    hashes = (whole.input_data_hash, whole.result_hash, whole.line_count)
    _discard(db, whole)

    for per_batch in (1, 60):  # a participant per batch; a few participants per batch
        monkeypatch.setattr(payout_batches, "DEALS_PER_BATCH", per_batch)
        progress: list[tuple[int, int]] = []
        run = start_run(db, None, PERIOD, progress=lambda *p, seen=progress: seen.append(p))
        db.commit()
        assert _stored(db, run) == want, per_batch
        assert (run.input_data_hash, run.result_hash, run.line_count) == hashes
        assert len(progress) > 3 and progress[-1] == (run.progress_total,) * 2
        _discard(db, run)


def test_an_incremental_re_run_in_batches_rewrites_only_the_affected(db, demo, monkeypatch):
    monkeypatch.setattr(payout_batches, "DEALS_PER_BATCH", 40)
    run = start_run(db, None, PERIOD)
    db.commit()
    split = db.scalar(
        select(Deal).where(Deal.has_splits, Deal.close_date >= date(2026, 7, 1)).order_by(Deal.id)
    )
    split.amount += Decimal("1000")
    db.commit()
    again = start_run(db, None, PERIOD)
    db.commit()
    assert again.id == run.id and 0 < again.recomputed_count < again.statement_count
    incremental = (_stored(db, again), again.input_data_hash, again.result_hash)
    _discard(db, again)
    full = start_run(db, None, PERIOD)
    db.commit()
    assert full.recomputed_count == full.statement_count
    assert (_stored(db, full), full.input_data_hash, full.result_hash) == incremental


def test_batches_cover_everyone_once_and_read_only_their_deals(db, demo):
    exceptions = approved_exceptions(db, as_of=END)
    organisation = organisation_json(db, up_to=END)
    everyone = {p["id"] for p in organisation["participants"]}
    total = db.scalar(select(func.count()).select_from(Deal).where(Deal.close_date <= END))
    batches = list(plan_batches(db, END, exceptions, deals_per_batch=60))
    assert len(batches) > 3
    seen: list[str] = []
    for batch in batches:
        seen.extend(batch.people)
        raw = read_batch(db, batch, END, organisation, exceptions)
        shared = {"period": PERIOD, "plans": {}, "fx": raw["fx"]}
        _hashes, deals_of = participant_slices(raw, shared)
        mine = set().union(*(deals_of.get(p, set()) for p in batch.people))
        # Every deal of the batch's people is read, and only deals of theirs or of their
        # reports (whose deals credit their managers).
        assert mine <= {d["id"] for d in raw["deals"]}
        assert len(raw["deals"]) < total
        if len(batch.people) > 1:
            assert len(mine) <= 60 * 2  # the budget, with the deals shared by two
    assert sorted(seen) == sorted(everyone)


def test_a_participant_above_the_budget_is_a_batch_alone(db, demo):
    batches = list(plan_batches(db, END, [], deals_per_batch=1))
    assert all(len(b.people) == 1 for b in batches)
    owners = db.execute(
        select(Deal.owner_id, func.count()).where(Deal.close_date <= END).group_by(Deal.owner_id)
    ).all()
    assert len(batches) >= len(owners)
    statements = db.scalar(select(func.count()).select_from(Statement))
    assert statements == 0  # planning batches reads, never writes


def test_invalid_stored_data_in_any_batch_is_listed_by_id_and_nothing_is_written(
    db, demo, monkeypatch
):
    monkeypatch.setattr(payout_batches, "DEALS_PER_BATCH", 1)  # a participant per batch
    deals = db.scalars(
        select(Deal).where(Deal.close_date <= END).order_by(Deal.owner_id, Deal.id)
    ).all()
    first, last = deals[0], deals[-1]
    assert first.owner_id != last.owner_id
    for deal in (first, last):
        deal.currency = "usd"  # the column takes it; the engine's data checks do not
    db.commit()
    with pytest.raises(RunRejected) as refused:
        start_run(db, None, PERIOD)
    db.rollback()
    paths = {p.path for p in refused.value.problems}
    assert {f"$.deals[id={first.id}].currency", f"$.deals[id={last.id}].currency"} <= paths
    assert len(refused.value.problems) == len(set(refused.value.problems))  # each once
    assert db.scalars(select(PayoutRun)).all() == []


def test_a_batch_read_ahead_is_the_batch_read_at_once(db, demo):
    """`BatchReader` (a thread on PostgreSQL) reads what `read_batch` reads, batch by
    batch, with the session used in between as a run uses it."""
    exceptions = approved_exceptions(db, as_of=END)
    organisation = organisation_json(db, up_to=END)
    batches = list(plan_batches(db, END, exceptions, deals_per_batch=60))
    reader = payout_batches.BatchReader(db, END)
    assert reader.threaded == (db.get_bind().dialect.name == "postgresql")
    for batch in batches:
        reader.start(batch)
        rows = reader.rows()
        assert db.scalar(select(func.count()).select_from(Deal)) > 0  # the session goes on
        ahead = read_batch(db, batch, END, organisation, exceptions, rows)
        assert ahead == read_batch(db, batch, END, organisation, exceptions)
    assert len(batches) > 3


def test_a_failed_read_ahead_is_raised_by_rows_and_leaves_the_session_usable(db, demo, monkeypatch):
    def broken(*args, **kwargs):
        raise LookupError("the read failed")

    batch = next(iter(plan_batches(db, END, [], deals_per_batch=60)))
    reader = payout_batches.BatchReader(db, END)
    monkeypatch.setattr(payout_batches, "deal_reads", broken)
    reader.start(batch)
    reader.join()  # waits, raises nothing
    with pytest.raises(LookupError, match="the read failed"):
        reader.rows()
    assert db.scalar(select(func.count()).select_from(Deal)) > 0
    monkeypatch.undo()
    reader.start(batch)  # the reader is usable again
    assert reader.rows()["deals"]
