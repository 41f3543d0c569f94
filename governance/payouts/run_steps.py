"""A payout run in three steps: plan, evaluate each batch, finalize.

    lock_period(session, target)                       # the finalizing transaction's
    plan = plan_run(session, actor, "2026-Q3")         # inputs, batches, what a re-run keeps
    results = evaluated_batches(session, plan)         # evaluate_batch of each, read ahead
    run = finalize_run(session, actor, plan, results)  # writes the run; the caller commits

`runs.start_run` composes the three in one transaction. A fanned-out run (app/fanout.py)
plans in one task, evaluates each batch in a task of its own (its `BatchResult` staged
as typed rows: `payouts.staging`), and finalizes from the staged rows in one
transaction: the same `finalize_run` writes the run, so its hashes and lines are those
of a single-process run of the same inputs. Nothing here imports Celery.
docs/payout-runs.md, "Fanned out".
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import delete, select, text, tuple_
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from governance import audit, changes, periods
from governance.bulk_insert import CopySender, insert_rows
from governance.errors import Conflict, RunRejected
from governance.payouts import adjustments as payout_adjustments
from governance.payouts import build_diff
from governance.payouts.batches import Batch, BatchReader, plan_batches
from governance.payouts.build import digest, statement_rows
from governance.payouts.inputs import (
    BatchInput,
    PeriodInputs,
    batch_input,
    changed_people,
    evaluate_people,
    input_data_hash,
    people_batches,
    period_inputs,
    unique,
)
from governance.payouts.recheck import adjustments_for
from governance.permissions import Actor, require
from models import PayoutLine, PayoutRun, Statement
from models.base import utcnow
from models.payouts import BUILDING, HOLDING_STATES
from rules.gcpause import paused_gc
from rules.period import Period, PeriodError
from rules.problems import EvaluationError, Problem

OBJECT_TYPE = "payout_run"
# Statements per `insert_rows` call: bounds the rows built at once and each insert.
BATCH = 250

Progress = Callable[[int, int], None]
Slot = tuple[str, str]
Rows = list[tuple[Slot, dict[str, Any], list[dict[str, Any]]]]  # statement and lines


@dataclass
class RunPlan:
    """What a build of `target` evaluates: its inputs, its batches and, on a re-run of
    a draft, each participant's input hash in the draft (`known`) and who is evaluated
    regardless (`also`: adjustments now or in the draft). `revision`: the change
    journal's revision read before the inputs (`governance.changes`); an incremental
    plan's batches hold only the people changed since the draft's build, and `kept` is
    every other participant's input hash as the draft recorded it."""

    target: Period
    began: bool
    inputs: PeriodInputs
    run_id: int | None = None
    run_version: int | None = None
    run_result_hash: str | None = None
    known: dict[str, str] | None = None
    also: set[str] = field(default_factory=set)
    adjustments: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    batches: list[Batch] = field(default_factory=list)
    revision: str | None = None
    kept: dict[str, str] | None = None  # None: a full pass (every batch read and hashed)
    gone: set[str] = field(default_factory=set)  # changed people no longer in the data
    draft_hashes: dict[str, str] | None = None  # the draft's participant hashes, as built
    building: int | None = None  # a fanned-out first build's `building` run (its rows)

    def draft(self) -> tuple[int | None, int | None, str | None]:
        """The draft the plan was made against (a finalizer checks it is still so)."""
        return self.run_id, self.run_version, self.run_result_hash


@dataclass
class BatchResult:
    """One batch evaluated: its people's input hashes, who was evaluated, their
    statement and line rows (`statement_rows`: no run id), and the problems found."""

    people: list[str]
    hashes: dict[str, str]
    affected: list[str]
    rows: Rows
    invalid: list[Problem] = field(default_factory=list)
    failed: list[Problem] = field(default_factory=list)


def parse_period(period: str) -> Period:
    try:
        return Period.parse(period)
    except PeriodError as exc:
        raise RunRejected("Not a period.", [Problem("period", str(exc))]) from None


