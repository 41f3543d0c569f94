"""The data an exception's impact estimate needs: its affected participants' slices.

    people = affected(session, target, exceptions)   # whose lines the request can change
    data = scoped_data(session, target, exceptions)  # their deals, as a payout run batch

An exception touches one deal or one participant. Only the participants whose input
slice holds it can see their lines change: for a deal, everyone the deal credits (owner,
splits, team, touchpoints, the credits of the request and of the approved exceptions on
it) and their managers (manager credit); for an adjustment, its participant. The
estimate evaluates them over their whole slices, read as one payout run batch
(`payouts.batches.read_batch`: the same input the runs prove equal to one evaluation of
the whole data), with every other participant's plan assignments dropped (they get no
statement, as in `payouts.build.subset`). The deals that set the data's first and last
day (earliest and latest close, latest event) are read too, assigned to nobody, so the
engine evaluates the same periods as over the whole data.
Why and what differs from the whole simulation: docs/exceptions.md, "Estimated impact".
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date
from typing import Any

from sqlalchemy import and_, func, or_, select, tuple_
from sqlalchemy.orm import Session

from governance.engine_input import organisation_json
from governance.exceptions.fields import Target
from governance.payouts.batches import Batch, read_batch
from governance.payouts.build import exception_people
from models import Deal, DealSplit, DealTeamMember, DealTouchpoint, Participant
from models.deals import DealEvent
from rules.data import load_data
from rules.model import Data
from rules.problems import InvalidData, Problem

_INDEXED = re.compile(r"^\$\.(deals|events|exceptions)\[(\d+)\]")

ALL_DAYS = date.max  # the estimate reads every deal and event, as `database_data` does


def affected(session: Session, target: Target, exceptions: Sequence[Mapping[str, Any]]) -> set[str]:
    """The participants whose lines the request can change (and those it names)."""
    people = set(target.named)
    if target.participant_id and not target.deal_id:
        return people | {target.participant_id}
    deal = target.deal_id
    people.add(session.scalar(select(Deal.owner_id).where(Deal.id == deal)))
    for model in (DealSplit, DealTeamMember, DealTouchpoint):
        table = model.__table__
        people.update(
            session.scalars(select(table.c.participant_id).where(table.c.deal_id == deal))
        )
    for x in exceptions:
        if x.get("deal") == deal:
            people |= exception_people(x)
    people.discard(None)
    managers = session.scalars(
        select(Participant.manager_id).where(
            Participant.id.in_(sorted(people)), Participant.manager_id.is_not(None)
        )
    )
    return people | set(managers)


def _reports(session: Session, people: set[str]) -> set[str]:
    """`people` and their direct reports (whose deals credit a manager)."""
    reports = session.scalars(
        select(Participant.id).where(Participant.manager_id.in_(sorted(people)))
    )
    return people | set(reports)


def _horizon(session: Session) -> set[str]:
    """The deals that set the data's first and last day for the engine."""
    ids = {
        session.scalar(select(Deal.id).order_by(Deal.close_date, Deal.id).limit(1)),
        session.scalar(select(Deal.id).order_by(Deal.close_date.desc(), Deal.id).limit(1)),
        session.scalar(
            select(DealEvent.deal_id).order_by(DealEvent.event_date.desc(), DealEvent.id).limit(1)
        ),
    }
    ids.discard(None)
    return ids


def scoped_data(
    session: Session, target: Target, exceptions: Sequence[Mapping[str, Any]]
) -> tuple[Data, set[str]]:
    """(the engine's data for the affected participants, who they are); raises
    `InvalidData` as `database_data` does (for the data read)."""
    people = affected(session, target, exceptions)
    credited = _reports(session, people)
    extra = {x["deal"] for x in exceptions if x.get("deal") and exception_people(x) & credited}
    batch = Batch(frozenset(people), frozenset(credited), frozenset(extra | _horizon(session)))
    raw = read_batch(session, batch, ALL_DAYS, organisation_json(session), exceptions)
    try:
        data = load_data(raw)
    except InvalidData as exc:
        raise InvalidData(_whole_paths(session, exc.problems, raw, exceptions)) from None
    participants = tuple(
        p if p.id in people or not p.assignments else replace(p, assignments=())
        for p in data.participants
    )
    return replace(data, participants=participants), people


def _whole_paths(
    session: Session,
    problems: Sequence[Problem],
    raw: Mapping[str, Any],
    exceptions: Sequence[Mapping[str, Any]],
) -> list[Problem]:
    """The data's problems located as over the whole data: a deal's, event's or
    exception's position in the whole lists (`database_json`'s orders), not in the
    scoped ones (participants, quotas and FX are read whole already)."""
    out = []
    for problem in problems:
        match = _INDEXED.match(problem.path)
        if match:
            section, index = match.group(1), int(match.group(2))
            item = raw[section][index]
            whole = _position(session, section, item, exceptions)
            problem = replace(problem, path=f"$.{section}[{whole}]{problem.path[match.end() :]}")
        out.append(problem)
    return out


def _position(
    session: Session, section: str, item: Mapping[str, Any], exceptions: Sequence[Mapping]
) -> int:
    if section == "exceptions":
        return next(n for n, x in enumerate(exceptions) if x.get("id") == item.get("id"))
    if section == "deals":
        day = date.fromisoformat(item["close_date"])
        earlier = or_(Deal.close_date < day, and_(Deal.close_date == day, Deal.id < item["id"]))
        return session.scalar(select(func.count()).select_from(Deal).where(earlier)) or 0
    key = (item["deal"], date.fromisoformat(item["date"]), item["kind"])
    columns = tuple_(DealEvent.deal_id, DealEvent.event_date, DealEvent.kind)
    stmt = select(func.count()).select_from(DealEvent).where(columns < tuple_(*key))
    return session.scalar(stmt) or 0
