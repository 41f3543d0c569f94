"""Payout runs: evaluate a period over the database and persist lines and statements.

    run = start_run(session, actor, "2026-Q3", progress=lambda done, total: ...)
    session.commit()

`start_run` evaluates the plan versions governing the period's deals, with the approved
exceptions in force at its end, batch by batch (`payouts.batches`), and writes every line
with its trace and one statement per participant and plan in the caller's transaction:
nothing shows before its commit, a failure leaves nothing. Re-running a draft rebuilds
only what changed and keeps its votes when nothing did (`payouts.build_diff`); an
approved or locked run is never re-run.

What a run evaluates, batches, re-runs and concurrency: docs/payout-runs.md.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from sqlalchemy import delete, func, select, text, tuple_
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from governance import audit, periods
from governance.bulk_insert import insert_rows
from governance.errors import Conflict, NotFound, RunRejected
from governance.paging import page
from governance.payouts import adjustments as payout_adjustments
from governance.payouts import build_diff
from governance.payouts.build import digest, statement_rows
from governance.payouts.inputs import (
    BatchInput,
    PeriodInputs,
    batch_inputs,
    evaluate_people,
    input_data_hash,
    period_inputs,
    unique,
)
from governance.payouts.recheck import adjustments_for
from governance.permissions import Actor, has_permission, require
from models import PayoutLine, PayoutRun, Statement
from models.base import utcnow
from models.payouts import HOLDING_STATES
from rules.model import Data
from rules.period import Period, PeriodError
from rules.problems import EvaluationError, Problem

OBJECT_TYPE = "payout_run"
# Statements written per `insert_rows` call: bounds the rows built at once and each
# insert's size. Participants are evaluated in batches (payouts.batches); the progress
# callback is called once per batch.
BATCH = 250

Progress = Callable[[int, int], None]


def can_read(actor: Actor) -> bool:
    return actor is None or any(
        has_permission(actor, p) for p in ("statements.read_all", "audit.read")
    )


# --------------------------------------------------------------------------- reading


def get_run(session: Session, run_id: int, *, lock: bool = False) -> PayoutRun:
    """The run; `lock`: SELECT ... FOR UPDATE, re-read (a copy in the session could be older)."""
    run = session.get(PayoutRun, run_id, with_for_update=lock or None, populate_existing=lock)
    if run is None:
        raise NotFound(f"No payout run {run_id}.")
    return run


def list_runs(
    session: Session, *, period: str | None = None, offset: int = 0, limit: int = 50
) -> tuple[list[PayoutRun], int]:
    stmt = select(PayoutRun)
    if period:
        stmt = stmt.where(PayoutRun.period == period)
    order = (PayoutRun.period_start.desc(), PayoutRun.id.desc())
    return page(session, stmt.order_by(*order), offset=offset, limit=limit)


def run_lines(
    session: Session,
    run: PayoutRun,
    *,
    participant: str | None = None,
    offset: int = 0,
    limit: int = 100,
) -> tuple[list[PayoutLine], int]:
    stmt = select(PayoutLine).where(PayoutLine.run_id == run.id)
    if participant:
        stmt = stmt.where(PayoutLine.participant_id == participant)
    order = (PayoutLine.participant_id, PayoutLine.plan_key, PayoutLine.position)
    return page(session, stmt.order_by(*order), offset=offset, limit=limit)


# --------------------------------------------------------------------------- running


def start_run(
    session: Session,
    actor: Actor,
    period: str,
    *,
    progress: Progress | None = None,
    early: bool = False,
) -> PayoutRun:
    """Build (or re-build, for a draft) the period's run; flushes, the caller commits.
    `early`: run a period that has not begun (testing a close; audited)."""
    require(actor, "payouts.run", "Starting a payout run")
    try:
        target = Period.parse(period)
    except PeriodError as exc:
        raise RunRejected("Not a period.", [Problem("period", str(exc))]) from None
    began = check_begun(target, early=early)
    _claim(session, target)
    run = session.scalars(
        select(PayoutRun)
        .where(PayoutRun.period == target.name, PayoutRun.state.in_(HOLDING_STATES))
        .with_for_update()
    ).one_or_none()
    if run is not None and run.state != "draft":
        raise Conflict(
            f"The run of {target.name} is {run.state}: it is not re-run; later changes "
            "are paid as prior-period adjustments."
        )

    known = None
    if run is not None:  # a re-run: what each participant's inputs were
        known = dict(
            session.execute(
                select(Statement.participant_id, Statement.input_hash).where(
                    Statement.run_id == run.id
                )
            ).all()
        )
    inputs, adjustments = _inputs(session, target, None if run is None else run.id)
    before = None if run is None else run.result_hash
    previous = build_diff.before_rebuild(session, run)  # what the draft was (votes...)
    if run is None:
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
        raise Conflict(f"A run of {target.name} already exists.") from None
    recomputed = _build(session, run, inputs, adjustments, known, progress)
    payout_adjustments.mark_adjustments(session, run)
    _finish(session, run, inputs, recomputed)
    if not began:
        audit.record(
            session,
            actor,
            f"{OBJECT_TYPE}.started_early",
            OBJECT_TYPE,
            run.label,
            after=run.result_hash,
            payload={
                "period": run.period,
                "period_start": target.start,
                "today": periods.today(),
                "note": "built before its period began (early close); once locked, later "
                "changes to the period are paid as its prior-period adjustments",
            },
        )
    outcome = build_diff.compare(session, run, inputs, previous)  # same content: same version
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
    build_diff.record_build(session, actor, run, inputs, outcome, entry.id)
    return run


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


def _claim(session: Session, period: Period) -> None:
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


def _inputs(
    session: Session, period: Period, run_id: int | None
) -> tuple[PeriodInputs, dict[str, list[dict]]]:
    """The period's inputs, and the prior-period adjustment lines of each participant."""
    inputs = period_inputs(session, period)
    if not inputs.versions:
        raise RunRejected(
            f"No plan version governs {period.name}.",
            [Problem("period", f"no active plan version governs {period.name}")],
        )
    try:
        # The close: locked earlier periods re-evaluated, differences paid here.
        lines = adjustments_for(session, period, run_id)
    except EvaluationError as exc:
        raise RunRejected(f"{period.name} cannot be evaluated.", exc.problems) from None
    adjustments: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for line in lines:
        adjustments[line["participant"]].append(line)
    return inputs, adjustments


