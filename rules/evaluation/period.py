"""One plan, one period: tiers, gates, caps, spifs, releases, clawbacks, adjustments and
draws over the credit lines of the deals closed in the period (section 4, steps 2-7 and
"also in P"), writing what later periods need into the ledger.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from rules.evaluation import tiers as tiering
from rules.evaluation.context import CreditLine, PlanContext
from rules.evaluation.facts import field_date
from rules.evaluation.ledger import Held, Ledger, Line, Statement
from rules.evaluation.lines import credit_lines_of
from rules.evaluation.numbers import ONE, ZERO, cents, exact, money, plain, ratio_text
from rules.evaluation.settlement import draw, releases_and_clawbacks
from rules.period import Period
from rules.problems import Problem


@dataclass(slots=True)
class _Gating:
    factor: Decimal = ONE
    blocked: str | None = None
    hold: bool = False
    release: date | None = None
    hold_gates: tuple[str, ...] = ()
    trace: list = field(default_factory=list)


_NO_TRACE: list = []  # the trace of gates in replayed periods: never read, never changed
_UNGATED = _Gating(trace=_NO_TRACE)  # no gate changes the line: shared, never changed


class _Steps:
    """What steps 3-7 read from the plan on every credit line, built once per period: the
    gates and spifs with their match keys, and the trace entries that are the same on
    every line they explain (shared by those lines, as the eligibility entries are)."""

    def __init__(self, ctx: PlanContext, period: Period):
        self.period = period
        self.gates = []  # (gate id, match key, kind, factor, hold field, detail, entry)
        for gate, key, kind, factor in ctx.gates:
            detail = ctx.rule_text.get(gate.id, "no condition")
            entry = {"step": "gate", "rule": gate.id, "detail": detail, "effect": kind}
            if kind == "reduce":
                entry["factor"] = plain(factor)
            self.gates.append((gate.id, key, kind, factor, gate.effect.hold_field, detail, entry))
        self.spifs = [  # (order, spif, match key, amount)
            (index, spif, None if spif.when is None else "spif:" + spif.id, exact(spif.amount))
            for index, spif in enumerate(ctx.plan.spifs)
        ]
        self._holds: dict[tuple[str, date | None], dict] = {}
        self._releases: dict[date | None, dict] = {}

    def hold_entry(self, gate: tuple, day: date | None) -> dict:
        """The trace entry of hold gate `gate` on a line whose date is `day`."""
        key = (gate[0], day)
        entry = self._holds.get(key)
        if entry is None:
            entry = self._holds[key] = {
                **gate[6],
                "hold_until": day.isoformat() if day else None,
            }
        return entry

    def release_entry(self, release: date | None) -> dict:
        """The trace entry saying whether a line held until `release` is held in the period."""
        entry = self._releases.get(release)
        if entry is None:
            period = self.period
            if release is not None and release <= period.end:
                detail = (
                    f"release date {release} on or before the end of "
                    f"{period} ({period.end}): no hold"
                )
            elif release:
                detail = f"held until {release}"
            else:
                detail = "held until the data supplies a date"
            entry = self._releases[release] = {"step": "hold", "rule": None, "detail": detail}
        return entry


def evaluate_period(ctx: PlanContext, ledger: Ledger, period: Period) -> dict[str, Statement]:
    """Evaluate `period` for `ctx.plan`; statements keyed by participant."""
    statements: dict[str, Statement] = {}

    def statement(participant: str) -> Statement:
        if participant not in statements:
            statements[participant] = Statement(participant)
        return statements[participant]

    by_participant: dict[str, list[CreditLine]] = {}
    for lines in credit_lines_of(ctx, ctx.index.deals_in_period(period)):
        for line in lines:
            by_participant.setdefault(line.participant, []).append(line)
    steps = _Steps(ctx, period)
    for participant in sorted(by_participant):
        # Already in step-2 order (close date, deal id, rule order): deals are visited in
        # (close date, id) order and each deal's lines in rule order.
        _commission(ctx, steps, ledger, statement(participant), by_participant[participant])
    releases_and_clawbacks(ctx, ledger, period, statement)
    for ex in ctx.adjustments:
        if ex.period == period.name and ex.participant:
            amount = cents(exact(ex.amount or 0))
            statement(ex.participant).lines.append(
                Line(
                    "adjustment",
                    ex.participant,
                    amount,
                    "payable",
                    ex.id,
                    order=(ex.id,),
                    trace=[
                        {
                            "step": "exception",
                            "rule": ex.id,
                            "detail": ex.reason or "",
                            "amount": money(amount),
                        }
                    ],
                )
            )
    for participant, assignments in ctx.assignments.items():
        if any(
            a.start <= period.end and (a.end is None or a.end >= period.start) for a in assignments
        ):
            statement(participant)
    for participant in sorted(statements):
        st = statements[participant]
        if participant not in by_participant:  # no credit in P: quota still shows
            st.quota = ctx.prorated_quota(participant, period)[0]
        draw(ctx, ledger, period, st)
        st.payable = sum((ln.amount for ln in st.lines if ln.status == "payable"), ZERO)
        st.held = sum((h.amount for h in st.holds if not h.done), ZERO)
        st.draw_balance = ledger.draw_balance.get(participant, ZERO)
        if ctx.explain:  # replayed periods are never shown: their order is irrelevant
            st.lines.sort(key=Line.sort_key)
    return statements


# --------------------------------------------------------------------------- steps 2-7


def _commission(ctx, steps: _Steps, ledger, st: Statement, credit_lines: list[CreditLine]) -> None:
    plan = ctx.plan
    period = steps.period
    tiers = plan.tiers
    explain = ctx.explain
    st.credited = sum((c.credit for c in credit_lines if c.eligible), ZERO)
    st.quota, quota_detail = ctx.prorated_quota(st.participant, period)
    scale = ONE
    if tiers is not None and tiers.basis == "attainment":
        if any(c.eligible for c in credit_lines) and not st.quota:
            ctx.problems.append(
                Problem(
                    f"quotas[{st.participant}, {plan.policy}, {period}]",
                    f"{st.participant} has credit in {period} under {plan.policy}, whose "
                    "tiers measure attainment, but no quota (or quota 0)",
                )
            )
            return
        scale = st.quota or ONE
    table = tiering.bounds(tiers, scale) if tiers is not None else None
    tier_trace = None
    if tiers is not None and explain:
        quota_text = quota_detail if tiers.basis == "attainment" else None
        tier_trace = tiering.TierTrace(tiers, final=st.credited, quota=quota_text)
    cumulative = ZERO
    per_deal: dict[str, Decimal] = {}
    period_total = ZERO
    per_deal_cap, per_period_cap = ctx.per_deal_cap, ctx.per_period_cap
    for c in credit_lines:
        trace = c.trace
        line = Line(
            "commission",
            c.participant,
            ZERO,
            "payable",
            c.rule,
            c.deal.id,
            c.deal.close_date,
            c.share,
            c.credit,
            None,
            trace,
            c.order,
        )
        st.lines.append(line)
        if not c.eligible:
            line.status = "ineligible"
            continue
        exact_text = None  # ratio_text(raw) when already written
        if tiers is None:
            raw = c.credit * c.base_rate
            line.rate = c.base_rate
        else:
            priced = tiering.price(
                tiers, table, c.credit, c.base_rate, before=cumulative, final=st.credited
            )
            if tier_trace is not None:
                entries = tier_trace.entries(priced, cumulative)
                trace.extend(entries)
                if len(entries) == 1:  # its amount is the text of `priced.commission`
                    exact_text = entries[0]["amount"]
            if priced.unbanded:
                ctx.warnings.append(
                    f"{plan.policy}: deal {c.deal.id}: {ratio_text(priced.unbanded)} of "
                    f"{c.participant}'s credit falls in no tier band and earns 0"
                )
            raw = priced.commission
            line.rate = priced.rate
        cumulative += c.credit
        gating = _gates(ctx, steps, c, explain)
        if gating.factor != ONE:
            raw *= gating.factor
            exact_text = None
        amount = cents(raw)
        if explain:
            trace.extend(gating.trace)
            trace.append(
                {
                    "step": "round",
                    "rule": None,
                    "detail": "half-up to cents",
                    "exact": ratio_text(raw) if exact_text is None else exact_text,
                    "amount": money(amount),
                }
            )
        if gating.blocked:
            line.status = "blocked"
            _spifs(ctx, steps, ledger, st, c, gating)
            continue
        if per_deal_cap is not None:
            so_far = per_deal.get(c.deal.id, ZERO)
            room = per_deal_cap - so_far
            if amount > room:
                room = max(room, ZERO)
                trace.append(
                    {
                        "step": "cap",
                        "rule": "per_deal",
                        "cap": money(per_deal_cap),
                        "detail": f"earlier lines on {c.deal.id}: {money(so_far)}; "
                        f"cut {money(amount)} to {money(room)}",
                        "amount": money(room),
                    }
                )
                amount = room
            per_deal[c.deal.id] = so_far + amount
        if per_period_cap is not None:
            room = per_period_cap - period_total
            if amount > room:
                room = max(room, ZERO)
                trace.append(
                    {
                        "step": "cap",
                        "rule": "per_period",
                        "cap": money(per_period_cap),
                        "detail": f"earlier lines in {period}: {money(period_total)}; "
                        f"cut {money(amount)} to {money(room)}",
                        "amount": money(room),
                    }
                )
                amount = room
            period_total += amount
        line.amount = amount
        _settle(ledger, period, st, line, gating)
        _spifs(ctx, steps, ledger, st, c, gating)


def _gates(ctx, steps: _Steps, c: CreditLine, explain: bool) -> _Gating:
    """Every matching gate in order (the line's spifs reuse it, without the reduces). A
    line that no gate changes, with no trace to keep, gets the shared `_UNGATED`."""
    factor, blocked, holds, latest, undated = ONE, None, None, None, False
    trace = [] if explain else _NO_TRACE
    waived = ctx.waived_gates
    for gate in steps.gates:
        gate_id, key, kind, gate_factor, hold_field, detail, entry = gate
        if key is not None and key not in c.matches:
            continue
        waiver = waived.get((c.deal.id, gate_id)) if waived else None
        if waiver:
            if explain:
                effect = f"{kind} waived by {waiver}"
                trace.append(
                    {
                        "step": "gate",
                        "rule": gate_id,
                        "detail": detail,
                        "effect": effect,
                        "exception": waiver,
                    }
                )
            continue
        if kind == "block":
            blocked = blocked or gate_id
        elif kind == "reduce":
            factor *= gate_factor
        else:
            day, usable = field_date(c.facts, hold_field)
            if not usable:
                ctx.warnings.append(
                    f"{ctx.plan.policy}: deal {c.deal.id}: {hold_field} is not a "
                    f"date; gate {gate_id} holds until the data supplies one"
                )
            if holds is None:
                holds = []
            holds.append(gate_id)
            if day is None:
                undated = True
            elif latest is None or day > latest:  # the first of equal dates, as max()
                latest = day
            entry = steps.hold_entry(gate, day) if explain else None
        if explain:
            trace.append(entry)
    hold = False
    if holds is not None:
        release = None if undated else latest
        if explain:
            trace.append(steps.release_entry(release))
        hold = release is None or release > steps.period.end
    if hold:
        return _Gating(factor, blocked, True, release, tuple(holds), trace)
    if blocked or factor != ONE or trace:
        return _Gating(factor, blocked, False, None, (), trace)
    return _UNGATED


def _settle(ledger: Ledger, period: Period, st: Statement, line: Line, gating: _Gating) -> None:
    """Payable lines count as paid from the close date; held ones go to the ledger."""
    if gating.blocked:
        line.status = "blocked"
        line.amount = ZERO
    elif gating.hold:
        line.status = "held"
        held = Held(
            line.participant,
            line.deal,
            line.close_date,
            line.kind,
            line.rule,
            line.amount,
            gating.release,
            period.name,
            gating.hold_gates,
            line.order,
        )
        ledger.hold(held)
        st.holds.append(held)
    else:
        line.status = "payable"
        ledger.pay(line.participant, line.deal, line.close_date, line.amount)


def _spifs(ctx, steps: _Steps, ledger, st: Statement, c: CreditLine, gating: _Gating) -> None:
    """Spif lines of a credit line: block and hold gates apply, reduce does not (the
    line's gating settles them; its factor is not read)."""
    gates_trace = None
    for index, spif, key, spif_amount in steps.spifs:
        if key is not None and key not in c.matches:
            continue
        amount = cents(spif_amount * c.share)
        trace = []
        if ctx.explain:
            if gates_trace is None:
                reduces = ctx.reduce_gates
                gates_trace = [e for e in gating.trace if e.get("rule") not in reduces]
            trace = [
                {
                    "step": "spif",
                    "rule": spif.id,
                    "detail": ctx.rule_text.get(spif.id, "no condition"),
                    "amount": f"{spif.amount} x {ratio_text(c.share)} = {money(amount)}",
                    "credit_rule": c.rule,
                },
                *gates_trace,
            ]
        line = Line(
            "spif",
            c.participant,
            amount,
            "payable",
            spif.id,
            c.deal.id,
            c.deal.close_date,
            c.share,
            None,
            None,
            trace,
            (*c.order, index),
        )
        st.lines.append(line)
        _settle(ledger, steps.period, st, line, gating)
