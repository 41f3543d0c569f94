"""A deal as the deal desk sees it: its facts, the lines it produced in the latest run,
what held, reduced or blocked each line (the gate), and the gates and clawbacks of the
plan versions that govern it (the filing form's select lists: no typed ids).

    view = deal_view(session, actor, "D-2")     # data.read; NotFound for no such deal

The effects are read from each line's stored trace (the engine's own record of which
gate matched and what it did), not worked out again here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from governance.errors import NotFound
from governance.permissions import Actor, require
from governance.plans import lookup as plans
from models import Assignment, Deal, Participant, PayoutLine, PayoutRun
from models.payouts import HOLDING_STATES

PERMISSION = "data.read"


@dataclass
class Effect:
    """One gate's doing on a line: block, reduce (by `factor`), hold (until a day)."""

    rule: str
    effect: str
    detail: str = ""
    waived_by: str | None = None


@dataclass
class DeskLine:
    line: PayoutLine
    participant_name: str | None
    effects: list[Effect] = field(default_factory=list)

    @property
    def reduced(self) -> bool:
        return any(e.effect == "reduce" and not e.waived_by for e in self.effects)


@dataclass
class PlanRules:
    """The gates and clawbacks of the version of `plan_key` governing the deal's close."""

    plan_key: str
    version_label: str | None
    gates: list[dict[str, str]] = field(default_factory=list)
    clawbacks: list[dict[str, str]] = field(default_factory=list)


@dataclass
class DealView:
    deal: Deal
    names: dict[str, str | None]
    run: PayoutRun | None
    lines: list[DeskLine]
    plans: list[PlanRules]


def effects_of(trace: list[Any]) -> list[Effect]:
    """The gate steps of a line's trace that did something (or were waived)."""
    out = []
    for step in trace or ():
        if not isinstance(step, dict) or step.get("step") != "gate" or not step.get("rule"):
            continue
        effect = str(step.get("effect", ""))
        waived = step.get("exception")
        kind = effect.split(" ", 1)[0]
        detail = step.get("detail", "")
        if kind == "reduce" and step.get("factor") is not None:
            detail = f"x {step['factor']} ({detail})"
        elif kind == "hold" and "hold_until" in step:
            detail = f"until {step['hold_until'] or 'the data supplies a date'} ({detail})"
        out.append(Effect(step["rule"], kind, detail, waived))
    return out


def latest_run(session: Session, deal_id: str) -> PayoutRun | None:
    """The newest run (draft, approved or locked) with a line of `deal_id`."""
    return session.scalar(
        select(PayoutRun)
        .where(
            PayoutRun.state.in_(HOLDING_STATES),
            PayoutRun.id.in_(select(PayoutLine.run_id).where(PayoutLine.deal_id == deal_id)),
        )
        .order_by(PayoutRun.id.desc())
        .limit(1)
    )


def _plan_keys(session: Session, deal: Deal, lines: list[PayoutLine]) -> list[str]:
    """The plans the deal is paid under: its lines', else its people's on the close date."""
    keys = {line.plan_key for line in lines}
    people = {deal.owner_id, *(s.participant_id for s in deal.splits)}
    keys |= set(
        session.scalars(
            select(Assignment.plan_key).where(
                Assignment.participant_id.in_(people),
                Assignment.start_date <= deal.close_date,
                (Assignment.end_date.is_(None)) | (Assignment.end_date >= deal.close_date),
            )
        )
    )
    return sorted(keys)


def plan_rules(session: Session, deal: Deal, keys: list[str]) -> list[PlanRules]:
    out = []
    for key in keys:
        version = plans.version_governing(session, key, deal.close_date)
        if version is None:
            out.append(PlanRules(key, None))
            continue
        plan = plans.plan_of(version)
        gates = [
            {"id": g.id, "effect": g.effect.kind, "when": g.when.text if g.when else "always"}
            for g in plan.gates
        ]
        clawbacks = [{"id": c.id, "triggers": ", ".join(c.triggers)} for c in plan.clawbacks]
        out.append(PlanRules(key, version.label, gates, clawbacks))
    return out


def deal_view(session: Session, actor: Actor, deal_id: str) -> DealView:
    require(actor, PERMISSION, "Reading deals")
    deal = session.get(Deal, deal_id)
    if deal is None:
        raise NotFound(f"No deal {deal_id!r}.")
    run = latest_run(session, deal_id)
    lines: list[PayoutLine] = []
    if run is not None:
        lines = list(
            session.scalars(
                select(PayoutLine)
                .where(PayoutLine.run_id == run.id, PayoutLine.deal_id == deal_id)
                .order_by(PayoutLine.participant_id, PayoutLine.position)
            )
        )
    people = {deal.owner_id, *(s.participant_id for s in deal.splits)}
    people |= {line.participant_id for line in lines}
    names = participant_names(session, people)
    return DealView(
        deal=deal,
        names=names,
        run=run,
        lines=[DeskLine(li, names.get(li.participant_id), effects_of(li.trace)) for li in lines],
        plans=plan_rules(session, deal, _plan_keys(session, deal, lines)),
    )


def participant_names(session: Session, ids) -> dict[str, str | None]:
    """Participant id -> name (None when the participant has none), for the ids given."""
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    rows = session.execute(
        select(Participant.id, Participant.name).where(Participant.id.in_(wanted))
    )
    return dict(rows.all())
