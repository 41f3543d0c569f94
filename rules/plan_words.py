"""A plan in plain words, for the people it pays: rates, tiers, gates, caps, clawbacks,
SPIFs and the draw, each a sentence a rep can check against their statement.

    describe_plan(plan)  -> [Section("How you earn", ["10% of the credited amount up to
                              100% of quota, 15% above."]), Section("Gates", [...]), ...]

Built from the engine's `Plan` (so it says what the engine does, spec sections 1 and 4),
every number its exact decimal text: rates and ratios as percentages, amounts with the
plan currency. A condition reads as words when it is a comparison or an `and` of them,
else as written. Pure Python; the my-plan page and its tests read it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from rules.explain import PERCENT_FIELDS, percent
from rules.model import Band, CreditRule, Plan, RateRule, Tiers

PERIOD_WORDS = {"month": "month", "quarter": "quarter", "year": "year"}
_OPERATORS = {
    "==": "is",
    "!=": "is not",
    "<": "is below",
    "<=": "is at most",
    ">": "is above",
    ">=": "is at least",
    "in": "is one of",
    "not in": "is not one of",
    "contains": "includes",
}
_COMPARISON = re.compile(
    r"^\s*(?P<field>(?:deal|participant|assignment|credit)\.[A-Za-z0-9_.]+)\s+"
    r"(?P<op>==|!=|<=|>=|<|>|not in|in|contains)\s+(?P<literal>[^()]+?)\s*$"
)
_OWNERS = {"deal": "the deal's", "participant": "your", "assignment": "your assignment's"}


@dataclass(frozen=True)
class Section:
    title: str
    sentences: list[str] = field(default_factory=list)


def money(amount: Decimal, currency: str) -> str:
    """25000 -> "USD 25,000.00"."""
    return f"{currency} {Decimal(amount):,.2f}"


def _field_words(name: str) -> str:
    root, _, rest = name.partition(".")
    rest = rest.removeprefix("attributes.")
    return f"{_OWNERS.get(root, 'the ' + root)} {rest.replace('_', ' ').replace('.', ' ')}"


def _one_comparison(text: str) -> str | None:
    match = _COMPARISON.match(text)
    if match is None:
        return None
    literal = match["literal"].strip()
    if match["field"] in PERCENT_FIELDS and re.fullmatch(r"-?\d+(\.\d+)?", literal):
        literal = percent(literal)
    return f"{_field_words(match['field'])} {_OPERATORS[match['op']]} {literal}"


def condition_words(text: str | None) -> str:
    """`deal.gross_margin < 0.25` -> "the deal's gross margin is below 25%"; an `and` of
    comparisons joins them; anything else (or, not, parentheses) stays as written."""
    if not text:
        return ""
    parts = re.split(r"\s+and\s+", text.strip())
    words = [_one_comparison(p) for p in parts]
    if all(words) and " or " not in text:
        return " and ".join(w for w in words if w)
    return f"`{text.strip()}`"


def _when(rule) -> str:
    return f" when {condition_words(rule.when.text)}" if rule.when is not None else ""


def _base_rate(plan: Plan) -> Decimal | None:
    """The one rate every deal earns, when there is one rule and it has no condition."""
    if len(plan.rates) == 1 and plan.rates[0].when is None:
        return plan.rates[0].rate
    return None


def _measure(value: Decimal, tiers: Tiers, currency: str) -> str:
    if tiers.basis == "attainment":
        return f"{percent(value)} of quota"
    return money(value, currency)


def _band_pay(band: Band, base: Decimal | None) -> str:
    if band.rate is not None:
        return percent(band.rate)
    multiplier = band.multiplier if band.multiplier is not None else Decimal(1)
    if base is not None:
        return percent(base * multiplier)
    if multiplier == 0:
        return "nothing"
    return f"{format(multiplier.normalize(), 'f')} × the base rate"


def _band_range(band: Band, first: bool, tiers: Tiers, currency: str) -> str:
    if band.upper is None:
        return "above" if not first else "on everything"
    upper = _measure(band.upper, tiers, currency)
    if first or band.lower == 0:
        return f"up to {upper}"
    lower = percent(band.lower) if tiers.basis == "attainment" else money(band.lower, currency)
    return f"from {lower} to {upper}"


def tier_sentence(plan: Plan) -> str:
    """ "10% of the credited amount up to 100% of quota, 15% above." and how bands apply."""
    tiers = plan.tiers
    assert tiers is not None
    base = _base_rate(plan)
    parts = []
    for i, band in enumerate(tiers.bands):
        pay = _band_pay(band, base)
        if i == 0 and pay.endswith("%"):
            pay += " of the credited amount"
        parts.append(f"{pay} {_band_range(band, i == 0, tiers, plan.currency)}")
    measured = {
        "attainment": f"your attainment in the {PERIOD_WORDS[plan.period]} (credit / quota)",
        "credited": f"your credit so far in the {PERIOD_WORDS[plan.period]}",
        "deal": "each deal's own credit",
    }[tiers.basis]
    how = (
        "each part of your credit earns the rate of the band it falls in"
        if tiers.mode == "marginal"
        else "all your credit earns the rate of the band you end in"
    )
    return f"{', '.join(parts)}. Bands measure {measured}; {how}."


def _rate_sentence(rule: RateRule, alone: bool) -> str:
    when = _when(rule) or (" on every deal" if alone else " otherwise")
    return f"{percent(rule.rate)} of the credited amount{when} ({rule.id})."


def _earning(plan: Plan) -> Section:
    section = Section("How you earn")
    base = _base_rate(plan)
    if plan.tiers is not None and base is not None:
        section.sentences.append(tier_sentence(plan))
        return section
    alone = len(plan.rates) == 1
    if not alone:
        section.sentences.append("The first of these that applies to a deal gives its base rate:")
    section.sentences.extend(_rate_sentence(r, alone) for r in plan.rates)
    if plan.tiers is not None:
        section.sentences.append("Then by band: " + tier_sentence(plan))
    return section


def _credit(rule: CreditRule) -> str:
    share, to = percent(rule.share), rule.to
    who = {
        "owner": f"The deal's owner is credited with {share} of its amount",
        "splits": f"Each person in the deal's split table is credited with {share} of their"
        " split of its amount (without splits, the owner with all of it)",
        "team": f"The deal team's {to.role} members share {share} of its amount equally",
        "manager_of": f"The deal owner's manager is credited with {share} of its amount",
        "touchpoints": f"The people who worked the deal share {share} of its amount"
        f" by {(to.model or '').replace('_', ' ')} attribution",
    }[to.kind]
    return f"{who}{_when(rule)} ({rule.id})."


def _gate(gate, currency: str) -> str:
    when = _when(gate)
    effect = gate.effect
    if effect.kind == "block":
        return f"Nothing is paid on a deal{when or ''} ({gate.id})."
    if effect.kind == "reduce":
        return (
            f"Commission is cut to {percent(effect.factor)}{when or ' on every deal'} ({gate.id})."
        )
    hold = _field_words(effect.hold_field or "")
    return f"Commission is held until {hold}{when} ({gate.id})."


def _clawback(rule) -> str:
    triggers = " or ".join(t.replace("_", " ") for t in rule.triggers)
    window = (
        f"{rule.within_days} days"
        if rule.within_days is not None
        else f"{rule.within_months} months"
    )
    how = (
        "all of it"
        if rule.recover == "full"
        else "a share of it that shrinks with the time the deal lasted (prorated)"
    )
    return (
        f"If a deal has a {triggers} within {window} of closing, the commission paid on it"
        f" is taken back: {how} ({rule.id})."
    )


def describe_plan(plan: Plan) -> list[Section]:
    """The plan's sections in plain words; an absent part (no caps, no draw) is left out."""
    period = PERIOD_WORDS[plan.period]
    sections = [_earning(plan), Section("Who is credited", [_credit(c) for c in plan.credit])]
    if plan.eligibility:
        sections.append(
            Section(
                "Who earns",
                [
                    f"You earn on a deal only when {condition_words(r.when.text)} ({r.id})."
                    for r in plan.eligibility
                ],
            )
        )
    if plan.gates:
        sections.append(Section("Gates", [_gate(g, plan.currency) for g in plan.gates]))
    caps = []
    if plan.caps.per_deal is not None:
        caps.append(f"At most {money(plan.caps.per_deal, plan.currency)} of commission per deal.")
    if plan.caps.per_period is not None:
        caps.append(
            f"At most {money(plan.caps.per_period, plan.currency)} of commission per {period}."
        )
    if caps:
        sections.append(Section("Caps", caps))
    if plan.clawbacks:
        sections.append(Section("Clawbacks", [_clawback(c) for c in plan.clawbacks]))
    if plan.spifs:
        sections.append(
            Section(
                "SPIFs",
                [
                    f"A bonus of {money(s.amount, plan.currency)} for each deal{_when(s)} ({s.id})."
                    for s in plan.spifs
                ],
            )
        )
    if plan.draw is not None:
        draw = plan.draw
        text = f"You are paid at least {money(draw.amount, plan.currency)} per {period}"
        text += (
            "; what the draw adds is recovered from later commission above it"
            if draw.recoverable
            else "; the draw is not recovered"
        )
        if draw.until is not None:
            text += f", until {draw.until.isoformat()}"
        sections.append(Section("Draw", [text + f" ({draw.id})."]))
    return sections
