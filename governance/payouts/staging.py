"""A fanned-out run's batches staged as typed rows, moved into the run by SQL.

    stage_batch(session, job_id, number, attempt, result)   # a batch task's transaction
    run = finalize_run(session, actor, plan, StagedRun(job_id, numbers))  # the finalizer
    discard(session, job_id)                                 # after the run's commit

A batch task writes its `BatchResult`'s statement and line rows (`statement_rows`' dicts,
which hold no run id; the job and batch numbers are added by the bulk insert's `same`)
into `payout_run_job_statements` / `payout_run_job_lines` with the bulk insert (COPY on
PostgreSQL) and its summary (people, input hashes, who was
evaluated, problems) into `payout_run_job_staged`. The finalizer moves the rows with
INSERT ... SELECT, a batch at a time in its one transaction: the values written are the
ones the batch staged, so the run's statements, lines and hashes are those
`run_steps.finalize_run` writes from the same `BatchResult`s in one process. Why:
docs/decisions.md, "Fan-out speed (issue 13)".
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import and_, delete, exists, func, insert, literal, select
from sqlalchemy.orm import Session

from governance.bulk_insert import insert_rows
from governance.errors import Conflict, RunRejected
from governance.payouts.inputs import input_data_hash, unique
from governance.payouts.run_steps import (
    BATCH,
    BatchResult,
    RunPlan,
    Slot,
    delete_statements,
    existing_statements,
)
from models import PayoutLine, PayoutRun, PayoutRunJobStaged, Statement
from models.payout_jobs import STAGED_LINES, STAGED_STATEMENTS
from models.payouts import BUILDING
from rules.problems import Problem

# Marks a summary whose rows are staged as typed rows (0018's documents held them inline).
KIND = "rows"
_KEYS = ("job_id", "number")


def plain(value: Any) -> Any:
    """`value` as plain JSON (Decimals and dates as text), key order kept."""
    return json.loads(json.dumps(value, default=str))


def summary(result: BatchResult) -> dict[str, Any]:
    """What the finalizer needs of a batch besides its rows: small (a batch's people)."""
    return plain(
        {
            "staged": KIND,
            "people": result.people,
            "hashes": result.hashes,
            "affected": result.affected,
            "invalid": [p.as_dict() for p in result.invalid],
            "failed": [p.as_dict() for p in result.failed],
        }
    )


def stage_batch(
    session: Session,
    job_id: int,
    number: int,
    attempt: int,
    result: BatchResult,
    *,
    building: int | None = None,
) -> None:
    """Write batch `number`'s result in the caller's transaction (flushes; the caller
    commits only if no other delivery staged the batch first): its rows into the staging
    tables, or, for a first build, straight into the `building` run (no reader sees it)."""
    if building is None:
        tables, same = (STAGED_STATEMENTS, STAGED_LINES), {"job_id": job_id, "number": number}
    else:
        tables, same = (Statement, PayoutLine), {"run_id": building}
    for start in range(0, len(result.rows), BATCH):
        statements, lines = [], []
        for _slot, row, rows in result.rows[start : start + BATCH]:
            statements.append(row)
            lines.extend(rows)
        insert_rows(session, tables[0], statements, same=same)  # COPY on PostgreSQL
        insert_rows(session, tables[1], lines, same=same)
    document = summary(result) | {"written": len(result.rows)}
    session.add(
        PayoutRunJobStaged(job_id=job_id, number=number, attempt=attempt, document=document)
    )
    session.flush()


def discard(session: Session, job_id: int, number: int | None = None) -> None:
    """Delete the job's staged rows and summaries (of one batch if `number`)."""
    for table in (STAGED_LINES, STAGED_STATEMENTS, PayoutRunJobStaged.__table__):
        where = [table.c.job_id == job_id]
        if number is not None:
            where.append(table.c.number == number)
        session.execute(delete(table).where(*where))


def discard_building(session: Session, run_id: int | None = None, *, period: str = "") -> int:
    """Delete a `building` run (`run_id`, or any of `period`: one whose job is gone) with
    its statements and lines: a failed or abandoned first build. A run that is no longer
    building (finalized meanwhile) is left alone. Returns how many runs were deleted."""
    where = [PayoutRun.state == BUILDING]
    where.append(PayoutRun.id == run_id if run_id is not None else PayoutRun.period == period)
    ids = list(session.scalars(select(PayoutRun.id).where(*where)))
    for model in (PayoutLine, Statement):  # explicit: SQLite may not cascade
        session.execute(delete(model).where(model.run_id.in_(ids)))
    session.execute(delete(PayoutRun).where(PayoutRun.id.in_(ids)))
    return len(ids)


class StagedRun:
    """The staged batches `numbers` of job `job_id`, as `finalize_run` writes them."""

    def __init__(self, job_id: int, numbers: list[int]) -> None:
        self.job_id, self.numbers = job_id, numbers

    def write_run(self, session: Session, run: PayoutRun, plan: RunPlan) -> int:
        """Move the staged rows into `run` (flushed, in the caller's transaction): only
        the statements whose input or result changed on a re-run of a draft, as
        `run_steps` writes them; records the journal revision and every participant's
        input hash (on an incremental plan, the unchanged ones are the draft's: `kept`).
        Returns how many statements were written; RunRejected with every batch's
        problems (nothing written) when a batch has any."""
        people, affected = set(), set()
        hashes: dict[str, str] = dict(plan.kept or {})  # incremental: the unchanged people
        invalid: list[Problem] = []
        failed: list[Problem] = []
        for number in self.numbers:
            document = self._document(session, number)
            if document is None or document.get("staged") != KIND:
                raise Conflict(
                    f"Batch {number} of job {self.job_id} has no staged result (staged by "
                    "an older version?); nothing was written. Start the run again."
                )
            people.update(document["people"])
            hashes.update(document["hashes"])
            affected.update(document["affected"])
            invalid.extend(_problem(p) for p in document["invalid"])
            failed.extend(_problem(p) for p in document["failed"])
        if invalid:
            raise RunRejected("The stored data does not validate.", unique(invalid))
        if failed:
            raise RunRejected(f"{plan.target.name} cannot be evaluated.", unique(failed))
        if plan.building is not None and run.id == plan.building:  # the batches wrote it
            written = sum(self._document(session, n).get("written", 0) for n in self.numbers)
        else:
            existing = existing_statements(session, run)
            if existing:
                self._delete_changed(session, run, existing, affected, hashes)
            written = 0
            for number in self.numbers:
                written += self._move(session, run, number, filtered=bool(existing))
        run.progress_done = plan.inputs.participant_count if plan.kept is not None else len(people)
        run.input_data_hash = input_data_hash(plan.inputs, hashes)
        run.input_revision, run.participant_hashes = plan.revision, hashes
        session.flush()
        return written

    def _document(self, session: Session, number: int) -> dict[str, Any] | None:
        return session.scalar(
            select(PayoutRunJobStaged.document).where(
                PayoutRunJobStaged.job_id == self.job_id, PayoutRunJobStaged.number == number
            )
        )

    def _delete_changed(
        self,
        session: Session,
        run: PayoutRun,
        existing: dict[Slot, tuple[str, str]],
        affected: set[str],
        hashes: dict[str, str],
    ) -> None:
        """A draft's statements that the staged rows replace, that a re-evaluated
        participant no longer has, or whose participant is no longer in the data."""
        s = STAGED_STATEMENTS.c
        staged = {
            (r[0], r[1]): (r[2], r[3])
            for r in session.execute(
                select(s.participant_id, s.plan_key, s.input_hash, s.result_hash).where(
                    s.job_id == self.job_id
                )
            )
        }
        stale = [
            slot
            for slot, old in existing.items()
            if (slot in staged and staged[slot] != old)
            or (slot[0] in affected and slot not in staged)
            or slot[0] not in hashes
        ]
        delete_statements(session, run, stale)

    def _move(self, session: Session, run: PayoutRun, number: int, *, filtered: bool) -> int:
        """INSERT ... SELECT one batch's lines, then its statements (on a re-run only
        those of slots the draft no longer holds: the unchanged ones stay)."""
        moved = 0
        for table, model, order in (
            (STAGED_LINES, PayoutLine, ("participant_id", "plan_key", "position")),
            (STAGED_STATEMENTS, Statement, ("participant_id", "plan_key")),
        ):
            names = [c.name for c in table.columns if c.name not in _KEYS]
            query = select(literal(run.id), *(table.c[n] for n in names)).where(
                table.c.job_id == self.job_id, table.c.number == number
            )
            if filtered:  # lines first: their statement's slot is still free then
                query = query.where(
                    ~exists().where(
                        and_(
                            Statement.run_id == run.id,
                            Statement.participant_id == table.c.participant_id,
                            Statement.plan_key == table.c.plan_key,
                        )
                    )
                )
            if model is Statement:  # (psycopg reports no rowcount for INSERT ... SELECT)
                moved = session.scalar(select(func.count()).select_from(query.subquery()))
            query = query.order_by(*(table.c[n] for n in order))
            session.execute(insert(model).from_select(["run_id", *names], query))
        return moved


def _problem(document: dict[str, Any]) -> Problem:
    return Problem(
        document["path"],
        document["message"],
        rule=document.get("rule"),
        position=document.get("position"),
        severity=document.get("severity", "error"),
    )
