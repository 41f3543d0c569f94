"""Credit targets and attribution: who is credited for a deal, with what sub-share.

A credit rule's line share is `rule.share x sub-share`. Sub-shares are computed as exact
fractions (a team member's 1/3, a touch's weight) and added up per participant before
one conversion to a decimal: exact when it terminates (3 of 6 linear touches: 0.5), else
rounded at 40 places, so equal fractions give equal shares. `time_decay` weights
2^(-days/half_life) are Python decimal powers at 40 significant digits (correctly
rounded), normalised exactly.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Context, Decimal
from fractions import Fraction

from rules.evaluation.numbers import ONE, div, exact_context, ratio_text
from rules.model import CreditTarget, Deal, Participant, Touchpoint

# Precision of the time_decay power: far below a cent on any realistic deal.
DECAY_CONTEXT = Context(prec=40)


@dataclass(slots=True)
class Credited:
    """One participant credited by one rule, with the sub-share and how it was found."""

    participant: str
    share: Decimal
    detail: str


def credited(
    target: CreditTarget, deal: Deal, participants: Mapping[str, Participant]
) -> list[Credited]:
    """Participants credited by `target` for `deal`, in a deterministic order."""
    with exact_context():
        return credited_exact(target, deal, participants)


def credited_exact(
    target: CreditTarget, deal: Deal, participants: Mapping[str, Participant]
) -> list[Credited]:
    """`credited`, for callers already in the `EXACT` decimal context."""
    kind = target.kind
    if kind == "owner":
        return [Credited(deal.owner, ONE, "deal.owner")]
    if kind == "splits":
        if deal.splits:  # each participant once, exact decimals summing to 1 (validated)
            return [Credited(s.participant, s.share, "deal.splits") for s in deal.splits]
        return [Credited(deal.owner, ONE, "no splits: deal.owner at 100%")]
    if kind == "team":
        members = [m.participant for m in deal.team if m.role == target.role]
        if not members:
            return []
        each = Fraction(1, len(members))
        return _add_up([(p, each) for p in members], f"team role {target.role}: 1/{len(members)}")
    if kind == "manager_of":
        owner = participants.get(deal.owner)
        if owner is None or not owner.manager:
            return []
        return [Credited(owner.manager, ONE, f"manager of {deal.owner}")]
    if kind == "touchpoints":
        return attribute(target, deal)
    raise ValueError(f"unknown credit target {kind!r}")  # pragma: no cover - validated


def _add_up(pairs: list[tuple[str, Fraction]], detail: str) -> list[Credited]:
    """Sum sub-shares per participant exactly, keeping the order of first appearance."""
    totals: dict[str, Fraction] = {}
    for participant, share in pairs:
        totals[participant] = totals.get(participant, Fraction(0)) + share
    return [Credited(p, share_decimal(s), detail) for p, s in totals.items()]


def share_decimal(share: Fraction) -> Decimal:
    """A participant's exact share as a decimal: exact when it terminates within 40
    places, else rounded there (the money is rounded on the line, far below a cent)."""
    return div(share.numerator, share.denominator)


def ordered_touches(deal: Deal) -> list[Touchpoint]:
    """Touchpoints ordered by `at`, then by their position in the deal."""
    indexed = sorted(enumerate(deal.touchpoints), key=lambda pair: (pair[1].at, pair[0]))
    return [touch for _, touch in indexed]


def touch_weights(target: CreditTarget, deal: Deal) -> list[Fraction]:
    """The exact weight of each touch of `ordered_touches(deal)` under the attribution
    model; they sum to exactly 1."""
    touches = ordered_touches(deal)
    n = len(touches)
    if n == 0:
        return []
    model = target.model
    if model in ("first_touch", "last_touch"):
        weights = [Fraction(0)] * n
        weights[0 if model == "first_touch" else -1] = Fraction(1)
        return weights
    if model == "linear":
        return [Fraction(1, n)] * n
    if model == "u_shaped":
        return _u_shaped(n)
    if model == "w_shaped":
        return _w_shaped(touches)
    if model == "time_decay":
        return _time_decay(touches, deal, target.half_life_days)
    raise ValueError(f"unknown attribution model {model!r}")  # pragma: no cover - validated


def _u_shaped(n: int) -> list[Fraction]:
    if n <= 2:
        return [Fraction(1, n)] * n
    return [Fraction(2, 5)] + [Fraction(1, 5 * (n - 2))] * (n - 2) + [Fraction(2, 5)]


def _w_shaped(touches: list[Touchpoint]) -> list[Fraction]:
    """30% first, 30% lead, 30% opportunity, 10% over the rest (see the module doc)."""
    n = len(touches)
    anchors = [0]
    for milestone in ("lead", "opportunity"):
        index = next((i for i, t in enumerate(touches) if t.milestone == milestone), None)
        # A milestone on the first touch is "missing": its weight goes to the others.
        if index is not None and index != 0 and index not in anchors:
            anchors.append(index)
    rest = [i for i in range(n) if i not in anchors]
    anchor_total = Fraction(9, 10) if rest else Fraction(1)
    weights = [Fraction(0)] * n
    for i in anchors:
        weights[i] = anchor_total / len(anchors)
    for i in rest:
        weights[i] = Fraction(1, 10 * len(rest))
    return weights


def _time_decay(touches: list[Touchpoint], deal: Deal, half_life: Decimal | None) -> list[Fraction]:
    half = Decimal(half_life if half_life is not None else 1)
    raw = []
    for touch in touches:
        days = Decimal((deal.close_date - touch.at).days)
        raw.append(Fraction(DECAY_CONTEXT.power(Decimal(2), DECAY_CONTEXT.divide(-days, half))))
    total = sum(raw, Fraction(0))
    return [w / total for w in raw]


def attribute(target: CreditTarget, deal: Deal) -> list[Credited]:
    """Touchpoint attribution: each participant's exact weights over their touches add up
    to one share; a participant whose touches all weigh 0 (first/last touch) gets none."""
    touches = ordered_touches(deal)
    weights = touch_weights(target, deal)
    model = target.model if target.model != "time_decay" else f"time_decay {target.half_life_days}"
    totals: dict[str, list] = {}
    shown: dict[Fraction, str] = {}  # weight -> its text (linear: one for all touches)
    for touch, weight in zip(touches, weights, strict=True):
        if weight == 0:
            continue
        entry = totals.setdefault(touch.participant, [Fraction(0), []])
        entry[0] += weight
        text = shown.get(weight)
        if text is None:
            text = shown[weight] = ratio_text(share_decimal(weight))
        entry[1].append(f"{touch.at.isoformat()} {text}")
    return [
        Credited(p, share_decimal(total), f"{model}: touches " + ", ".join(parts))
        for p, (total, parts) in totals.items()
    ]
