"""Where a rep stands: attainment against quota in the current period, with the plan's
tier bands, and payable and held per period from the statements they may read.

    rows = standing.now(session, actor, on=periods.today())     # one per plan in force
    pay = standing.pay_by_period(session, actor, year=2026)     # published statements

The current period has no statement a rep may read yet (its run is a draft, if any), so
attainment is computed by the engine now, over the rep's own slice of the data read as a
payout run reads one batch (`rep_data`), with the plan version governing `on`. Only the
rep's position (quota, credited, attainment, tier) is shown, never the period's payable:
that is the draft statement's number, which reps do not see (docs/decisions.md, "Rep
home and the estimator").
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from governance.engine_input import organisation_json
from governance.errors import NotAllowed
from governance.exceptions.workflow import approved_exceptions
from governance.payouts.batches import Batch, batch_deals, with_organisation
from governance.payouts.build import exception_people
from governance.permissions import Actor
from governance.plans.lookup import plan_of, version_governing
from governance.statements.read import list_statements, may_read_statements
from models import Assignment, Participant
from rules.data import load_data
from rules.evaluate import evaluate
from rules.model import Data, Plan
from rules.period import Period
from rules.problems import EvaluationError, InvalidData


def participant_of(actor: Actor) -> str:
    """The actor's participant id; refuses someone who is not a participant or may not
    read their own statements."""
    pid = getattr(actor, "participant_id", None)
    if pid is None or not may_read_statements(actor):
        raise NotAllowed("Only a participant who reads their statements has a pay estimate.")
    return pid


def plans_on(session: Session, participant_id: str, day: date) -> list[str]:
    """The plans the participant is assigned to on `day`, by key."""
    return sorted(
        set(
            session.scalars(
                select(Assignment.plan_key).where(
                    Assignment.participant_id == participant_id,
                    Assignment.start_date <= day,
                    or_(Assignment.end_date.is_(None), Assignment.end_date >= day),
                )
            )
        )
    )


def rep_raw(session: Session, participant_id: str, period: Period) -> dict[str, Any]:
    """The section-3 input of the participant's slice up to the period's end, as a payout
    run reads the batch that holds them: their deals, their direct reports' (manager
    credit), deals an approved exception credits to them; with only the participants
    those name and their quotas (`named`), read alone, not the whole organisation."""
    exceptions = approved_exceptions(session, as_of=period.end)
    reports = set(
        session.scalars(select(Participant.id).where(Participant.manager_id == participant_id))
    )
    credited = {participant_id} | reports
    extra = {x["deal"] for x in exceptions if x.get("deal") and exception_people(x) & credited}
    batch = Batch(frozenset({participant_id}), frozenset(credited), frozenset(extra))
    part = batch_deals(session, batch, period.end, exceptions)
    manager = session.scalar(select(Participant.manager_id).where(Participant.id == participant_id))
    keep = named(part, participant_id, manager)
    organisation = organisation_json(session, up_to=period.end, people=keep)
    participants = [
        p if p["manager"] in keep else {**p, "manager": None} for p in organisation["participants"]
    ]
    return with_organisation(part, {**organisation, "participants": participants})


def named(part: dict[str, Any], participant_id: str, manager: str | None) -> set[str]:
    """The participants the slice's input keeps: the rep, their manager, everyone a
    deal or exception of `part` (`payouts.batches.batch_deals`) credits. The others get
    no statement and no line of the rep's reads them, and reading and validating them
    was most of the cost at a thousand participants. A kept participant's manager who
    is not kept reads as none (only the rep's own manager matters to the rep's lines)."""
    keep = {participant_id, manager}
    for d in part["deals"]:
        keep.add(d["owner"])
        keep.update(s["participant"] for s in d.get("splits") or ())
        keep.update(t["participant"] for t in d.get("team") or ())
        keep.update(t["participant"] for t in d.get("touchpoints") or ())
    for x in part["exceptions"]:
        keep |= exception_people(x)
    keep.discard(None)
    return keep


Slices = dict[str, Data]  # period name -> the rep's loaded data, shared within a request


def rep_data(
    session: Session, participant_id: str, period: Period, slices: Slices | None = None
) -> Data:
    """The rep's slice (`rep_raw`) validated, with only the rep's assignments kept;
    read once per period when the caller passes the same `slices` (raises
    `InvalidData`)."""
    if slices is not None and period.name in slices:
        return slices[period.name]
    data = only_for(load_data(rep_raw(session, participant_id, period)), participant_id)
    if slices is not None:
        slices[period.name] = data
    return data


def only_for(data: Data, participant_id: str) -> Data:
    """The data with every other participant's plan assignments dropped: the engine
    computes the participant's statements alone (`payouts.build.subset`)."""
    participants = tuple(
        p if p.id == participant_id or not p.assignments else replace(p, assignments=())
        for p in data.participants
    )
    return replace(data, participants=participants)


