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


def trace(
    tiers: Tiers, priced: Priced, *, before: Decimal, final: Decimal, scale, quota: str | None
) -> list:
    """One trace entry per band part, with the values a person needs to re-check it."""
    entries = []
    cumulative = None if tiers.basis == "deal" else (money(before), money(final))
    for part in priced.parts:
        entry = {
            "step": "tier",
            "rule": part.band.id if part.band else None,
            "detail": _describe(tiers, part.band, quota),
            "basis": tiers.basis,
            "mode": tiers.mode,
            "credit": ratio_text(part.credit),
            "rate": plain(part.rate),
            "amount": ratio_text(part.credit * part.rate),
        }
        if cumulative is not None:
            entry["cumulative_before"], entry["final"] = cumulative
        if quota is not None:
            entry["quota"] = quota
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
