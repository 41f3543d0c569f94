"""Why would a plan change move one participant's pay? The committee's explanation of a
change request's winners and losers, line by line.

    why = participant_why(session, "ae-plan", 3, "ana")

The proposed version and the version it replaces (the plan's active one) are evaluated
over the database's data (`engine_input`, with the approved exceptions in force; only
what the participant's statements depend on, read as a payout run's batch reads it:
`reps.standing.rep_data`, the slice a rep's own standing and estimate use) for the most recent
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

from governance.errors import NotFound
from governance.plans.change_requests import replaced_version
from governance.plans.diff import diff_documents
from governance.plans.lookup import get_version, plan_of
from governance.reps.standing import rep_data, statement_of
from governance.statements.pay_changes import compare_lines
from models import Deal
from models.deals import DealSplit, DealTeamMember, DealTouchpoint
from models.people import Participant
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


def _lines(plan: Plan, data: Data, period: Period, participant: str) -> list[dict[str, Any]]:
    statement = statement_of(plan, data, period, participant)
    if statement is None:
        return []
    extra = {"plan": statement["plan"], "currency": statement["currency"]}
    return [{**line, **extra} for line in statement["lines"]]


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
        data = rep_data(session, participant, period)
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
