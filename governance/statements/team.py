"""A manager's team at a glance: attainment and payable per person, disputes open.

    view = team_figures(session, manager)   # None for someone who manages nobody

The team is everyone below the manager in the reporting line (`read.team_of`, the rule
the statements and disputes pages use); the period is the newest run (draft, approved
or locked) holding any of their statements, which a manager reads before it is
published (`read.sees_unpublished`). Sums are SQL aggregates; reads only.

A chart of a whole reporting line of hundreds is unreadable: past `SHOWN` people the
figures are the manager's direct reports', and at most `SHOWN` statements of them (by
name); the team's statements list has everyone.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from governance.disputes import rules as dispute_rules
from governance.engine_input import among
from governance.permissions import Actor, has_permission
from governance.statements.read import READ_TEAM, team_of
from models.disputes import OPEN_STATES
from models.payouts import HOLDING_STATES, PayoutRun, Statement
from models.people import Participant
from rules.evaluation.numbers import round_half_up

CENT = Decimal("0.01")
SHOWN = 40


def team_run(session: Session, team: set[str]) -> PayoutRun | None:
    """The newest run (by period) holding a statement of someone in `team`."""
    stmt = (
        select(PayoutRun)
        .where(
            PayoutRun.state.in_(HOLDING_STATES),
            PayoutRun.id.in_(
                select(Statement.run_id).where(among(session, Statement.participant_id, team))
            ),
        )
        .order_by(PayoutRun.period_start.desc(), PayoutRun.id.desc())
        .limit(1)
    )
    return session.scalars(stmt).first()


def attainment_rows(
    session: Session, run: PayoutRun, team: set[str], *, limit: int = SHOWN
) -> list[dict[str, Any]]:
    """Per statement of the team in `run`: who, plan, attainment (None without a quota;
    to 4 places, half-up, as a statement shows it)."""
    stmt = (
        select(Statement.participant_id, Participant.name, Statement.plan_key, Statement.attainment)
        .join(Participant, Participant.id == Statement.participant_id)
        .where(Statement.run_id == run.id, among(session, Statement.participant_id, team))
        .order_by(func.lower(Participant.name), Statement.participant_id, Statement.plan_key)
        .limit(limit)
    )
    return [
        {
            "participant": p,
            "name": name or p,
            "plan": plan,
            "attainment": None if a is None else round_half_up(Decimal(str(a)), 4),
        }
        for p, name, plan, a in session.execute(stmt)
    ]


def payable_rows(session: Session, run: PayoutRun, team: set[str]) -> list[dict[str, Any]]:
    """Per person and currency of the team in `run`: payable summed over their plans."""
    stmt = (
        select(
            Statement.participant_id,
            Participant.name,
            Statement.currency,
            func.sum(Statement.payable),
        )
        .join(Participant, Participant.id == Statement.participant_id)
        .where(Statement.run_id == run.id, among(session, Statement.participant_id, team))
        .group_by(Statement.participant_id, Participant.name, Statement.currency)
        .order_by(func.lower(Participant.name), Statement.participant_id, Statement.currency)
    )
    return [
        {
            "participant": p,
            "name": name or p,
            "currency": currency,
            "payable": Decimal(str(payable or 0)).quantize(CENT),
        }
        for p, name, currency, payable in session.execute(stmt)
    ]


def people_in_run(session: Session, run: PayoutRun, team: set[str]) -> int:
    """How many of `team` have a statement in `run`."""
    stmt = select(func.count(func.distinct(Statement.participant_id))).where(
        Statement.run_id == run.id, among(session, Statement.participant_id, team)
    )
    return session.scalar(stmt) or 0


def open_disputes(session: Session, actor: Actor) -> int:
    """Disputes open or under review on the team's lines (what the disputes list shows)."""
    visible = dispute_rules.visible(session, actor, scope="team", states=OPEN_STATES)
    return session.scalar(select(func.count()).select_from(visible.order_by(None).subquery())) or 0


def team_figures(session: Session, actor: Actor) -> dict[str, Any] | None:
    """The manager's team figures; None unless the actor reads a team and has one."""
    mine = getattr(actor, "participant_id", None)
    if mine is None or not has_permission(actor, READ_TEAM):
        return None
    team = team_of(session, mine)
    if not team:
        return None
    direct = set(session.scalars(select(Participant.id).where(Participant.manager_id == mine)))
    charted = team if len(team) <= SHOWN else direct
    run = team_run(session, team)
    attainment = attainment_rows(session, run, charted) if run else []
    shown = {r["participant"] for r in attainment}
    return {
        "team_size": len(team),
        "direct_only": charted is direct,
        "run": run,
        "people": people_in_run(session, run, charted) if run else 0,
        "shown": len(shown),
        "attainment": attainment,
        "payable": payable_rows(session, run, shown) if run else [],
        "disputes_open": open_disputes(session, actor),
    }
