"""Prior-period adjustments: what a locked period would pay today, less what it paid.

    lines = compare_period("2026-Q1", persisted, today, currency_of)

`persisted` is what the locked period paid (its own lines plus the adjustments for it that
later runs already carry), `today` its engine output re-evaluated over today's data and
plan versions. Lines are compared by position (plan, participant, deal, kind, rule) on
their `payable` amounts, and each position that differs gets one `adjustment` line saying
why. Also here: reading the locked runs' lines, and folding adjustment lines into a run's
statements (`add_adjustments`, `mark_adjustments`).

How and why: docs/payout-close.md, "Prior-period adjustments".
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from governance.engine_input import among
from models.payouts import PayoutLine, PayoutRun
from rules.evaluation.numbers import plain

ZERO = Decimal("0.00")
STEP = "prior_period_adjustment"

Position = tuple[str, str, str, str, str]  # plan, participant, deal, kind, rule


@dataclass(frozen=True)
class PaidLine:
    """One persisted line of a locked period (or an earlier adjustment of it)."""

    plan: str
    participant: str
    deal: str | None
    kind: str
    rule: str | None
    amount: Decimal
    status: str
    plan_version: str | None = None
    currency: str | None = None
    credit: str | None = None
    rate: str | None = None
    trace: list = field(default_factory=list, compare=False)
    line_id: int | None = field(default=None, compare=False)  # the persisted row's id

    @property
    def position(self) -> Position:
        return (self.plan, self.participant, self.deal or "", self.kind, self.rule or "")


def adjusted_period(trace: Iterable[dict]) -> tuple[str, str, str | None] | None:
    """(period, kind, rule) a prior-period adjustment line adjusts, from its trace."""
    for step in trace or ():
        if isinstance(step, dict) and step.get("step") == STEP:
            return step["period"], step["adjusts"]["kind"], step["adjusts"]["rule"]
    return None


def today_lines(output: dict[str, Any]) -> list[PaidLine]:
    """The engine's output for a period as `PaidLine`s (amounts exact decimals)."""
    versions = {p["policy"]: p["version"] for p in output["plans"]}
    return [
        PaidLine(
            plan=st["plan"],
            participant=st["participant"],
            deal=line["deal"],
            kind=line["kind"],
            rule=line["rule"],
            amount=Decimal(line["amount"]),
            status=line["status"],
            plan_version=versions.get(st["plan"]),
            currency=st["currency"],
            credit=line.get("credit"),
            rate=line.get("rate"),
            trace=line["trace"],
        )
        for st in output["statements"]
        for line in st["lines"]
    ]


def _payable(lines: list[PaidLine]) -> Decimal:
    return sum((ln.amount for ln in lines if ln.status == "payable"), ZERO)


def _exceptions(lines: list[PaidLine]) -> set[str]:
    found = set()
    for line in lines:
        for step in line.trace or ():
            if isinstance(step, dict) and step.get("exception"):
                found.add(str(step["exception"]))
        if line.rule and line.rule.upper().startswith("EX"):  # override_split lines
            found.add(line.rule)
    return found


def _details(lines: list[PaidLine]) -> dict[tuple[str, str], str]:
    out = {}
    for line in lines:
        for step in line.trace or ():
            if isinstance(step, dict) and step.get("detail") and step.get("step") != STEP:
                out[(str(step.get("step")), str(step.get("rule")))] = str(step["detail"])
    return out


def _fx_rates(lines: list[PaidLine]) -> set[str]:
    """The FX rates the lines converted at, as "EUR/USD 1.08 (from 2026-01-01)"."""
    return {
        f"{step['pair']} {step['rate']} (from {step.get('from') or 'the beginning'})"
        for line in lines
        for step in line.trace or ()
        if isinstance(step, dict) and step.get("step") == "fx" and step.get("pair")
    }


def _one(values: set) -> str:
    values.discard(None)
    return ", ".join(sorted(map(str, values))) if values else "none"


