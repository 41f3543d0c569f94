"""Plan lint: every error `load_plan` finds, plus warnings a compensation analyst wants to see.

    problems = lint_plan(text_or_plan)  # never raises for bad input

Errors are exactly what `rules.document` rejects; warnings (severity "warning") flag a
valid document that is probably not what its author meant (a rate rule that can never
apply, a gap between bands, a rate that looks like a percentage...). Each warning's
message starts with its code in brackets, so it can be searched and filtered.

Every code and when it fires: docs/plan-validation.md, "Lint".
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

from rules.document import load_plan
from rules.model import Data, Plan
from rules.period import Period
from rules.problems import InvalidPlan, Problem


def lint_plan(
    text_or_plan: str | bytes | Plan,
    *,
    source: str = "<plan>",
    base_dir: Path | None = None,
) -> list[Problem]:
    """All errors, or (for a valid plan) all warnings, grouped by check."""
    if isinstance(text_or_plan, Plan):
        plan = text_or_plan
    else:
        try:
            plan = load_plan(text_or_plan, source=source, base_dir=base_dir)
        except InvalidPlan as exc:
            return list(exc.problems)
    return plan_warnings(plan)


def _warning(path: str, code: str, message: str, rule: str | None = None) -> Problem:
    return Problem(path=path, message=f"[{code}] {message}", rule=rule, severity="warning")


def plan_warnings(plan: Plan) -> list[Problem]:
    """The warnings for an already validated plan."""
    out: list[Problem] = []
    out += _never_matching(plan)
    out += _credit_warnings(plan)
    out += _rate_warnings(plan)
    out += _band_warnings(plan)
    out += _gate_warnings(plan)
    out += _cap_warnings(plan)
    out += _clawback_warnings(plan)
    out += _draw_warnings(plan)
    return out


def _never_matching(plan: Plan) -> list[Problem]:
    out = []
    sections = (
        ("eligibility", plan.eligibility),
        ("credit", plan.credit),
        ("rates", plan.rates),
        ("gates", plan.gates),
        ("spifs", plan.spifs),
    )
    for name, rules in sections:
        for i, rule in enumerate(rules):
            if rule.when is None:
                continue
            reason = rule.when.never_matches()
            if reason:
                out.append(
                    _warning(
                        f"$.{name}[{i}].when",
                        "never-matches",
                        reason,
                        rule.id,
                    )
                )
    return out


def _credit_warnings(plan: Plan) -> list[Problem]:
    total = sum((rule.share for rule in plan.credit), Decimal(0))
    conditional = [rule.id for rule in plan.credit if rule.when is not None]
    if total > 1 and conditional:
        return [
            _warning(
                "$.credit",
                "credit-may-exceed-one",
                f"the credit rules together hand out {total} of a deal; a deal matching "
                f"{', '.join(conditional)} and the others is an evaluation error",
            )
        ]
    return []


def _rate_warnings(plan: Plan) -> list[Problem]:
    out = []
    catch_all: str | None = None
    seen: dict[str, str] = {}
    for i, rule in enumerate(plan.rates):
        path = f"$.rates[{i}]"
        if catch_all is not None:
            out.append(
                _warning(
                    path,
                    "unreachable-rate",
                    f"never used: rule {catch_all} before it has no when and always applies",
                    rule.id,
                )
            )
        elif rule.when is not None and rule.when.canonical() in seen:
            out.append(
                _warning(
                    path,
                    "unreachable-rate",
                    f"never used: rule {seen[rule.when.canonical()]} before it has the same when",
                    rule.id,
                )
            )
        if rule.when is None and catch_all is None:
            catch_all = rule.id
        elif rule.when is not None:
            seen.setdefault(rule.when.canonical(), rule.id)
        if rule.rate > 1:
            out.append(_over_one(f"{path}.rate", rule.rate, rule.id))
    if catch_all is None:
        out.append(
            _warning(
                "$.rates",
                "no-default-rate",
                "no rule without when: a deal that matches no rate rule earns rate 0",
            )
        )
    return out


def _over_one(path: str, rate: Decimal, rule: str) -> Problem:
    return _warning(
        path,
        "rate-over-one",
        f"rate {rate} pays more than the credit itself; rates are decimals (0.06, not 6)",
        rule,
    )


def _band_warnings(plan: Plan) -> list[Problem]:
    if plan.tiers is None:
        return []
    out = []
    bands = plan.tiers.bands
    unit = "attainment" if plan.tiers.basis == "attainment" else "credit"
    if bands[0].lower > 0:
        out.append(
            _warning(
                "$.tiers.bands[0].from",
                "band-start",
                f"{unit} below {bands[0].lower} falls in no band and earns 0",
                bands[0].id,
            )
        )
    for i, (band, following) in enumerate(zip(bands, bands[1:], strict=False)):
        if band.upper is not None and following.lower > band.upper:
            out.append(
                _warning(
                    f"$.tiers.bands[{i + 1}].from",
                    "band-gap",
                    f"{unit} from {band.upper} to {following.lower} (between {band.id} and "
                    f"{following.id}) falls in no band and earns 0",
                    following.id,
                )
            )
    last = bands[-1]
    if last.upper is not None:
        out.append(
            _warning(
                f"$.tiers.bands[{len(bands) - 1}].to",
                "band-end",
                f"{unit} at or above {last.upper} falls in no band and earns 0; "
                "omit to on the last band to cover everything above it",
                last.id,
            )
        )
    for i, band in enumerate(bands):
        if band.rate is not None and band.rate > 1:
            out.append(_over_one(f"$.tiers.bands[{i}].rate", band.rate, band.id))
    if plan.tiers.basis == "attainment":
        for i, band in enumerate(bands):
            top = band.upper if band.upper is not None else band.lower
            if top > 10:
                out.append(
                    _warning(
                        f"$.tiers.bands[{i}]",
                        "band-percent",
                        f"attainment bounds are ratios (1.0 = 100% of quota); {top} means "
                        f"{top * 100}% of quota",
                        band.id,
                    )
                )
                break
    return out


def _gate_warnings(plan: Plan) -> list[Problem]:
    out = []
    for i, gate in enumerate(plan.gates):
        path, effect = f"$.gates[{i}]", gate.effect
        if gate.when is None and effect.kind == "block":
            out.append(
                _warning(
                    path,
                    "gate-blocks-all",
                    "a block gate without when blocks every line of this plan",
                    gate.id,
                )
            )
        if effect.kind == "reduce" and effect.factor == 1:
            out.append(
                _warning(
                    f"{path}.effect.reduce", "reduce-no-op", "reduce: 1 changes nothing", gate.id
                )
            )
        if effect.kind == "reduce" and effect.factor == 0:
            out.append(
                _warning(
                    f"{path}.effect.reduce",
                    "reduce-no-op",
                    "reduce: 0 pays nothing but leaves the line payable; use block to say so",
                    gate.id,
                )
            )
        if effect.kind == "hold" and effect.hold_field == "deal.close_date":
            out.append(
                _warning(
                    f"{path}.effect.hold_until",
                    "hold-never-holds",
                    "a deal evaluated in a period closes in it, so holding until its close "
                    "date never holds anything",
                    gate.id,
                )
            )
    return out


def _cap_warnings(plan: Plan) -> list[Problem]:
    caps = plan.caps
    if caps.per_deal is None or caps.per_period is None or caps.per_deal < caps.per_period:
        return []
    return [
        _warning(
            "$.caps.per_deal",
            "per-deal-cap-unused",
            f"per_deal {caps.per_deal} is not below per_period {caps.per_period}, "
            "so it never limits anything the period cap does not",
        )
    ]


def _clawback_warnings(plan: Plan) -> list[Problem]:
    out = []
    first: dict[str, str] = {}
    for i, clawback in enumerate(plan.clawbacks):
        for j, kind in enumerate(clawback.triggers):
            if kind in first:
                out.append(
                    _warning(
                        f"$.clawbacks[{i}].triggers[{j}]",
                        "shadowed-trigger",
                        f"{kind!r} events are handled by clawback {first[kind]} before this one",
                        clawback.id,
                    )
                )
            else:
                first[kind] = clawback.id
    return out


def _draw_warnings(plan: Plan) -> list[Problem]:
    draw = plan.draw
    if draw is None or draw.until is None:
        return []
    period = Period.containing(draw.until, plan.period)
    if draw.until == period.end:
        return []
    return [
        _warning(
            "$.draw.until",
            "draw-until-mid-period",
            f"{draw.until} is not the last day of a {plan.period}: the draw still applies to "
            f"all of {period.name} (until {period.end})",
            draw.id,
        )
    ]


def data_warnings(data: Data) -> list[Problem]:
    """Valid data that is probably not what was meant: a participant with two assignments
    to one plan that overlap (a deal closing in the overlap is credited under the most
    recent one, docs/plan-language.md), one warning per overlapping pair."""
    out = []
    for i, participant in enumerate(data.participants):
        mine = list(enumerate(participant.assignments))
        for j, a in mine:
            for k, b in mine[j + 1 :]:
                if a.plan != b.plan:
                    continue
                start, end = max(a.start, b.start), min(a.end or date.max, b.end or date.max)
                if start > end:
                    continue
                newer = max((j, a), (k, b), key=lambda pair: pair[1].recency())
                where = f"$.participants[{i}].assignments"
                out.append(
                    _warning(
                        f"{where}[{k}]",
                        "overlapping-assignments",
                        f"participant {participant.id}: assignments to plan {a.plan} overlap "
                        f"from {start} to {'the open end' if end == date.max else end}: "
                        f"[{j}] {a.describe()} and [{k}] {b.describe()}; "
                        f"a deal closing then is credited under [{newer[0]}], the most recent",
                    )
                )
    return out
