"""Why would a plan change move one participant's pay? The committee's explanation of a
change request's winners and losers, line by line.

    why = participant_why(session, "ae-plan", 3, "ana")

The proposed version and the version it replaces (the plan's active one) are evaluated
over the database's data (`engine_input`, with the approved exceptions in force; only
what the participant's statements depend on, `participant_data`) for the most recent
period with data: the period of the plan's kind holding the latest close date up to
today of a deal naming the participant (`latest_period`). The participant's two
statements are compared with `statements.pay_changes.compare_lines`, the plan diff
naming each changed rule and field: the same explanation a rep reads for a statement.
Reads only.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select, union_all
from sqlalchemy.orm import Session

from governance.engine_input import deals_json, organisation_json
from governance.errors import NotFound
from governance.exceptions.workflow import approved_exceptions
from governance.payouts.build import exception_people
from governance.plans.change_requests import replaced_version
from governance.plans.diff import diff_documents
from governance.plans.lookup import get_version, plan_of
from governance.statements.pay_changes import compare_lines
from models import Deal
from models.deals import DealSplit, DealTeamMember, DealTouchpoint
from models.people import Participant
from rules.data import load_data
from rules.evaluate import evaluate
from rules.model import Data, Plan
from rules.period import Period
from rules.problems import EvaluationError, InvalidData


def latest_period(
    session: Session, kind: str, participant: str, today: date | None = None
) -> Period | None:
    """The period of `kind` holding the latest close date up to `today` of a deal naming
    `participant` (owner, split, team, touchpoint), else of any deal (a manager credited
    through the team), else the latest at all (data dated ahead); None: no deals."""
    day = today or date.today()
    named = [select(Deal.id).where(Deal.owner_id == participant)]
    for model in (DealSplit, DealTeamMember, DealTouchpoint):
        table = model.__table__
        named.append(select(table.c.deal_id).where(table.c.participant_id == participant))
    latest_of = select(func.max(Deal.close_date))
    latest = session.scalar(latest_of.where(Deal.close_date <= day, Deal.id.in_(union_all(*named))))
    latest = latest or session.scalar(latest_of.where(Deal.close_date <= day))
    latest = latest or session.scalar(latest_of)
    return None if latest is None else Period.containing(latest, kind)


def participant_data(session: Session, participant: str, period: Period) -> Data:
    """The engine data up to the period's end that the participant's statements depend on
    (as a payout run's batch reads it, `payouts.build.subset`): every participant, quota
    and FX rate, but only the deals naming them or their direct reports (manager credit)
    or an exception naming them, with those deals' events and exceptions; only they keep
    their plan assignments, so the engine computes no one else's statement."""
    reports = select(Participant.id).where(Participant.manager_id == participant)
    people = [participant, *session.scalars(reports)]
    named = [select(Deal.id).where(Deal.owner_id.in_(people))]
    for model in (DealSplit, DealTeamMember, DealTouchpoint):
        table = model.__table__
        named.append(select(table.c.deal_id).where(table.c.participant_id.in_(people)))
    deals = set(session.scalars(union_all(*named)))
    exceptions = approved_exceptions(session, as_of=period.end)
    deals |= {x["deal"] for x in exceptions if x.get("deal") and participant in exception_people(x)}
    kept = [
        x
        for x in exceptions
        if (x["deal"] in deals if x.get("deal") else x.get("participant") == participant)
    ]
    raw = {
        **organisation_json(session, up_to=period.end),
        **deals_json(session, up_to=period.end, ids=deals),
        "exceptions": kept,
    }
    raw["participants"] = [
        p if p["id"] == participant else {**p, "assignments": []} for p in raw["participants"]
    ]
    return load_data(raw)


def _lines(plan: Plan, data: Data, period: Period, participant: str) -> list[dict[str, Any]]:
    output = evaluate([plan], data, period.name)
    for st in output["statements"]:
        if st["participant"] == participant:
            return [{**ln, "plan": st["plan"], "currency": st["currency"]} for ln in st["lines"]]
    return []


def participant_why(
    session: Session, key: str, number: int, participant: str, *, today: date | None = None
) -> dict[str, Any]:
    """The proposed version `key/number` against the version it replaces, for one
    participant, in the most recent period with data."""
    version = get_version(session, key, number)
    person = session.get(Participant, participant)
    if person is None:
        raise NotFound(f"No participant {participant!r}.")
    old = replaced_version(session, version)
    proposed = plan_of(version)
    out: dict[str, Any] = {
        "plan": key,
        "number": number,
        "proposed": version.label,
        "replaced": old.label if old is not None else None,
        "participant": participant,
        "participant_name": person.name,
        "period": None,
        "problems": [],
    }
    period = latest_period(session, proposed.period, participant, today)
    empty = {"changes": [], "totals": [], "by_cause": [], "unchanged_lines": 0}
    if period is None:
        out["problems"] = [{"path": "deals", "message": "no deals: no period to evaluate"}]
        return {**out, **empty}
    out["period"] = period.name
    try:
        data = participant_data(session, participant, period)
        after = _lines(proposed, data, period, participant)
        before = _lines(plan_of(old), data, period, participant) if old is not None else []
    except (InvalidData, EvaluationError) as exc:
        out["problems"] = [p.as_dict() for p in exc.problems]
        return {**out, **empty}
    diff = diff_documents(plan_of(old).document if old else {}, proposed.document)
    labels = (out["replaced"] or "no active version", version.label)
    result = compare_lines(
        before, after, labels=labels, versions=(out["replaced"], version.label), plan_diff=diff
    )
    return {**out, **result.as_dict()}
