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

from collections import defaultdict
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select, union_all
from sqlalchemy.orm import Session

from governance.engine_input import among, core_rows, deals_json
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


def batch_deal_ids(session: Session, batch: Batch, up_to: date) -> set[str]:
    """The ids of the batch's deals: closed by `up_to` and naming one of its people or
    their reports (owner, split, team, touchpoint), or credited to them by an exception."""
    ids = set(batch.extra_deals)
    # One query per credit table, each on its participant index (a UNION of the four,
    # filtered after, makes SQLite build the whole union for every batch).
    for stmt in _credit_rows(session, up_to, batch.credited):
        ids.update(deal for _person, deal in core_rows(session, stmt))
    return ids


def read_batch(
    session: Session,
    batch: Batch,
    up_to: date,
    organisation: Mapping[str, Any],
    exceptions: Sequence[Mapping[str, Any]],
) -> dict[str, Any]:
    """The section-3 input of the batch: its deals and their events, the exceptions on
    them or on no deal, and the organisation (`engine_input.organisation_json`: every
    participant, quota and FX rate, read once per run)."""
    return with_organisation(batch_deals(session, batch, up_to, exceptions), organisation)


def batch_deals(
    session: Session, batch: Batch, up_to: date, exceptions: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """`read_batch` without the organisation: the deals, events and exceptions."""
    deals = deals_json(session, up_to=up_to, ids=batch_deal_ids(session, batch, up_to))
    kept = {d["id"] for d in deals["deals"]}
    return {
        "deals": deals["deals"],
        "events": deals["events"],
        "exceptions": [dict(x) for x in exceptions if not x.get("deal") or x["deal"] in kept],
    }


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
