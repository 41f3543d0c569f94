"""Exact numbers for pay arithmetic and their rendering.

Credits, shares, attainment and tier boundaries are kept as `fractions.Fraction`, so a
team share of 1/3 or a quota prorated over 92 days stays exact; only a line's amount is
rounded, once, to cents half-up (ties away from zero, as finance rounds money).
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

ZERO = Fraction(0)
ONE = Fraction(1)
_CENT = Fraction(1, 100)


def exact(value: Decimal | int | Fraction) -> Fraction:
    """A Decimal or int as an exact Fraction (never through float)."""
    if isinstance(value, Fraction):
        return value
    return Fraction(value)


def _half_up_units(value: Fraction, scale: int) -> int:
    """round(|value| x scale) half-up, in integers (Fraction arithmetic is slow)."""
    n, d = abs(value.numerator), value.denominator
    return (2 * n * scale + d) // (2 * d)


def round_half_up(value: Fraction, places: int) -> Fraction:
    """`value` rounded to `places` decimals, ties away from zero."""
    scale = 10**places
    units = _half_up_units(value, scale)
    return Fraction(-units if value < 0 else units, scale)


def cents(value: Fraction) -> Fraction:
    """Round a line amount to cents, half-up: the one rounding of money."""
    if value.denominator == 1:
        return value
    return round_half_up(value, 2)


def fixed(value: Fraction | None, places: int) -> str | None:
    """`value` rounded half-up and written with exactly `places` decimals."""
    if value is None:
        return None
    scale = 10**places
    units = _half_up_units(value, scale)
    sign = "-" if value.numerator < 0 and units else ""
    if not places:
        return f"{sign}{units}"
    whole, frac = divmod(units, scale)
    return f"{sign}{whole}.{frac:0{places}d}"


def money(value: Fraction | None) -> str | None:
    """Money as a string with 2 decimals."""
    return fixed(value, 2)


def _places(denominator: int) -> int | None:
    """Decimal places of a fraction with this (reduced) denominator, None if endless."""
    twos = fives = 0
    while denominator % 2 == 0:
        denominator //= 2
        twos += 1
    while denominator % 5 == 0:
        denominator //= 5
        fives += 1
    return max(twos, fives) if denominator == 1 else None


def terminating(value: Fraction) -> bool:
    """Whether `value` has a finite decimal expansion (denominator 2^a * 5^b)."""
    return _places(value.denominator) is not None


def plain(value: Fraction | None, max_places: int = 12) -> str | None:
    """A share, rate or factor written exactly when its decimal expansion ends (`0.5`,
    `1`), else rounded half-up to `max_places` decimals (the trace then also shows the
    fraction, e.g. `1/3`)."""
    if value is None:
        return None
    places = _places(value.denominator)
    if places is not None:
        return fixed(value, places)
    text = fixed(value, max_places) or "0"
    return text.rstrip("0").rstrip(".") if "." in text else text


def as_decimal(value: Fraction) -> Decimal:
    """A Fraction as a Decimal for condition facts: exact when it terminates, else to 28
    significant digits (conditions compare shares with short literals such as 0.5)."""
    if terminating(value):
        return Decimal(plain(value))
    return Decimal(value.numerator) / Decimal(value.denominator)


def ratio_text(value: Fraction) -> str:
    """The exact value for a trace: `0.5`, or `1/3` when it does not terminate."""
    if terminating(value):
        return plain(value) or "0"
    return f"{value.numerator}/{value.denominator}"
