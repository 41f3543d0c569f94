"""What else happens in a period besides new deals: releases of earlier holds, clawbacks
and forfeits on cancellation events, and the draw (top-up or recovery) after all other
lines of the statement.
"""

from __future__ import annotations

from operator import itemgetter

from rules.evaluation.clawbacks import recovery_fraction
from rules.evaluation.ledger import Ledger, Line, Statement
from rules.evaluation.numbers import ONE, ZERO, cents, exact, money, ratio_text
from rules.model import Event
from rules.period import Period

# (date, release before event, participant, deal, order): the item itself is never compared.
_HAPPENING_ORDER = itemgetter(0, 1, 2, 3, 4)


def releases_and_clawbacks(ctx, ledger: Ledger, period: Period, statement) -> None:
    """Releases and clawback events in date order: a release on the day of an event
    counts as paid by then; a line still held at the event is forfeited instead."""
    happenings: list[tuple] = []
    for held in ledger.pending_releases(period.start, period.end):
        if held.period != period.name:
            happenings.append((held.release, 0, held.participant, held.deal, held.order, held))
    for n, event in enumerate(ctx.index.events_in_period(period)):
        happenings.append((event.date, 1, "", event.deal, (n,), event))
    happenings.sort(key=_HAPPENING_ORDER)
    explain = ctx.explain
    for day, what, *_, item in happenings:
        if what == 0:
            if item.done:
                continue
            item.done = True
            ledger.pay(item.participant, item.deal, day, item.amount)
            trace = []
            if explain:  # a replayed period's lines are never shown
                trace.append(
                    {
                        "step": "release",
                        "rule": ",".join(item.gates),
                        "detail": f"{item.kind} line held in {item.period} until {day}",
                        "amount": money(item.amount),
                    }
                )
            statement(item.participant).lines.append(
                Line(
                    "release",
                    item.participant,
                    item.amount,
                    "payable",
                    item.rule,
                    item.deal,
                    item.close_date,
                    None,
                    None,
                    None,
                    trace,
                    (item.kind, *item.order),
                )
            )
        else:
            _clawback(ctx, ledger, item, statement)


def _clawback(ctx, ledger: Ledger, event: Event, statement) -> None:
    deal = ctx.index.deals.get(event.deal)
    rule = next((r for r in ctx.plan.clawbacks if event.kind in r.triggers), None)
    if deal is None or rule is None:
        return
    fraction, detail = recovery_fraction(rule, deal.close_date, event.date)
    if fraction is None:
        return
    participants = sorted(ledger.by_deal.get(deal.id, ()))
    waiver = ctx.waived_clawbacks.get((deal.id, rule.id))
    order = (event.date, event.kind)
    base_trace = {
        "step": "clawback",
        "rule": rule.id,
        "detail": f"{event.kind} on {event.date}: {detail}",
        "fraction": ratio_text(fraction),
    }
    if event.amount is not None:
        ratio = min(exact(event.amount) / exact(deal.amount), ONE) if deal.amount else ONE
        base_trace["event_amount"] = f"{event.amount} / {deal.amount} = {ratio_text(ratio)}"
    else:
        ratio = ONE

    def _line(kind: str, participant: str, amount, line_order: tuple, /, **entry) -> Line:
        """A payable clawback or forfeit line of this event, its trace the rule's entry."""
        trace = [{**base_trace, **entry}]
        return Line(
            kind,
            participant,
            amount,
            "payable",
            rule.id,
            deal=deal.id,
            close_date=deal.close_date,
            order=line_order,
            trace=trace,
        )

    for participant in participants:
        paid = ledger.paid_by(participant, deal.id, event.date)
        held = [
            h
            for h in ledger.held_by_deal.get(deal.id, ())
            if h.participant == participant and not h.done
        ]
        if paid <= 0 and not held:
            # Nothing to recover or forfeit: no line, and so no statement of its own
            # (someone whose assignment ended and who was paid nothing on the deal).
            continue
        st = statement(participant)
        if waiver:
            waived = f"{event.kind} on {event.date}: waived by {waiver}"
            st.lines.append(
                _line("clawback", participant, ZERO, order, exception=waiver, detail=waived)
            )
            continue
        if paid > 0:
            recovery = cents(paid * fraction * ratio)
            key = (participant, deal.id)
            ledger.recovered[key] = ledger.recovered.get(key, ZERO) + recovery
            exact_amount = f"-{ratio_text(paid * fraction * ratio)} rounded {money(-recovery)}"
            st.lines.append(
                _line(
                    "clawback", participant, -recovery, order, paid=money(paid), amount=exact_amount
                )
            )
        for line in held:
            line.done = True
            forfeited = (
                f"{line.kind} line of {money(line.amount)} held since {line.period} is "
                f"forfeited by {event.kind} on {event.date}; never released"
            )
            line_order = (*order, line.kind, *line.order)
            st.lines.append(_line("forfeit", participant, ZERO, line_order, detail=forfeited))


def draw(ctx, ledger: Ledger, period: Period, st: Statement) -> None:
    plan_draw = ctx.plan.draw
    if plan_draw is None:
        return
    if not any(
        a.start <= period.end and (a.end is None or a.end >= period.start)
        for a in ctx.assignments.get(st.participant, ())
    ):
        return
    if plan_draw.until is not None and period.start > plan_draw.until:
        return
    earned = sum((ln.amount for ln in st.lines if ln.status == "payable"), ZERO)
    amount = exact(plan_draw.amount)
    balance = ledger.draw_balance.get(st.participant, ZERO)
    if earned < amount:
        top_up = amount - earned
        trace = {
            "step": "draw",
            "rule": plan_draw.id,
            "detail": f"payable {money(earned)} below the draw {money(amount)}",
            "amount": money(top_up),
            "recoverable": plan_draw.recoverable,
        }
        if plan_draw.recoverable:
            ledger.draw_balance[st.participant] = balance + top_up
            trace["balance"] = f"{money(balance)} + {money(top_up)} = {money(balance + top_up)}"
        st.lines.append(
            Line("draw", st.participant, top_up, "payable", plan_draw.id, trace=[trace])
        )
    elif earned > amount and balance > 0:
        recovery = min(balance, earned - amount)
        ledger.draw_balance[st.participant] = balance - recovery
        st.lines.append(
            Line(
                "draw_recovery",
                st.participant,
                -recovery,
                "payable",
                plan_draw.id,
                trace=[
                    {
                        "step": "draw_recovery",
                        "rule": plan_draw.id,
                        "detail": f"payable {money(earned)} above the draw "
                        f"{money(amount)}; min(balance {money(balance)},"
                        f" {money(earned - amount)})",
                        "amount": money(-recovery),
                        "balance": money(balance - recovery),
                    }
                ],
            )
        )
