"""The credit step: a period's deals to credit lines (steps 1 and 3: targets, shares, FX,
eligibility and base rate), each with the conditions that hold on it.

Deals are taken MATCH_DEALS at a time. Every line's facts are built first, the matcher
is asked about all of them together (durable-rules takes many facts per session:
`matching_many` in rules/matcher.py), then the lines are finished in deal order. What a
deal warns or reports on the way waits in order with its lines and is replayed then, so
warnings, problems and lines come out exactly as if each deal were done alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from decimal import Decimal
from itertools import islice
from typing import NamedTuple

from rules.evaluation.context import CreditLine, PlanContext
from rules.evaluation.credit import credited_exact
from rules.evaluation.facts import deal_facts, line_facts, participant_facts
from rules.evaluation.numbers import ZERO, exact, plain, ratio_text
from rules.model import Deal
from rules.problems import Problem

NO_RATE = {"step": "rate", "rule": None, "detail": "no rate rule holds: rate 0", "rate": "0"}
# Deals whose lines are matched together: about 330 facts with the bench plan's splits.
MATCH_DEALS = 256


class _Pending(NamedTuple):
    """A credit line whose facts wait for the matcher."""

    of_deal: tuple  # the deal, its facts, its amount in plan currency, its FX trace entry
    target: tuple  # participant, order, share, detail, exception id
    rule_id: str
    facts: dict
    stage: str  # "all": a combined plan's first line of the deal decides every condition


def credit_lines_of(ctx: PlanContext, deals: Iterable[Deal]) -> Iterator[list[CreditLine]]:
    """The credit lines of each deal in turn (none when the plan credits nobody on it)."""
    remaining = iter(deals)
    while batch := list(islice(remaining, MATCH_DEALS)):
        yield from _batch(ctx, batch)


def _batch(ctx: PlanContext, deals: list[Deal]) -> Iterator[list[CreditLine]]:
    matcher = ctx.matcher
    steps: list[list] = [[] for _ in deals]  # per deal: warnings, problems, pending lines
    warnings, problems = ctx.warnings, ctx.problems
    try:
        of_deals = []
        for deal, into in zip(deals, steps, strict=True):
            ctx.warnings = ctx.problems = into  # kept in order until the lines are done
            of_deals.append(_of_deal(ctx, deal))
        if matcher.combined:  # decided on each deal's first line ("all")
            deal_matches: list = [None] * len(deals)
        else:  # the deal's conditions choose its credit rules, hence its lines
            answers = iter(matcher.many("deal", [o[1] for o in of_deals if o is not None]))
            deal_matches = [None if o is None else next(answers) for o in of_deals]
        for of_deal, matches, into in zip(of_deals, deal_matches, steps, strict=True):
            if of_deal is not None:
                ctx.warnings = ctx.problems = into
                _targets(ctx, of_deal, matches, into)
    finally:
        ctx.warnings, ctx.problems = warnings, problems
    pending = [step for into in steps for step in into if isinstance(step, _Pending)]
    found = {
        stage: iter(matcher.many(stage, [p.facts for p in pending if p.stage == stage]))
        for stage in ("all", "line")
    }
    for into, matches in zip(steps, deal_matches, strict=True):
        lines = []
        for step in into:
            if isinstance(step, str):
                warnings.append(step)
            elif isinstance(step, Problem):
                problems.append(step)
            else:
                holding = next(found[step.stage])
                if matches is None:  # the deal's first line: it decided the deal's conditions
                    matches = holding & matcher.deal_keys
                else:
                    holding = matches | holding
                lines.append(_line(ctx, step, holding))
        yield lines


def _of_deal(ctx: PlanContext, deal: Deal) -> tuple | None:
    """(deal, facts, amount in plan currency, FX trace entry), or None: nobody on the plan
    could be credited, or no FX rate (a problem)."""
    if not ctx.relevant(deal):
        return None
    amount, fx_entry = ctx.convert(deal)
    if amount is None:
        return None
    return deal, deal_facts(deal, amount), amount, fx_entry


def _targets(ctx: PlanContext, of_deal: tuple, deal_matches, into: list) -> None:
    """Step 1: who the deal credits and with what share; a pending line for each who has
    an assignment to the plan (`into`; warnings and problems reach it too)."""
    deal, dfacts = of_deal[0], of_deal[1]
    plan = ctx.plan
    targets: list[tuple[str, tuple, Decimal, str, str | None]] = []
    override = ctx.overrides.get(deal.id)
    if override is not None:
        for i, c in enumerate(override.credits):
            detail = f"override_split {override.id}"
            targets.append((c.participant, (0, i), exact(c.share), detail, override.id))
        rule_ids = [override.id]
        total = sum((t[2] for t in targets), ZERO)
    else:
        total = ZERO
        rule_ids = []
        for order, rule in enumerate(plan.credit):
            if rule.when is not None and "credit:" + rule.id not in deal_matches:
                continue
            rule_ids.append(rule.id)
            share = exact(rule.share)
            total += share
            for sub, c in enumerate(credited_exact(rule.to, deal, ctx.index.participants)):
                targets.append((c.participant, (order, sub), share * c.share, c.detail, None))
            if not targets or targets[-1][1][0] != order:
                ctx.warnings.append(
                    f"{plan.policy}: deal {deal.id}: credit rule {rule.id} "
                    f"credits nobody ({rule.to.kind})"
                )
    if total > 1:
        ctx.problems.append(
            Problem(
                f"deals[{deal.id}]",
                f"deal {deal.id}: credit rules {', '.join(rule_ids)} of plan "
                f"{plan.policy} hand out shares summing to {plain(total)}, over 1",
            )
        )
        return
    stage = "all" if deal_matches is None else "line"
    for target in targets:
        participant_id, order, share, _detail, exception = target
        rule_id = exception or plan.credit[order[0]].id
        assignment = ctx.active_assignment(participant_id, deal)
        if assignment is None:
            ctx.warnings.append(
                f"{plan.policy}: deal {deal.id}: {participant_id} (credit rule "
                f"{rule_id}) has no assignment to the plan active on {deal.close_date}; "
                "no line"
            )
            continue
        participant = ctx.index.participants.get(participant_id)
        # By identity: the assignments live in the data for the whole evaluation, and
        # hashing the frozen dataclass field by field, on every line, was a measurable cost.
        key = (participant_id, id(assignment))
        static = ctx.static_facts.get(key)
        if static is None:
            static = ctx.static_facts[key] = participant_facts(participant, assignment)
        facts = line_facts(dfacts, participant, assignment, deal.close_date, rule_id, share, static)
        into.append(_Pending(of_deal, target, rule_id, facts, stage))
        stage = "line"


def _line(ctx: PlanContext, pending: _Pending, matches: frozenset[str]) -> CreditLine:
    """Step 3 for one line: its credit, eligibility and base rate, with their trace."""
    deal, _dfacts, amount, fx_entry = pending.of_deal
    participant_id, order, share, detail, exception = pending.target
    rule_id, facts = pending.rule_id, pending.facts
    credit = share * amount
    explain = ctx.explain
    trace: list[dict] = []
    if explain:
        if fx_entry is not None:
            trace.append(fx_entry)
        step = {
            "step": "credit",
            "rule": rule_id,
            "detail": detail,
            "share": ratio_text(share),
            "deal_amount": ratio_text(amount),
            "credit": ratio_text(credit),
        }
        if exception:
            step["exception"] = exception
        elif ctx.rule_text.get(rule_id):
            step["when"] = ctx.rule_text[rule_id]
        trace.append(step)
    eligible = True
    for key, passed, failed in ctx.eligibility:
        holds = key in matches
        if explain:
            trace.append(passed if holds else failed)
        if not holds:
            eligible = False
            break
    base_rate = ZERO
    if eligible:
        for key, rate, entry in ctx.rates:
            if key is None or key in matches:
                base_rate = rate
                if explain:
                    trace.append(entry)
                break
        else:
            ctx.warnings.append(
                f"{ctx.plan.policy}: deal {deal.id}: no rate rule holds for "
                f"{participant_id}; rate 0"
            )
            if explain:
                trace.append(NO_RATE)
    return CreditLine(
        participant_id,
        deal,
        rule_id,
        order,
        share,
        credit,
        {f: facts.get(f) for f in ctx.hold_fields},
        matches,
        eligible,
        base_rate,
        trace,
        exception,
    )