def check_begun(period: Period, *, early: bool = False) -> bool:
    """Whether `period` has begun (`periods.today()`); refuses one that has not, unless
    `early` (a close tested early: the caller audits it)."""
    today = periods.today()
    if period.start <= today or early:
        return period.start <= today
    raise RunRejected(
        f"{period.name} has not begun: it starts on {period.start.isoformat()} and today is "
        f"{today.isoformat()}. A run pays a period that has begun (a comp admin may start "
        "one early to test the close: the early option, audited).",
        [Problem("period", f"{period.name} starts on {period.start.isoformat()}")],
    )


def lock_period(session: Session, period: Period) -> None:
    """Refuse at once when another transaction is building this period."""
    if session.get_bind().dialect.name == "postgresql":
        key = int.from_bytes(hashlib.sha256(f"payout-run:{period.name}".encode()).digest()[:8])
        key -= 1 << 63 if key >= 1 << 63 else 0  # a signed bigint
        if not session.scalar(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": key}):
            raise Conflict(f"A run of {period.name} is being built right now.")
        return
    # SQLite: take the write lock now (one writer at a time), not after the evaluation.
    try:
        session.execute(text("UPDATE payout_runs SET id = id WHERE 0 = 1"))
    except OperationalError:
        raise Conflict(f"A run of {period.name} is being built right now.") from None


def _holding_run(session: Session, target: Period, *, lock: bool) -> PayoutRun | None:
    stmt = select(PayoutRun).where(
        PayoutRun.period == target.name, PayoutRun.state.in_(HOLDING_STATES)
    )
    run = session.scalars(stmt.with_for_update() if lock else stmt).one_or_none()
    if run is not None and run.state != "draft":
        raise Conflict(
            f"The run of {target.name} is {run.state}: it is not re-run; later changes "
            "are paid as prior-period adjustments."
        )
    return run


def plan_run(
    session: Session,
    actor: Actor,
    period: str,
    *,
    early: bool = False,
    lock: bool = False,
    evaluating: bool = True,
    deals_per_batch: int | None = None,
    incremental: bool = False,
) -> RunPlan:
    """The build's plan; refuses a bad period, one not begun (unless `early`), one whose
    run is approved or locked, one no plan governs. `lock`: the draft's row FOR UPDATE
    (the finalizing transaction). `evaluating=False`: no batches and no prior-period
    adjustments (a finalizer, whose batches were evaluated already). `deals_per_batch`:
    the batches' size (`plan_batches`' default when None). `incremental`: on a re-run,
    batches of only the people the change journal says changed since the draft's build
    (a full pass when it cannot tell: `inputs.changed_people`)."""
    require(actor, "payouts.run", "Starting a payout run")
    target = parse_period(period)
    began = check_begun(target, early=early)
    run = _holding_run(session, target, lock=lock)
    revision = changes.revision(session) if evaluating else None  # before reading inputs
    inputs = period_inputs(session, target)
    if not inputs.versions:
        raise RunRejected(
            f"No plan version governs {target.name}.",
            [Problem("period", f"no active plan version governs {target.name}")],
        )
    plan = RunPlan(target, began, inputs, revision=revision)
    if run is not None:  # a re-run: what each participant's inputs were
        plan.run_id, plan.run_version, plan.run_result_hash = run.id, run.version, run.result_hash
        plan.draft_hashes = run.participant_hashes
        plan.known = dict(
            session.execute(
                select(Statement.participant_id, Statement.input_hash).where(
                    Statement.run_id == run.id
                )
            ).all()
        )
        # Who carried adjustments in the draft (another run may have paid them since).
        # Deduplicated here: with DISTINCT, SQLite read every line of the run by
        # (run_id, participant_id) instead of the few in ix_payout_lines_run_adjusting.
        plan.also = set(
            session.scalars(
                select(PayoutLine.participant_id).where(
                    PayoutLine.run_id == run.id, PayoutLine.adjusts_period.is_not(None)
                )
            )
        )
    if not evaluating:
        return plan
    try:
        # The close: locked earlier periods re-evaluated, differences paid here.
        lines = adjustments_for(session, target, plan.run_id)
    except EvaluationError as exc:
        raise RunRejected(f"{target.name} cannot be evaluated.", exc.problems) from None
    adjustments: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for line in lines:
        adjustments[line["participant"]].append(line)
    plan.adjustments = dict(adjustments)
    plan.also |= set(adjustments)
    people = None
    if incremental and plan.draft_hashes is not None:
        people = changed_people(session, run, inputs)
    if people is None:
        plan.batches = list(
            plan_batches(session, target.end, inputs.exceptions, deals_per_batch=deals_per_batch)
        )
        return plan
    people |= plan.also
    plan.batches = people_batches(session, people, inputs)
    plan.gone = people - {p for b in plan.batches for p in b.people}
    plan.kept = kept_hashes(plan.draft_hashes, plan.gone)
    return plan


def kept_hashes(draft: dict[str, str] | None, gone: Collection[str]) -> dict[str, str]:
    """An incremental plan's `kept`: the draft's participant hashes but those changed
    and gone from the data (the people evaluated again overwrite theirs)."""
    return {p: h for p, h in (draft or {}).items() if p not in gone}


@paused_gc()
def evaluate_batch(
    session: Session,
    plan: RunPlan,
    batch: Batch,
    adjustments: dict[str, list[dict[str, Any]]] | None = None,
) -> BatchResult:
    """Read, hash, validate and evaluate one batch; writes nothing. On a re-run only the
    people whose input hash changed (or in `plan.also`) are validated and evaluated: an
    unchanged batch's data is what the build that wrote its statements validated.
    `adjustments`: the batch's people's prior-period adjustment lines (default: the
    plan's). The cyclic collector is paused (rules/gcpause.py): a batch's records and rows
    hold no cycles, and collections rescanned them (2.2 of 16.7 CPU s at 100,000 deals)."""
    return evaluate_input(plan, batch_input(session, plan.inputs, batch), adjustments)


def evaluated_batches(session: Session, plan: RunPlan) -> Iterator[BatchResult]:
    """`evaluate_batch` of each of the plan's batches, each batch read before the previous
    one's result is yielded: while the caller writes that result (its lines sent by a
    `CopySender`), this evaluates the next batch, which needs no database, and a
    `BatchReader` reads the rows of the one after (on PostgreSQL, from a thread, once the
    COPY is done). No read is under way when this yields or raises. Holds two batches
    and a batch's rows at most."""
    reader = BatchReader(session, plan.inputs.period.end)
    batches = iter(plan.batches)
    batch = next(batches, None)
    if batch is not None:
        reader.start(batch)
    evaluated = None
    while batch is not None:
        item = batch_input(session, plan.inputs, batch, rows=reader.rows())
        if evaluated is not None:
            yield evaluated
        batch = next(batches, None)
        if batch is not None:
            reader.start(batch)
        try:
            evaluated = evaluate_input(plan, item)
        finally:
            reader.join()
    if evaluated is not None:
        yield evaluated


@paused_gc()
def evaluate_input(
    plan: RunPlan,
    item: BatchInput,
    adjustments: dict[str, list[dict[str, Any]]] | None = None,
) -> BatchResult:
    """`evaluate_batch` of a batch already read: no database."""
    adjustments = plan.adjustments if adjustments is None else adjustments
    people = item.batch.people
    affected = set(people) if plan.known is None else item.changed(plan.known, plan.also)
    result = BatchResult(sorted(people), dict(item.hashes), sorted(affected), [])
    if not affected:
        return result
    data, result.invalid = item.load()
    if data is None:
        return result
    try:
        statements = evaluate_people(data, item, affected, plan.inputs)
    except EvaluationError as exc:
        result.failed = list(exc.problems)
        return result
    del data
    payout_adjustments.add_adjustments(
        statements, [ln for p in sorted(affected) for ln in adjustments.get(p, ())]
    )
    for slot in sorted(statements):
        row, lines = statement_rows(slot, statements[slot], item.hashes.get(slot[0], ""))
        result.rows.append((slot, row, lines))
    return result


class Staged(Protocol):
    """Batches staged in the database (`payouts.staging.StagedRun`)."""

    def write_run(self, session: Session, run: PayoutRun, plan: RunPlan) -> int: ...


def finalize_run(
    session: Session,
    actor: Actor,
    plan: RunPlan,
    results: Iterable[BatchResult] | Staged,
    *,
    progress: Progress | None = None,
) -> PayoutRun:
    """Create (or rebuild, for a draft) the run from the batches' results (or from
    batches staged in the database), in the caller's transaction under `lock_period`;
    flushes, the caller commits. Every batch's problems are listed (RunRejected) and
    nothing is written once one has any."""
    run = _holding_run(session, plan.target, lock=True)
    found = (run.id, run.version, run.result_hash) if run else (None, None, None)
    if found != plan.draft():
        raise Conflict(
            f"The run of {plan.target.name} changed while this build was evaluated; start it again."
        )
    inputs = plan.inputs
    before = None if run is None else run.result_hash
    previous = build_diff.before_rebuild(session, run)  # what the draft was (votes...)
    if run is None and plan.building is not None:
        run = building_run(session, plan.building)
    elif run is None:
        target = plan.target
        run = PayoutRun(period=target.name, period_start=target.start, period_end=target.end)
        session.add(run)
    else:
        run.version += 1
    run.state = "draft"
    run.started_by_id = getattr(actor, "id", None)
    run.started_at = utcnow()
    run.finished_at = None
    run.plan_versions = inputs.plan_versions
    run.exceptions_hash = inputs.exceptions_hash
    run.input_data_hash = run.input_data_hash or ""  # set once every batch is hashed
    run.progress_done, run.progress_total = 0, inputs.participant_count
    try:
        session.flush()
    except IntegrityError:
        raise Conflict(f"A run of {plan.target.name} already exists.") from None
    if hasattr(results, "write_run"):
        recomputed = results.write_run(session, run, plan)
    else:
        recomputed = _write_all(session, run, plan, results, progress)
    payout_adjustments.mark_adjustments(session, run)
    _finish(session, run, inputs, recomputed)
    _audit(session, actor, run, plan, before, previous, recomputed)
    return run


def building_run(session: Session, run_id: int) -> PayoutRun:
    """The fanned-out first build's run, locked, that its batches wrote (Conflict when it
    is gone or no longer building: its job failed meanwhile)."""
    run = session.get(PayoutRun, run_id, with_for_update=True, populate_existing=True)
    if run is None or run.state != BUILDING:
        raise Conflict(f"Payout run {run_id} is no longer being built; start the run again.")
    return run


def existing_statements(session: Session, run: PayoutRun) -> dict[Slot, tuple[str, str]]:
    """{(participant, plan): (input hash, result hash)} of `run`'s statements (a draft's,
    on a re-run: what is rewritten only if changed)."""
    return {
        (r.participant_id, r.plan_key): (r.input_hash, r.result_hash)
        for r in session.execute(
            select(
                Statement.participant_id,
                Statement.plan_key,
                Statement.input_hash,
                Statement.result_hash,
            ).where(Statement.run_id == run.id)
        )
    }


def _write_all(
    session: Session,
    run: PayoutRun,
    plan: RunPlan,
    results: Iterable[BatchResult],
    progress: Progress | None,
) -> int:
    """Write each batch's statements whose input or result changed; returns how many."""
    existing = existing_statements(session, run)
    invalid: list[Problem] = []
    failed: list[Problem] = []
    input_hashes: dict[str, str] = dict(plan.kept or {})
    recomputed = done = 0
    total = plan.inputs.participant_count
    with CopySender(session) as sender:  # a batch's lines sent while the next is evaluated
        for result in results:
            input_hashes.update(result.hashes)
            invalid.extend(result.invalid)
            failed.extend(result.failed)
            if invalid or failed:
                continue
            recomputed += _write(session, run, result, existing, sender)
            done += len(result.people)
            run.progress_done = done
            if progress is not None:
                progress(done, total)
    if invalid:
        raise RunRejected("The stored data does not validate.", unique(invalid))
    if failed:
        raise RunRejected(f"{plan.target.name} cannot be evaluated.", unique(failed))
    # Statements of participants no longer in the data.
    delete_statements(session, run, [slot for slot in existing if slot[0] not in input_hashes])
    run.input_data_hash = input_data_hash(plan.inputs, input_hashes)
    run.input_revision, run.participant_hashes = plan.revision, input_hashes
    if plan.kept is not None:  # incremental: everyone else was done by the draft's build
        run.progress_done = total
    return recomputed


def _write(
    session: Session,
    run: PayoutRun,
    result: BatchResult,
    existing: dict[Slot, tuple[str, str]],
    sender: CopySender,
) -> int:
    """Write one batch's statements whose input or result changed; returns how many. Their
    lines go through `sender`: on PostgreSQL still being inserted when this returns."""
    affected = set(result.affected)
    produced = {slot for slot, _row, _lines in result.rows}
    # Statements of re-evaluated participants that the evaluation no longer produces.
    delete_statements(session, run, [s for s in existing if s[0] in affected and s not in produced])
    written = 0
    for start in range(0, len(result.rows), BATCH):
        statements, lines, replaced = [], [], []
        for slot, row, rows in result.rows[start : start + BATCH]:
            old = existing.get(slot)
            if old == (row["input_hash"], row["result_hash"]):
                continue
            if old is not None:
                replaced.append(slot)
            statements.append(row)
            lines.extend(rows)
        sender.wait()  # the previous lines in (their error raised here)
        delete_statements(session, run, replaced)
        insert_rows(session, Statement, statements, same={"run_id": run.id})  # COPY on PG
        sender.send(PayoutLine, lines, same={"run_id": run.id})
        written += len(statements)
    return written


def delete_statements(session: Session, run: PayoutRun, slots: list[Slot]) -> None:
    """Delete `run`'s statements of `slots` and their lines, kept first as the build's
    replaced ones (`build_diff.keep_replaced`)."""
    for start in range(0, len(slots), BATCH):
        chunk = slots[start : start + BATCH]
        build_diff.keep_replaced(session, run, chunk)
        pairs = tuple_(PayoutLine.participant_id, PayoutLine.plan_key).in_(chunk)
        session.execute(delete(PayoutLine).where(PayoutLine.run_id == run.id, pairs))
        session.execute(
            delete(Statement).where(
                Statement.run_id == run.id,
                tuple_(Statement.participant_id, Statement.plan_key).in_(chunk),
            )
        )


def _finish(session: Session, run: PayoutRun, inputs: PeriodInputs, recomputed: int) -> None:
    rows = session.execute(
        select(
            Statement.participant_id,
            Statement.plan_key,
            Statement.result_hash,
            Statement.line_count,
        )
        .where(Statement.run_id == run.id)
        .order_by(Statement.participant_id, Statement.plan_key)
    ).all()
    run.result_hash = digest([[r.participant_id, r.plan_key, r.result_hash] for r in rows])
    run.statement_count = len(rows)
    run.participant_count = len({r.participant_id for r in rows})
    # Each statement counts the lines written with it: counting the run's lines instead
    # read all of them (96 ms of a 0.22 s re-run on PostgreSQL at 181,824 lines).
    run.line_count = sum(r.line_count for r in rows)
    run.deal_count = inputs.deal_count
    run.recomputed_count = recomputed
    run.finished_at = utcnow()
    session.flush()


def _audit(
    session: Session,
    actor: Actor,
    run: PayoutRun,
    plan: RunPlan,
    before: str | None,
    previous: build_diff.Before | None,
    recomputed: int,
) -> None:
    if not plan.began:
        audit.record(
            session,
            actor,
            f"{OBJECT_TYPE}.started_early",
            OBJECT_TYPE,
            run.label,
            after=run.result_hash,
            payload={
                "period": run.period,
                "period_start": plan.target.start,
                "today": periods.today(),
                "note": "built before its period began (early close); once locked, later "
                "changes to the period are paid as its prior-period adjustments",
            },
        )
    outcome = build_diff.compare(session, run, plan.inputs, previous)  # same content: same version
    entry = audit.record(
        session,
        actor,
        f"{OBJECT_TYPE}.built",
        OBJECT_TYPE,
        run.label,
        before=before,
        after=run.result_hash,
        payload={
            "period": run.period,
            "version": run.version,
            "input_data_hash": run.input_data_hash,
            "plan_versions": run.plan_versions,
            "exceptions_hash": run.exceptions_hash,
            "statements": run.statement_count,
            "recomputed": recomputed,
            "lines": run.line_count,
            **outcome.payload(),
        },
    )
    build_diff.record_build(session, actor, run, plan.inputs, outcome, entry.id)