def _build(
    session: Session,
    run: PayoutRun,
    inputs: PeriodInputs,
    adjustments: dict[str, list[dict[str, Any]]],
    known: dict[str, str] | None,
    progress: Progress | None,
) -> int:
    """Read, validate, hash, evaluate and write the run batch by batch; returns how many
    statements were written.

    `known`: on a re-run, each participant's input hash in the draft. Only participants
    whose hash differs (or who had no statement, or have or had a prior-period adjustment) are
    evaluated, over their own deals; the others' statements stay as they are, and a batch
    with none of them is not validated again (its data is what the build that wrote them
    validated). Every batch to evaluate is validated and evaluated even after one fails,
    so every problem is listed; nothing more is written once one has.
    """
    existing = {
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
    # Re-evaluated regardless of their inputs: who has adjustments now, and who carried
    # some in the draft (another run may have paid them since: `payouts.ledger`).
    also = set(adjustments) | set(
        session.scalars(
            select(PayoutLine.participant_id)
            .where(PayoutLine.run_id == run.id, PayoutLine.adjusts_period.is_not(None))
            .distinct()
        )
    )
    invalid: list[Problem] = []
    failed: list[Problem] = []
    input_hashes: dict[str, str] = {}
    recomputed = done = 0
    total = inputs.participant_count
    for item in batch_inputs(session, inputs):
        input_hashes.update(item.hashes)
        people = item.batch.people
        affected = set(people) if known is None else item.changed(known, also)
        results = {}
        if affected:  # unchanged batches were validated by the build that wrote them
            data, problems = item.load()
            invalid.extend(problems)
            if data is not None and not invalid:
                results = _evaluate(data, item, inputs, adjustments, affected, failed)
            del data
        del item  # the batch's input: read the next one without it
        if invalid or failed:
            continue
        recomputed += _write(session, run, results, input_hashes, existing, affected)
        done += len(people)
        run.progress_done = done
        if progress is not None:
            progress(done, total)
    if invalid:
        raise RunRejected("The stored data does not validate.", unique(invalid))
    if failed:
        raise RunRejected(f"{inputs.period.name} cannot be evaluated.", unique(failed))
    # Statements of participants no longer in the data.
    _delete(session, run, [slot for slot in existing if slot[0] not in input_hashes])
    run.input_data_hash = input_data_hash(inputs, input_hashes)
    return recomputed


def _evaluate(
    data: Data,
    item: BatchInput,
    inputs: PeriodInputs,
    adjustments: dict[str, list[dict[str, Any]]],
    affected: set[str],
    failed: list[Problem],
) -> dict[tuple[str, str], dict[str, Any]]:
    """The affected participants' statements, with their prior-period adjustments."""
    try:
        results = evaluate_people(data, item, affected, inputs)
    except EvaluationError as exc:
        failed.extend(exc.problems)
        return {}
    payout_adjustments.add_adjustments(
        results, [ln for p in sorted(affected) for ln in adjustments.get(p, ())]
    )
    return results


def _write(
    session: Session,
    run: PayoutRun,
    results: dict[tuple[str, str], dict[str, Any]],
    hashes: dict[str, str],
    existing: dict[tuple[str, str], tuple[str, str]],
    affected: set[str],
) -> int:
    """Write one batch's statements whose input or result changed; returns how many."""
    # Statements of re-evaluated participants that the evaluation no longer produces.
    _delete(session, run, [s for s in existing if s[0] in affected and s not in results])
    slots = sorted(results)
    written = 0
    for start in range(0, len(slots), BATCH):
        statements, lines, replaced = [], [], []
        for slot in slots[start : start + BATCH]:
            row, rows = statement_rows(run.id, slot, results[slot], hashes.get(slot[0], ""))
            old = existing.get(slot)
            if old == (row["input_hash"], row["result_hash"]):
                continue
            if old is not None:
                replaced.append(slot)
            statements.append(row)
            lines.extend(rows)
        _delete(session, run, replaced)
        insert_rows(session, Statement, statements)  # COPY on PostgreSQL
        insert_rows(session, PayoutLine, lines)
        written += len(statements)
    return written


def _delete(session: Session, run: PayoutRun, slots: list[tuple[str, str]]) -> None:
    for start in range(0, len(slots), BATCH):
        chunk = slots[start : start + BATCH]
        pairs = tuple_(PayoutLine.participant_id, PayoutLine.plan_key).in_(chunk)
        session.execute(delete(PayoutLine).where(PayoutLine.run_id == run.id, pairs))
        session.execute(
            delete(Statement).where(
                Statement.run_id == run.id,
                tuple_(Statement.participant_id, Statement.plan_key).in_(chunk),
            )
        )


def _finish(session: Session, run: PayoutRun, inputs: PeriodInputs, recomputed: int) -> None:
    hashes = session.execute(
        select(Statement.participant_id, Statement.plan_key, Statement.result_hash)
        .where(Statement.run_id == run.id)
        .order_by(Statement.participant_id, Statement.plan_key)
    ).all()
    run.result_hash = digest([list(h) for h in hashes])
    run.statement_count = len(hashes)
    run.participant_count = len({h.participant_id for h in hashes})
    run.line_count = session.scalar(
        select(func.count()).select_from(PayoutLine).where(PayoutLine.run_id == run.id)
    )
    run.deal_count = inputs.deal_count
    run.recomputed_count = recomputed
    run.finished_at = utcnow()
    session.flush()