def reasons(period: str, old: list[PaidLine], new: list[PaidLine]) -> list[str]:
    """Why a position pays differently today, in plain words (may be empty)."""
    out: list[str] = []
    plan = (old or new)[0].plan
    old_versions = {ln.plan_version for ln in old if ln.plan_version and ln.kind != "adjustment"}
    new_versions = {ln.plan_version for ln in new if ln.plan_version}
    if old_versions and new_versions and old_versions != new_versions:
        out.append(
            f"plan {plan}: version {_one(new_versions)} governs {period} now "
            f"(was {_one(old_versions)}): a new version with retroactive effect"
        )
    before, after = _exceptions(old), _exceptions(new)
    for ex in sorted(after - before):
        out.append(f"exception {ex} approved since the lock")
    for ex in sorted(before - after):
        out.append(f"exception {ex} no longer applies")
    if not old:
        out.append("a line that did not exist when the period was locked")
    elif not new:
        out.append("the line no longer exists (deal or assignment removed or changed)")
    else:
        for name in ("credit", "rate", "status"):
            was, now = (
                _one({getattr(ln, name) for ln in old}),
                _one({getattr(ln, name) for ln in new}),
            )
            if was != now:
                out.append(f"{name} {was} -> {now}")
        was_rate, now_rate = _fx_rates(old), _fx_rates(new)
        if was_rate != now_rate:
            out.append(f"FX rate changed: {_one(was_rate)} -> {_one(now_rate)}")
        was_detail, now_detail = _details(old), _details(new)
        for key in sorted(set(was_detail) | set(now_detail)):
            a, b = was_detail.get(key), now_detail.get(key)
            if a != b and key[0] != "fx":
                out.append(f"{key[0]} {key[1]}: {a or 'did not apply'} -> {b or 'does not apply'}")
    return out


def compare_period(
    period: str,
    persisted: Iterable[PaidLine],
    today: Iterable[PaidLine],
    currency_of: Callable[[str], str | None] = lambda plan: None,
) -> list[dict[str, Any]]:
    """Adjustment lines (section-5 line dicts plus plan, participant, currency) that bring
    the locked `period` from what it paid to what it would pay today; sorted."""
    was: dict[Position, list[PaidLine]] = defaultdict(list)
    now: dict[Position, list[PaidLine]] = defaultdict(list)
    for line in persisted:
        was[line.position].append(line)
    for line in today:
        now[line.position].append(line)
    out = []
    for position in sorted(set(was) | set(now)):
        old, new = was.get(position, []), now.get(position, [])
        before, after = _payable(old), _payable(new)
        if before == after:
            continue
        plan, participant, deal, kind, rule = position
        currency = next((ln.currency for ln in [*new, *old] if ln.currency), None)
        why = reasons(period, old, new)
        what = (
            f"{kind} line"
            + (f" on deal {deal}" if deal else "")
            + (f" (rule {rule})" if rule else "")
        )
        detail = (
            f"{period} is locked: its {what} paid {before:.2f}; re-evaluated with today's "
            f"data and plans it pays {after:.2f}"
        )
        amount = after - before
        out.append(
            {
                "adjusts_period": period,
                "adjusts_line_id": next((ln.line_id for ln in old if ln.line_id), None),
                "reason": "; ".join(why) or None,
                "plan_version": next((ln.plan_version for ln in new if ln.plan_version), None),
                "plan": plan,
                "participant": participant,
                "currency": currency or currency_of(plan),
                "kind": "adjustment",
                "deal": deal or None,
                "rule": rule or None,
                "share": None,
                "credit": None,
                "rate": None,
                "amount": f"{amount:.2f}",
                "status": "payable",
                "trace": [
                    {
                        "step": STEP,
                        "rule": rule or None,
                        "period": period,
                        "adjusts": {"kind": kind, "rule": rule or None},
                        "locked_line": next((ln.line_id for ln in old if ln.line_id), None),
                        "old": f"{before:.2f}",
                        "new": f"{after:.2f}",
                        "amount": f"{amount:.2f}",
                        "reasons": why,
                        "detail": detail + (": " + "; ".join(why) if why else ""),
                    }
                ],
            }
        )
    return out


def persisted_position(line: PaidLine) -> tuple[str, PaidLine] | None:
    """For a prior-period adjustment line of a later locked run: (the period it adjusts,
    the line re-keyed to the position it adjusts); None for any other line."""
    adjusted = adjusted_period(line.trace)
    if adjusted is None:
        return None
    period, kind, rule = adjusted
    return period, PaidLine(
        plan=line.plan,
        participant=line.participant,
        deal=line.deal,
        kind=kind,
        rule=rule,
        amount=line.amount,
        status=line.status,
        plan_version=None,
        currency=line.currency,
        trace=line.trace,
    )


