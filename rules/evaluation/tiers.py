"""Tiers: pricing a line's credit by the attainment bands it falls in.

Everything is computed in credit money: a band [from, to) measured as attainment becomes
[from x quota, to x quota) of cumulative credit, exactly (fractions), so attainment and
tier boundaries are never rounded. A value on a boundary takes the higher band.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from rules.evaluation.numbers import ZERO, exact, money, plain, ratio_text
from rules.model import Band, Tiers


@dataclass(frozen=True)
class Part:
    """The part of a line's credit priced by one band (band None: no band, earns 0)."""

    band: Band | None
    credit: Fraction
    rate: Fraction


@dataclass(frozen=True)
class Priced:
    commission: Fraction  # exact, before gates and rounding
    rate: Fraction | None  # None when the credit spans several bands
    parts: tuple[Part, ...]
    unbanded: Fraction  # credit that fell in no band and earns 0


def band_rate(band: Band, base_rate: Fraction) -> Fraction:
    if band.rate is not None:
        return exact(band.rate)
    return exact(band.multiplier) * base_rate


def _bounds(band: Band, scale: Fraction) -> tuple[Fraction, Fraction | None]:
    lower = exact(band.lower) * scale
    upper = None if band.upper is None else exact(band.upper) * scale
    return lower, upper


def band_at(tiers: Tiers, value: Fraction, scale: Fraction) -> Band | None:
    """The band whose [from, to) holds `value` (in credit money), if any."""
    for band in tiers.bands:
        lower, upper = _bounds(band, scale)
        if lower <= value and (upper is None or value < upper):
            return band
    return None


def price(
    tiers: Tiers,
    credit: Fraction,
    base_rate: Fraction,
    *,
    before: Fraction,
    final: Fraction,
    scale: Fraction,
) -> Priced:
    """Price `credit` given the participant's cumulative credit `before` this line and
    `final` for the period (both ignored for basis `deal`); `scale` turns band bounds into
    credit money (the prorated quota for `attainment`, 1 otherwise)."""
    if tiers.basis == "deal":
        before, final = ZERO, credit
    if tiers.mode == "retroactive":
        band = band_at(tiers, final, scale)
        if band is None:
            return Priced(ZERO, ZERO, (Part(None, credit, ZERO),), credit)
        rate = band_rate(band, base_rate)
        return Priced(credit * rate, rate, (Part(band, credit, rate),), ZERO)
    after = before + credit
    parts = []
    covered = ZERO
    for band in tiers.bands:
        lower, upper = _bounds(band, scale)
        low = max(before, lower)
        high = after if upper is None else min(after, upper)
        if high > low:
            rate = band_rate(band, base_rate)
            parts.append(Part(band, high - low, rate))
            covered += high - low
    unbanded = credit - covered
    if unbanded:
        parts.append(Part(None, unbanded, ZERO))
    commission = sum((p.credit * p.rate for p in parts), ZERO)
    if len(parts) == 1:
        rate = parts[0].rate
    elif not parts:  # a zero credit: the rate of the band it sits in
        band = band_at(tiers, before, scale)
        rate = band_rate(band, base_rate) if band else ZERO
    else:
        rate = None
    return Priced(commission, rate, tuple(parts), unbanded)


def trace(tiers: Tiers, priced: Priced, *, before: Fraction, final: Fraction, scale) -> list:
    """One trace entry per band part, with the values a person needs to re-check it."""
    entries = []
    for part in priced.parts:
        entry = {
            "step": "tier",
            "rule": part.band.id if part.band else None,
            "detail": _describe(tiers, part.band, scale),
            "basis": tiers.basis,
            "mode": tiers.mode,
            "credit": ratio_text(part.credit),
            "rate": plain(part.rate),
            "amount": ratio_text(part.credit * part.rate),
        }
        if tiers.basis != "deal":
            entry["cumulative_before"] = money(before)
            entry["final"] = money(final)
        if part.band is None:
            entry["detail"] = "credit in no band earns 0"
        entries.append(entry)
    return entries


def _describe(tiers: Tiers, band: Band | None, scale: Fraction) -> str:
    if band is None:
        return ""
    upper = "" if band.upper is None else str(band.upper)
    what = f"x{band.multiplier} base rate" if band.rate is None else f"rate {band.rate}"
    text = f"[{band.lower}, {upper}) {what}"
    if tiers.basis == "attainment":
        text += f" of quota {money(scale)}"
    return text
