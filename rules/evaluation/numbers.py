"""Exact decimal numbers for pay arithmetic, and their rendering.

Every computation runs in `EXACT`, a decimal context of 80 significant digits: sums and
products of plan and data values are exact, so credits, tier boundaries and amounts are
never rounded before their line. Only a true division can be inexact (a share of 1/3, a
quota prorated over 92 days, an attainment ratio, a prorated clawback, an FX inverse): it
is rounded at 40 decimal places. A line amount is then rounded once, half-up to cents,
after a guard rounding at 30 decimal places, so that a value such as 1/3 x 0.015 (0.005
exactly, held as 0.00499...) rounds to 0.01 as its exact value does. Credit sub-shares
are exact fractions until each participant's share is written as a decimal (credit.py).
"""

from __future__ import annotations

from decimal import (
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
    localcontext,
)

EXACT = Context(
    prec=80, rounding=ROUND_HALF_EVEN, traps=[InvalidOperation, DivisionByZero, Overflow]
)
# Context methods with positional arguments: much faster than keyword `rounding=`.
_HALF_UP = Context(prec=80, rounding=ROUND_HALF_UP, traps=[InvalidOperation])
ZERO = Decimal(0)
ONE = Decimal(1)
_GUARD = Decimal("1e-30")
_ZERO_CENTS = Decimal("0.00")
_CENT = Decimal("0.01")
_QUANTA = {places: Decimal(1).scaleb(-places) for places in range(0, 31)}
# The two roundings as bound methods, looked up once: a context's attribute look-up goes
# through its own getattr and was half the cost of a `cents()` (docs/decisions.md,
# "Commission step speed (issue 14)").
_guard_round = EXACT.quantize
_half_up_round = _HALF_UP.quantize


def exact_context():
    """`with exact_context():` runs decimal arithmetic in `EXACT`."""
    return localcontext(EXACT)


def exact(value: Decimal | int) -> Decimal:
    """A plan or data number as a Decimal (never through float)."""
    return value if isinstance(value, Decimal) else Decimal(value)


_DIVISION_PLACES = Decimal("1e-40")


def div(a: Decimal | int, b: Decimal | int) -> Decimal:
    """a / b, exact when it terminates within 40 decimal places, else rounded there
    (half-even). A fixed number of places keeps later sums of quotients exact."""
    return EXACT.normalize(EXACT.quantize(EXACT.divide(exact(a), exact(b)), _DIVISION_PLACES))


def round_half_up(value: Decimal, places: int) -> Decimal:
    """`value` rounded to `places` decimals, ties away from zero, after the guard
    rounding (a no-op for values with at most 30 decimals: only quotients have more)."""
    return _half_up_round(_guard_round(value, _GUARD), _QUANTA[places])


def cents(value: Decimal) -> Decimal:
    """Round a line amount to cents, half-up: the one rounding of money."""
    rounded = _half_up_round(_guard_round(value, _GUARD), _CENT)  # round_half_up(value, 2)
    return rounded if rounded else _ZERO_CENTS  # no negative zero


def fixed(value: Decimal | None, places: int) -> str | None:
    """`value` rounded half-up and written with exactly `places` decimals."""
    if value is None:
        return None
    rounded = round_half_up(value, places)
    # At most 6 places, str() writes what `:f` does (no exponent), three times faster.
    text = str(rounded) if places <= 6 else f"{rounded:f}"
    return text[1:] if text[0] == "-" and not text.strip("-0.") else text


def money(value: Decimal | None) -> str | None:
    """Money as a string with 2 decimals: `fixed(value, 2)`, inlined (one per line and
    trace entry)."""
    if value is None:
        return None
    text = str(value)
    if text[-3:-2] != ".":  # not already 2 decimals without exponent (a `cents()` value)
        text = str(_half_up_round(_guard_round(value, _GUARD), _CENT))
    return text[1:] if text[0] == "-" and not text.strip("-0.") else text


def plain(value: Decimal | None, max_places: int = 12) -> str | None:
    """A share, rate or factor without trailing zeros (`0.5`, `1`), rounded half-up to
    `max_places` decimals when longer (a share of 1/3 shows as 0.333333333333)."""
    if value is None:
        return None
    text = str(value)
    if "E" not in text:
        whole, _, decimals = text.partition(".")
        decimals = decimals.rstrip("0")
        if len(decimals) <= max_places:
            return f"{whole}.{decimals}" if decimals else ("0" if whole == "-0" else whole)
    text = f"{round_half_up(value, max_places):f}"
    text = text.rstrip("0").rstrip(".") if "." in text else text
    return "0" if text in ("", "-0") else text


def ratio_text(value: Decimal) -> str:
    """A value for a trace, to 20 decimals at most (exact for every terminating value a
    plan and data of ordinary precision produce)."""
    return plain(value, 20) or "0"