def statement_of(plan: Plan, data: Data, period: Period, participant_id: str) -> dict | None:
    """The participant's section-5 statement under `plan` in `period` (raises
    `EvaluationError`), or None when the engine gives them none."""
    output = evaluate([plan], data, period.name)
    return next((s for s in output["statements"] if s["participant"] == participant_id), None)


@dataclass(frozen=True)
class Band:
    """One tier band of the plan: [lower, upper) on its basis; upper None on the last."""

    id: str
    lower: Decimal
    upper: Decimal | None


@dataclass(frozen=True)
class Standing:
    """A rep's position under one plan in a period, as the engine computes it now."""

    plan: str
    version: str  # the governing version's label, e.g. "ae-plan/2"
    period: str
    currency: str
    basis: str  # "attainment" (bands are ratios of quota), "credited" (money), "" (none)
    bands: tuple[Band, ...]
    quota: Decimal | None = None
    credited: Decimal | None = None
    attainment: Decimal | None = None
    problem: str | None = None  # why the engine could not tell (then no numbers)

    @property
    def scale(self) -> tuple[Band, ...]:
        """The bands the rep is placed on: the plan's, or to quota and over it."""
        return self.bands or QUOTA_BANDS

    @property
    def on_credit(self) -> bool:
        """Whether the scale is credited money (tiers on `credited`), not attainment."""
        return self.basis == "credited"

    @property
    def position(self) -> Decimal | None:
        """Where the rep is on the scale."""
        return self.credited if self.on_credit else self.attainment

    @property
    def tier(self) -> Band | None:
        return band_at(self.scale, self.position)

    @property
    def next_band(self) -> Band | None:
        tier = self.tier
        later = [b for b in self.scale if tier is not None and b.lower > tier.lower]
        return later[0] if later else None

    @property
    def to_next(self) -> Decimal | None:
        """The credit still needed to reach the next band (money), if there is one."""
        nxt = self.next_band
        if nxt is None or self.credited is None:
            return None
        if self.on_credit:
            return nxt.lower - self.credited
        if self.quota is None:
            return None
        return (nxt.lower * self.quota - self.credited).quantize(Decimal("0.01"))


QUOTA_BANDS = (Band("to quota", Decimal(0), Decimal(1)), Band("over quota", Decimal(1), None))


def bands_of(plan: Plan) -> tuple[str, tuple[Band, ...]]:
    """(basis, bands) of a plan's tiers; per-deal tiers and no tiers have no gauge."""
    tiers = plan.tiers
    if tiers is None or tiers.basis == "deal":
        return "", ()
    return tiers.basis, tuple(Band(b.id, b.lower, b.upper) for b in tiers.bands)


def band_at(bands: tuple[Band, ...], position: Decimal | None) -> Band | None:
    if position is None:
        return None
    for band in bands:
        if band.lower <= position and (band.upper is None or position < band.upper):
            return band
    return None


def _dec(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


def now(
    session: Session, actor: Actor, *, on: date, slices: Slices | None = None
) -> list[Standing]:
    """The rep's standing under each plan they are assigned to on `on`, in the period of
    that plan containing `on`, with the version governing `on`."""
    pid = participant_of(actor)
    slices = {} if slices is None else slices
    out = []
    for key in plans_on(session, pid, on):
        version = version_governing(session, key, on)
        if version is None:
            continue
        plan = plan_of(version)
        period = Period.containing(on, plan.period)
        basis, bands = bands_of(plan)
        base = Standing(key, version.label, period.name, plan.currency, basis, bands)
        try:
            st = statement_of(plan, rep_data(session, pid, period, slices), period, pid)
        except (EvaluationError, InvalidData) as exc:
            out.append(replace(base, problem="; ".join(p.message for p in exc.problems[:3])))
            continue
        if st is None:
            out.append(replace(base, problem="the plan gives you no statement in this period"))
            continue
        out.append(
            replace(
                base,
                quota=_dec(st.get("quota")),
                credited=_dec(st.get("credited")),
                attainment=_dec(st.get("attainment")),
            )
        )
    return out


def pay_by_period(session: Session, actor: Actor, *, year: int) -> list[dict[str, Any]]:
    """Payable and held per period of `year` (and currency), summed over plans, from the
    statements the actor may read of their own (a rep: published runs only), oldest first."""
    pid = participant_of(actor)
    sums: dict[tuple[str, str], list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for st in list_statements(session, actor, participant=pid):
        if Period.parse(st["period"]).start.year != year:
            continue
        pair = sums[(st["period"], st["currency"])]
        pair[0] += Decimal(st["payable"])
        pair[1] += Decimal(st["held"])
    return [
        {"period": period, "currency": currency, "payable": payable, "held": held}
        for (period, currency), (payable, held) in sorted(
            sums.items(), key=lambda item: (Period.parse(item[0][0]).start, item[0][1])
        )
    ]
