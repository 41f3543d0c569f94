"""Credit targets and attribution: who is credited for a deal, with what sub-share.

A credit rule's line share is `rule.share x sub-share`; this module computes the
sub-shares as decimals. Shares that do not terminate (a team of three: 1/3 each) are
rounded at 40 decimal places, and the last participant's share absorbs the residue so
that the sub-shares of a rule always add up to exactly 1. `time_decay` weights
2^(-days/half_life) are computed with Python's decimal `power` at 40 significant digits
(correctly rounded), then normalised the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Context, Decimal

from rules.evaluation.numbers import EXACT, ONE, ZERO, div, exact_context, ratio_text
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
        if deal.splits:
            return _add_up([(s.participant, s.share) for s in deal.splits], "deal.splits")
        return [Credited(deal.owner, ONE, "no splits: deal.owner at 100%")]
    if kind == "team":
        members = [m.participant for m in deal.team if m.role == target.role]
        if not members:
            return []
        each = div(1, len(members))
        return _add_up([(p, each) for p in members], f"team role {target.role}: 1/{len(members)}")
    if kind == "manager_of":
        owner = participants.get(deal.owner)
        if owner is None or not owner.manager:
            return []
        return [Credited(owner.manager, ONE, f"manager of {deal.owner}")]
    if kind == "touchpoints":
        return attribute(target, deal)
    raise ValueError(f"unknown credit target {kind!r}")  # pragma: no cover - validated


def _add_up(pairs: list[tuple[str, Decimal]], detail: str) -> list[Credited]:
    """Sum sub-shares per participant, keeping the order of first appearance."""
    totals: dict[str, Decimal] = {}
    for participant, share in pairs:
        totals[participant] = EXACT.add(totals.get(participant, ZERO), share)
    return [Credited(p, s, detail) for p, s in _exactly_one(totals).items()]


def _exactly_one(totals: dict[str, Decimal]) -> dict[str, Decimal]:
    """Give the division residue (a few units of the 40th decimal place) to the last
    participant, so the sub-shares sum to exactly 1."""
    if totals:
        residue = EXACT.subtract(ONE, sum(totals.values(), ZERO))
        if residue and abs(residue) < Decimal("1e-30"):
            last = next(reversed(totals))
            totals[last] = EXACT.add(totals[last], residue)
    return totals


def ordered_touches(deal: Deal) -> list[Touchpoint]:
    """Touchpoints ordered by `at`, then by their position in the deal."""
    indexed = sorted(enumerate(deal.touchpoints), key=lambda pair: (pair[1].at, pair[0]))
    return [touch for _, touch in indexed]


def touch_weights(target: CreditTarget, deal: Deal) -> list[Decimal]:
    """The weight of each touch of `ordered_touches(deal)` under the attribution model."""
    with exact_context():
        return _touch_weights(target, deal)


def _touch_weights(target: CreditTarget, deal: Deal) -> list[Decimal]:
    touches = ordered_touches(deal)
    n = len(touches)
    if n == 0:
        return []
    model = target.model
    weights = [ZERO] * n
    if model == "first_touch":
        weights[0] = ONE
    elif model == "last_touch":
        weights[-1] = ONE
    elif model == "linear":
        weights = [div(1, n)] * n
    elif model == "u_shaped":
        weights = _u_shaped(n)
    elif model == "w_shaped":
        weights = _w_shaped(touches)
    elif model == "time_decay":
        weights = _time_decay(touches, deal, target.half_life_days)
    else:  # pragma: no cover - validated by the document loader
        raise ValueError(f"unknown attribution model {model!r}")
    if model in ("linear", "u_shaped", "w_shaped", "time_decay"):
        weights[-1] = EXACT.add(weights[-1], EXACT.subtract(ONE, sum(weights, ZERO)))
    return weights


def _u_shaped(n: int) -> list[Decimal]:
    if n == 1:
        return [ONE]
    if n == 2:
        return [Decimal("0.5"), Decimal("0.5")]
    middle = div(Decimal("0.2"), n - 2)
    return [Decimal("0.4")] + [middle] * (n - 2) + [Decimal("0.4")]


def _w_shaped(touches: list[Touchpoint]) -> list[Decimal]:
    """30% first, 30% lead, 30% opportunity, 10% over the rest (see the module doc)."""
    n = len(touches)
    anchors = [0]
    for milestone in ("lead", "opportunity"):
        index = next((i for i, t in enumerate(touches) if t.milestone == milestone), None)
        # A milestone on the first touch is "missing": its weight goes to the others.
        if index is not None and index != 0 and index not in anchors:
            anchors.append(index)
    rest = [i for i in range(n) if i not in anchors]
    anchor_total = Decimal("0.9") if rest else ONE
    weights = [ZERO] * n
    for i in anchors:
        weights[i] = div(anchor_total, len(anchors))
    for i in rest:
        weights[i] = div(Decimal("0.1"), len(rest))
    return weights


def _time_decay(touches: list[Touchpoint], deal: Deal, half_life: Decimal | None) -> list[Decimal]:
    half = Decimal(half_life if half_life is not None else 1)
    raw = []
    for touch in touches:
        days = Decimal((deal.close_date - touch.at).days)
        power = DECAY_CONTEXT.power(Decimal(2), DECAY_CONTEXT.divide(-days, half))
        raw.append(power)
    total = sum(raw, ZERO)
    return [div(w, total) for w in raw]


def attribute(target: CreditTarget, deal: Deal) -> list[Credited]:
    """Touchpoint attribution: each participant's weights over their touches add up."""
    touches = ordered_touches(deal)
    weights = touch_weights(target, deal)
    model = target.model if target.model != "time_decay" else f"time_decay {target.half_life_days}"
    totals: dict[str, list] = {}
    for touch, weight in zip(touches, weights, strict=True):
        if weight == 0:
            continue
        entry = totals.setdefault(touch.participant, [ZERO, []])
        entry[0] = EXACT.add(entry[0], weight)
        entry[1].append(f"{touch.at.isoformat()} {ratio_text(weight)}")
    return [
        Credited(p, total, f"{model}: touches " + ", ".join(parts))
        for p, (total, parts) in totals.items()
    ]
