"""Tiers: pricing a line's credit by the attainment bands it falls in.

Everything is computed in credit money: a band [from, to) measured as attainment becomes
[from x quota, to x quota) of cumulative credit, exactly (fractions), so attainment and
tier boundaries are never rounded. A value on a boundary takes the higher band.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from rules.evaluation.numbers import ZERO, exact, money, plain, ratio_text
from rules.model import Band, Tiers


@dataclass(slots=True)
class Part:
    """The part of a line's credit priced by one band (band None: no band, earns 0)."""

    band: Band | None
    credit: Decimal
    rate: Decimal


@dataclass(slots=True)
class Priced:
    commission: Decimal  # exact, before gates and rounding
    rate: Decimal | None  # None when the credit spans several bands
    parts: tuple[Part, ...]
    unbanded: Decimal  # credit that fell in no band and earns 0


@dataclass(frozen=True)
class Bound:
    """A band with its bounds in credit money for one participant and period."""

    band: Band
    lower: Decimal
    upper: Decimal | None
    multiplier: Decimal | None
    rate: Decimal | None

    def earns(self, base_rate: Decimal) -> Decimal:
        return self.rate if self.rate is not None else self.multiplier * base_rate


def bounds(tiers: Tiers, scale: Decimal) -> list[Bound]:
    """The bands in credit money: `scale` is the prorated quota for `attainment`, else 1."""
    return [
        Bound(
            band,
            exact(band.lower) * scale,
            None if band.upper is None else exact(band.upper) * scale,
            None if band.multiplier is None else exact(band.multiplier),
            None if band.rate is None else exact(band.rate),
        )
        for band in tiers.bands
    ]


def band_at(table: list[Bound], value: Decimal) -> Bound | None:
    """The band whose [from, to) holds `value` (in credit money), if any."""
    for bound in table:
        if bound.lower <= value and (bound.upper is None or value < bound.upper):
            return bound
    return None


def price(
    tiers: Tiers,
    table: list[Bound],
    credit: Decimal,
    base_rate: Decimal,
    *,
    before: Decimal,
    final: Decimal,
) -> Priced:
    """Price `credit` given the participant's cumulative credit `before` this line and
    `final` for the period (both ignored for basis `deal`)."""
    if tiers.basis == "deal":
        before, final = ZERO, credit
    if tiers.mode == "retroactive":
        bound = band_at(table, final)
        if bound is None:
            return Priced(ZERO, ZERO, (Part(None, credit, ZERO),), credit)
        rate = bound.earns(base_rate)
        return Priced(credit * rate, rate, (Part(bound.band, credit, rate),), ZERO)
    after = before + credit
    parts = []
    covered = ZERO
    for bound in table:
        low = before if before > bound.lower else bound.lower
        upper = bound.upper
        high = after if upper is None or after < upper else upper
        if high > low:
            rate = bound.earns(base_rate)
            if not parts and low == before and high == after:
                # The whole line in one band, the common case: the bands are sorted and
                # never overlap (document.py), so no other band holds any of it.
                part = Part(bound.band, high - low, rate)
                unbanded = credit - part.credit
                if not unbanded:
                    return Priced(part.credit * rate, rate, (part,), unbanded)
            parts.append(Part(bound.band, high - low, rate))
            covered += high - low
    unbanded = credit - covered
    if unbanded:
        parts.append(Part(None, unbanded, ZERO))
    if len(parts) == 1:
        part = parts[0]
        return Priced(part.credit * part.rate, part.rate, tuple(parts), unbanded)
    commission = sum((p.credit * p.rate for p in parts), ZERO)
    if not parts:  # a zero credit: the rate of the band it sits in
        bound = band_at(table, before)
        rate = bound.earns(base_rate) if bound else ZERO
    else:
        rate = None
    return Priced(commission, rate, tuple(parts), unbanded)


class TierTrace:
    """The tier trace entries of one participant's period. What its lines all repeat (the
    band descriptions, the final credit, the quota) is written once."""

    __slots__ = ("basis", "mode", "final", "quota", "details")

    def __init__(self, tiers: Tiers, *, final: Decimal, quota: str | None):
        self.basis, self.mode, self.quota = tiers.basis, tiers.mode, quota
        self.final = None if tiers.basis == "deal" else money(final)
        # By identity: a part's band is one of these, alive as long as the plan.
        self.details = {id(band): _describe(tiers, band, quota) for band in (*tiers.bands, None)}

    def entries(self, priced: Priced, before: Decimal) -> list:
        """One entry per band part of a line priced after cumulative credit `before`."""
        entries = []
        cumulative = None if self.final is None else money(before)
        for part in priced.parts:
            band, rate = part.band, part.rate
            entry = {
                "step": "tier",
                "rule": band.id if band else None,
                "detail": self.details[id(band)],
                "basis": self.basis,
                "mode": self.mode,
                "credit": ratio_text(part.credit),
                "rate": plain(rate),
                "amount": ratio_text(part.credit * rate),
            }
            if cumulative is not None:
                entry["cumulative_before"], entry["final"] = cumulative, self.final
            if self.quota is not None:
                entry["quota"] = self.quota
            entries.append(entry)
        return entries


def _describe(tiers: Tiers, band: Band | None, quota: str | None) -> str:
    """`[0.5, 1) x1 base rate`, cached: the same few texts repeat on every line."""
    key = (band, quota)
    text = _DESCRIPTIONS.get(key)
    if text is None:
        if band is None:
            text = "credit in no band earns 0"
        else:
            upper = "" if band.upper is None else str(band.upper)
            what = f"x{band.multiplier} base rate" if band.rate is None else f"rate {band.rate}"
            text = f"[{band.lower}, {upper}) {what}"
            if quota is not None:
                text += " of the prorated quota"
        if len(_DESCRIPTIONS) < 1024:
            _DESCRIPTIONS[key] = text
    return text


_DESCRIPTIONS: dict[tuple, str] = {}