# --------------------------------------------------------------------------- the database


def paid_line(row: PayoutLine) -> PaidLine:
    return PaidLine(
        plan=row.plan_key,
        participant=row.participant_id,
        deal=row.deal_id,
        kind=row.kind,
        rule=row.rule,
        amount=Decimal(row.amount).quantize(ZERO),
        status=row.status,
        plan_version=row.plan_version_hash,
        currency=row.currency,
        credit=None if row.credit is None else f"{Decimal(row.credit):.2f}",
        rate=None if row.rate is None else plain(Decimal(row.rate)),
        trace=row.trace,
        line_id=row.id,
    )


def locked_periods_before(session: Session, start: date) -> list[PayoutRun]:
    """The locked runs of periods that end before `start`, oldest first."""
    return list(
        session.scalars(
            select(PayoutRun)
            .where(PayoutRun.state == "locked", PayoutRun.period_end < start)
            .order_by(PayoutRun.period_start)
        )
    )


def _closed_runs():
    return select(PayoutRun.id).where(PayoutRun.state.in_(("approved", "locked")))


def carried_people(session: Session, period: str) -> set[str]:
    """Participants with prior-period adjustments for the locked `period` carried by an
    approved or locked later run (approved ones too: they will be paid)."""
    return set(
        session.scalars(
            select(PayoutLine.participant_id)
            .where(PayoutLine.adjusts_period == period, PayoutLine.run_id.in_(_closed_runs()))
            .distinct()
        )
    )


def persisted_lines(session: Session, run: PayoutRun, people: Iterable[str]) -> list[PaidLine]:
    """What the locked `run` paid `people`, as persisted: its own engine lines plus the
    prior-period adjustments for its period carried by approved or locked later runs
    (re-keyed to the position they adjust)."""
    out: list[PaidLine] = []
    rows = session.scalars(
        select(PayoutLine)
        .where(
            among(session, PayoutLine.participant_id, set(people)),
            or_(
                PayoutLine.run_id == run.id,
                (PayoutLine.adjusts_period == run.period) & PayoutLine.run_id.in_(_closed_runs()),
            ),
        )
        .order_by(PayoutLine.id)
    )
    for row in rows:
        line = paid_line(row)
        if row.adjusts_period is None:
            if row.run_id == run.id:
                out.append(line)
            continue
        moved = persisted_position(line)
        if moved is not None and moved[0] == run.period:
            out.append(moved[1])
    return out


LINE_KEYS = ("kind", "deal", "rule", "share", "credit", "rate", "amount", "status", "trace")


def add_adjustments(results: dict[tuple[str, str], dict[str, Any]], lines: list[dict]) -> None:
    """Fold adjustment lines into the run's statements (`payouts.build`'s
    `evaluate_period` shape), after the engine's lines: they count in the statement's
    payable total and result hash. A participant with no statement in the period (who
    left, say) gets one holding only the adjustments."""
    for line in lines:
        slot = (line["participant"], line["plan"])
        st = results.get(slot)
        version = line["plan_version"] or (st or {}).get("version") or ""
        if st is None:
            st = results[slot] = {
                "participant": line["participant"],
                "plan": line["plan"],
                "currency": line["currency"],
                "quota": None,
                "credited": "0.00",
                "attainment": None,
                "payable": "0.00",
                "held": "0.00",
                "draw_balance": "0.00",
                "lines": [],
                "version": version,
            }
        st["lines"].append({key: line[key] for key in LINE_KEYS} | {"version": version})


def mark_adjustments(session: Session, run: PayoutRun) -> int:
    """Fill `adjusts_period`, `adjusts_line_id` and `reason` of the run's prior-period
    adjustment lines from their trace (the build writes lines generically); returns how
    many it marked."""
    rows = session.scalars(
        select(PayoutLine).where(
            PayoutLine.run_id == run.id,
            PayoutLine.kind == "adjustment",
            PayoutLine.adjusts_period.is_(None),
        )
    )
    marked = 0
    for row in rows:
        step = next((s for s in row.trace or () if s.get("step") == STEP), None)
        if step is None:
            continue  # an `adjustment` exception's line: not a prior-period adjustment
        row.adjusts_period = step["period"]
        row.adjusts_line_id = step.get("locked_line")
        row.reason = "; ".join(step.get("reasons") or ()) or step["detail"]
        marked += 1
    session.flush()
    return marked
