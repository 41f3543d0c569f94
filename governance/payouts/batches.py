"""Participant batches of a payout run: memory bounded by a batch, not by the period.

    for batch in plan_batches(session, period.end, exceptions):
        raw = read_batch(session, batch, period.end, organisation, exceptions)
        ...  # hash, validate, evaluate, write; then drop it (payouts.inputs)

A batch is a set of participants whose slices add up to about `DEALS_PER_BATCH` deals
(and at most `PEOPLE_PER_BATCH` people); it reads only its own deals, with set-based
queries on the credit tables. How batches are formed, and why the lines are the same as
one evaluation of the whole data: docs/payout-runs.md, "Batches".
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select, union_all
from sqlalchemy.orm import Session

from governance.engine_input import among, core_rows, deal_reads, deal_records
from governance.payouts.build import exception_people
from models import Deal, DealSplit, DealTeamMember, DealTouchpoint, Participant

# About 20,000 deals (and their lines) per batch: ~100-200 MiB of input and output in
# the engine at the benchmark's shape, few enough batches that the per-batch queries
# and the deals evaluated twice (splits across batches) stay a small share of the run.
DEALS_PER_BATCH = 20_000
# People per batch, whatever their deals: bounds the statements a batch holds.
PEOPLE_PER_BATCH = 2_000


@dataclass(frozen=True)
class Batch:
    people: frozenset[str]  # whose statements this batch computes
    credited: frozenset[str]  # people, and their direct reports (manager credit)
    extra_deals: frozenset[str]  # deals that reach `people` only through an exception


def plan_batches(
    session: Session,
    up_to: date,
    exceptions: Sequence[Mapping[str, Any]],
    *,
    deals_per_batch: int | None = None,
) -> Iterator[Batch]:
    """Every participant in batches of about `deals_per_batch` deals' credits (default:
    `DEALS_PER_BATCH`, read at each call) and at most `PEOPLE_PER_BATCH` people, by id."""
    budget = deals_per_batch or DEALS_PER_BATCH
    reports: dict[str, list[str]] = defaultdict(list)
    everyone = []
    for pid, manager in session.execute(
        select(Participant.id, Participant.manager_id).order_by(Participant.id)
    ):
        everyone.append(pid)
        if manager:
            reports[manager].append(pid)
    # A deal counts once per way it names a person (owner and split partner: twice): the
    # lines it makes for them, which is the batch's work. UNION ALL, not UNION: no sort
    # of every (person, deal) pair (0.07 s against 0.21-0.34 s at 100,000 deals, PG).
    pairs = union_all(*_credit_rows(session, up_to)).subquery()
    counts = dict(
        session.execute(select(pairs.c.person, func.count()).group_by(pairs.c.person)).all()
    )
    people: list[str] = []
    size = 0
    for pid in everyone:
        own = counts.get(pid, 0) + sum(counts.get(r, 0) for r in reports.get(pid, ()))
        if people and (size + own > budget or len(people) >= PEOPLE_PER_BATCH):
            yield _batch(people, reports, exceptions)
            people, size = [], 0
        people.append(pid)
        size += own
    if people:
        yield _batch(people, reports, exceptions)


def _batch(
    people: list[str], reports: Mapping[str, list[str]], exceptions: Sequence[Mapping]
) -> Batch:
    credited = set(people)
    for pid in people:
        credited.update(reports.get(pid, ()))
    extra = {x["deal"] for x in exceptions if x.get("deal") and exception_people(x) & credited}
    return Batch(frozenset(people), frozenset(credited), frozenset(extra))


def _credit_rows(session: Session, up_to: date, people: Collection[str] | None = None):
    """One SELECT of (person, deal) per way a deal names someone (owner, split, team,
    touchpoint), for the deals closed by `up_to`; only rows naming `people` if given."""
    closed = Deal.close_date <= up_to
    stmts = []
    for model in (Deal, DealSplit, DealTeamMember, DealTouchpoint):
        if model is Deal:
            person, deal = Deal.owner_id, Deal.id
            stmt = select(person.label("person"), deal.label("deal"))
        else:
            person, deal = model.__table__.c.participant_id, model.__table__.c.deal_id
            stmt = select(person.label("person"), deal.label("deal")).join(Deal, Deal.id == deal)
        stmt = stmt.where(closed)
        if people is not None:
            stmt = stmt.where(among(session, person, people))
        stmts.append(stmt)
    return stmts


def batch_rows(
    session: Session, batch: Batch, up_to: date, execute: Callable[[Any], list] | None = None
) -> dict[str, list]:
    """The rows of the batch's reads (`engine_input.deal_reads`, by name): its deals are
    those closed by `up_to` naming one of its people or their reports (owner, split,
    team, touchpoint), or credited to them by an exception. `execute(stmt)`: the rows of
    one SELECT (`BatchReader`'s thread); by default the session's."""
    run = execute or (lambda stmt: list(core_rows(session, stmt)))
    ids = set(batch.extra_deals)
    # One query per credit table, each on its participant index (a UNION of the four,
    # filtered after, makes SQLite build the whole union for every batch).
    for stmt in _credit_rows(session, up_to, batch.credited):
        ids.update(deal for _person, deal in run(stmt))
    return {name: run(stmt) for name, stmt in deal_reads(session, up_to, ids).items()}


def read_batch(
    session: Session,
    batch: Batch,
    up_to: date,
    organisation: Mapping[str, Any],
    exceptions: Sequence[Mapping[str, Any]],
    rows: Mapping[str, list] | None = None,
) -> dict[str, Any]:
    """The section-3 input of the batch: its deals and their events, the exceptions on
    them or on no deal, and the organisation (`engine_input.organisation_json`: every
    participant, quota and FX rate, read once per run). `rows`: the batch's
    `batch_rows`, read already (no database then)."""
    part = batch_deals(session, batch, up_to, exceptions, rows)
    return with_organisation(part, organisation)


def batch_deals(
    session: Session,
    batch: Batch,
    up_to: date,
    exceptions: Sequence[Mapping[str, Any]],
    rows: Mapping[str, list] | None = None,
) -> dict[str, Any]:
    """`read_batch` without the organisation: the deals, events and exceptions."""
    deals = deal_records(rows or batch_rows(session, batch, up_to), by_id=True)
    kept = {d["id"] for d in deals["deals"]}
    return {
        "deals": deals["deals"],
        "events": deals["events"],
        "exceptions": [dict(x) for x in exceptions if not x.get("deal") or x["deal"] in kept],
    }


class BatchReader:
    """A batch's rows (`batch_rows`) read while the caller computes: on PostgreSQL by a
    thread, on the session's connection, so the server answers while the caller
    evaluates the batch before (its statements wait for a COPY in flight: psycopg runs a
    connection's statements one at a time). Elsewhere they are read when asked for.

    `start(batch)`, then `rows()` (which waits, and raises what the read raised); `join()`
    waits without raising. The caller uses the session only when no read is under way:
    between `rows()` (or `join()`) and the next `start`."""

    def __init__(self, session: Session, up_to: date):
        self.session, self.up_to = session, up_to
        self.threaded = session.get_bind().dialect.name == "postgresql"
        self._batch: Batch | None = None
        self._thread: threading.Thread | None = None
        self._rows: dict[str, list] | None = None
        self._error: BaseException | None = None

    def start(self, batch: Batch) -> None:
        self.join()
        self._batch, self._rows, self._error = batch, None, None
        if not self.threaded:
            return
        connection = self.session.connection()
        self._thread = threading.Thread(
            target=self._read, args=(batch, connection), name="batch-reader"
        )
        self._thread.start()

    def _read(self, batch: Batch, connection: Any) -> None:
        try:
            self._rows = batch_rows(
                self.session, batch, self.up_to, lambda stmt: connection.execute(stmt).all()
            )
        except BaseException as exc:  # re-raised by rows(), in the caller's thread
            self._error = exc

    def join(self) -> None:
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def rows(self) -> dict[str, list]:
        self.join()
        if self._batch is None:
            raise RuntimeError("no batch started")  # pragma: no cover - a misuse
        batch, self._batch = self._batch, None
        if not self.threaded:
            return batch_rows(self.session, batch, self.up_to)
        error, rows, self._error, self._rows = self._error, self._rows, None, None
        if error is not None:
            raise error
        return rows


def with_organisation(part: Mapping[str, Any], organisation: Mapping[str, Any]) -> dict[str, Any]:
    """The section-3 input of `batch_deals`' part and an organisation, in its key order."""
    return {
        "participants": organisation["participants"],
        "quotas": organisation["quotas"],
        "deals": part["deals"],
        "events": part["events"],
        "exceptions": part["exceptions"],
        "fx": organisation["fx"],
    }
