"""Queue, publish, sweep and retry: the one mechanism of long work on Celery.

    publish_or_503(ROWS, TASK, row_id, actor_id, unavailable=...)  # after the commit
    publish_queued(ROWS, TASK, row_id, actor_id, withdraw=False)   # False: refused
    sweep(ROWS, TASK, everything_active=...)                       # the sweep task's body
    retrying(task, ROWS, row_id, work, give_up)                    # a task's retries
    claim(...) / lock_row(...) / fail_row(...)                     # a worker's side
    with failing(ROWS, row_id, what, fail, session) as step: ...   # the failure policy

Used by payout run jobs (app/tasks/payout_runs.py), background jobs
(app/tasks/background.py) and impact simulations (app/tasks/impacts.py); each keeps
its table and its own work. Order of writes: the queued row is committed first, then
its task published; a publish the broker refuses withdraws the row (503, nothing
written) unless the caller keeps it for the sweep; a web process dying in between
leaves the row queued without `published_at`, and the sweep (every minute under beat,
and when a worker starts) publishes it again. Tasks are idempotent, so a task published
twice is harmless: a delivery `claim`s its row (attempts counted: a row whose workers
were lost MAX_ATTEMPTS times fails), then works under the row's lock (`lock_row`), so a
second delivery waits for the first and finds the row finished. The rows' bookkeeping:
governance/queueing.py.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from celery import Task
from sqlalchemy import select, text, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.exceptions import ServiceUnavailable

from app.database import begin_writing, database
from app.tasks import BrokerUnavailable, publish
from governance.errors import Conflict, GovernanceError
from governance.queueing import QueuedRows, TryLater
from models.base import utcnow
from models.engine import is_contention
from rules.problems import Problem, ProblemsError

log = logging.getLogger(__name__)
T = TypeVar("T")

# A task whose work cannot be done now (TryLater): retried this often, MAX_RETRIES times,
# then given up (its row failed visibly).
RETRY_DELAY = 15
MAX_RETRIES = 40


def publish_queued(
    rows: QueuedRows, name: str, row_id: int, actor_id: int | None, *, withdraw: bool = True
) -> bool:
    """Publish task `name` of a committed queued row; False when the broker refused it
    (the row then withdrawn if `withdraw`, else left for the sweep)."""
    sessions = database().sessionmaker
    try:
        publish(name, row_id, actor_id=actor_id)
    except BrokerUnavailable:
        if withdraw:
            rows.withdraw(sessions, row_id)
        return False
    rows.mark_published(sessions, row_id)
    return True


def publish_or_503(
    rows: QueuedRows, name: str, row_id: int, actor_id: int | None, *, unavailable: str
) -> None:
    """`publish_queued`, withdrawing the row and answering 503 (`unavailable`) when the
    broker refuses the task: nothing is left written."""
    if not publish_queued(rows, name, row_id, actor_id):
        raise ServiceUnavailable(unavailable)


def sweep(
    rows: QueuedRows,
    name: str,
    *,
    everything_active: bool = False,
    actor_of: Callable[[int], int | None] | None = None,
) -> list[int]:
    """Publish task `name` again for the rows whose task may be lost (`rows.stranded`);
    their ids. `actor_of(row_id)` gives the task's actor_id (None: the task reads it from
    its row). A broker still refusing raises BrokerUnavailable: the next sweep tries."""
    sessions = database().sessionmaker
    found = rows.stranded(sessions, everything_active=everything_active)
    for row_id in found:
        publish(name, row_id, actor_id=actor_of(row_id) if actor_of else None)
        rows.mark_published(sessions, row_id)
    if found:
        log.warning("published again: %ss %s", rows.label, found)
    return found


def retrying(
    task: Task,
    rows: QueuedRows,
    row_id: int,
    work: Callable[[], str],
    give_up: Callable[[], None],
    *,
    busy: tuple[type[Exception], ...] = (TryLater,),
) -> str:
    """`work()`'s outcome; when it raises one of `busy` (a lock or the database not to be
    had now) the task is retried in RETRY_DELAY seconds, and once its retries are spent
    `give_up()` fails the row ("failed")."""
    try:
        return work()
    except busy as exc:
        if task.request.retries >= task.max_retries:
            log.error(
                "%s %s: %s given up after %s retries",
                rows.label,
                row_id,
                task.name,
                task.request.retries,
            )
            give_up()
            return "failed"
        log.info("%s %s: %s retried in %ss (%s)", rows.label, row_id, task.name, RETRY_DELAY, exc)
        raise task.retry(countdown=RETRY_DELAY) from None


# --------------------------------------------------------------------------- claiming


def take_write_lock(session: Session) -> None:
    """SQLite: BEGIN IMMEDIATE, queuing for the write lock within the busy timeout;
    TryLater when it is still taken (another worker's transaction holds it)."""
    try:
        begin_writing(session)
    except Conflict as busy:
        raise TryLater(busy.message) from None


def claim(
    sessions: sessionmaker,
    rows: QueuedRows,
    row_id: int,
    worker: str | None,
    *,
    working: str,
    max_attempts: int,
    lose: Callable[[Session, Any], None],
    taken: Callable[[Any], T],
) -> str | T:
    """Claim a row for a task's delivery: active -> `working` (attempts + 1, worker,
    started_at), committed; `taken(row)` (read, or set more, before the commit). The
    state found when there is nothing to do; "failed" when the row was claimed
    `max_attempts` times already (`lose(session, row)` fails it: its workers were lost).
    TryLater when the write lock or the database is not to be had now."""
    try:
        with sessions() as session:
            take_write_lock(session)
            row = session.get(rows.model, row_id)
            if row is None or row.state not in rows.active:
                return row.state if row is not None else "missing"
            if row.attempts >= max_attempts:
                lose(session, row)
                session.commit()
                return "failed"
            row.state, row.attempts, row.worker = working, row.attempts + 1, worker
            row.started_at = row.started_at or utcnow()
            claimed = taken(row)
            session.commit()
            return claimed
    except OperationalError as exc:  # SQLite's write lock taken, or the database gone
        raise TryLater(str(exc.orig or exc)) from exc


def lock_row(
    session: Session, rows: QueuedRows, row_id: int, namespace: int, working: str, **touch: Any
) -> Any | None:
    """Take the row's lock for the work's transaction and read the row again under it;
    None when it is no longer `working` (another delivery finished it). PostgreSQL: an
    advisory transaction lock (`namespace`, row id), so a second delivery waits for the
    first; SQLite: the write lock (one writer), taken now by writing `touch` (default: a
    write that changes nothing)."""
    model = rows.model
    if session.get_bind().dialect.name == "postgresql":
        # Blocks while another delivery works on the row; released at commit/rollback.
        session.execute(
            text("SELECT pg_advisory_xact_lock(:ns, :id)"), {"ns": namespace, "id": row_id}
        )
    else:
        session.execute(
            update(model).where(model.id == row_id).values(**(touch or {"worker": model.worker}))
        )
    again = select(model).where(model.id == row_id).execution_options(populate_existing=True)
    row = session.scalars(again).one_or_none()
    return row if row is not None and row.state == working else None


def fail_row(
    sessions: sessionmaker, rows: QueuedRows, row_id: int, mark: Callable[[Session, Any], None]
) -> None:
    """Fail the row in a transaction of its own, if it is still active: `mark(session,
    row)` records how. TryLater when the database is busy (the task's retries come back)."""
    with sessions() as session:
        take_write_lock(session)
        row = session.get(rows.model, row_id)
        if row is None or row.state not in rows.active:
            return
        mark(session, row)
        session.commit()


def give_up(sessions: sessionmaker, rows: QueuedRows, row_id: int, mark: Callable) -> None:
    """`fail_row` once a task's retries are spent: the database still busy is logged."""
    try:
        fail_row(sessions, rows, row_id, mark)
    except TryLater:
        log.error("%s %s: could not be marked failed (database busy)", rows.label, row_id)


# --------------------------------------------------------------------------- failing


@dataclass(frozen=True)
class Failure:
    """How a step failed (`error`): `refused` (a refusal: GovernanceError or ProblemsError,
    with its `message`, None when it has none, and located `problems`; `refusal` is a
    GovernanceError's kind, for `errors.kind_named`) or not (a bug: logged, no message)."""

    refused: bool
    error: BaseException
    message: str | None = None
    problems: tuple[Problem, ...] = ()
    refusal: str | None = None


@dataclass
class Step:
    """A step `failing` guards: who its row's failure is audited as (set it once the row
    is read, if not known before); `failed` once the policy failed the row."""

    actor_id: int | None = None
    failed: bool = False


# fail(step, failure): record the row's failure, in a transaction of its own.
FailRow = Callable[[Step, Failure], None]


def busy(error: BaseException, also: tuple[type[Exception], ...] = ()) -> bool:
    """A database busy or gone (OperationalError, lock contention, `also`): worth trying
    again."""
    return isinstance(error, (OperationalError, *also)) or is_contention(error)


@contextmanager
def failing(
    rows: QueuedRows,
    row_id: int,
    what: str,
    fail: FailRow,
    session: Session | None = None,
    *,
    actor_id: int | None = None,
    busy_too: tuple[type[Exception], ...] = (),
) -> Iterator[Step]:
    """The one failure policy of a queued row's work (payout run steps, background jobs,
    impact simulations).

    `session` (the step's open transaction, if any) is rolled back first. TryLater, or a
    database busy or gone, is TryLater: the task retries (`retrying`), nothing written.
    (`busy_too`: more exceptions that mean so, e.g. `unit_of_work`'s Conflict for a write
    lock not had in time.) A refusal fails the row with its message and problems; any
    other exception is logged and fails the row as unexpected. Failing is the caller's
    `fail(step, failure)` (its table, its message for the unexpected); the exception is
    then swallowed, so the code after the `with` block runs: it returns the step's failed
    outcome (`step.failed`).
    """
    step = Step(actor_id)
    try:
        yield step
    except Exception as exc:
        if session is not None:
            session.rollback()
        if isinstance(exc, TryLater):
            raise
        if busy(exc, busy_too):
            log.warning("%s %s, %s: database busy or gone: %s", rows.label, row_id, what, exc)
            orig = getattr(exc, "orig", None)
            raise TryLater(str(orig or exc)) from exc
        step.failed = True  # a task that raised is acknowledged: fail the row, visibly
        if isinstance(exc, (GovernanceError, ProblemsError)):
            kind = type(exc).__name__ if isinstance(exc, GovernanceError) else None
            message = getattr(exc, "message", None) or None
            fail(step, Failure(True, exc, message, tuple(exc.problems), kind))
        else:
            log.exception("%s %s, %s failed", rows.label, row_id, what)
            fail(step, Failure(False, exc))
