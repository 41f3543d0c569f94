"""The commission step's fast paths give what the plain code gave, value and text
(docs/decisions.md, "Commission step speed (issue 14)"): money/cents/fixed against their
definitions before, and the one-band path of `tiers.price` against the loop over bands.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from rules.evaluation import numbers, tiers
from rules.evaluation.numbers import EXACT, ZERO, exact_context
from rules.model import Band, Tiers

_HALF_UP = numbers._HALF_UP


def _fixed_before(value: Decimal | None, places: int) -> str | None:
    """`fixed` as it was: keyword-free context quantizes, `:f`, startswith."""
    if value is None:
        return None
    rounded = _HALF_UP.quantize(EXACT.quantize(value, Decimal("1e-30")), Decimal(1).scaleb(-places))
    text = f"{rounded:f}"
    return text[1:] if text.startswith("-") and not text.strip("-0.") else text


def _cents_before(value: Decimal) -> Decimal:
    rounded = _HALF_UP.quantize(EXACT.quantize(value, Decimal("1e-30")), Decimal("0.01"))
    return rounded if rounded else Decimal("0.00")


def _outcome(f, *args):
    try:
        return repr(f(*args))
    except ArithmeticError as exc:
        return type(exc).__name__


DECIMALS = st.builds(
    lambda digits, exponent, sign: Decimal(digits).scaleb(exponent) * sign,
    st.integers(0, 10**45),
    st.integers(-42, 6),
    st.sampled_from([1, -1]),
) | st.sampled_from(
    [Decimal("0"), Decimal("-0"), Decimal("-0.001"), Decimal("0.005"), Decimal("-0.005"),
     Decimal("0.00"), Decimal("-0.00"), Decimal("12.50"), Decimal("1E+5"), Decimal("1E-9")]
)  # fmt: skip


@settings(max_examples=2000, deadline=None)
@given(DECIMALS)
def test_money_cents_and_fixed_as_before(value):
    with exact_context():
        assert _outcome(numbers.money, value) == _outcome(_fixed_before, value, 2)
        assert _outcome(numbers.cents, value) == _outcome(_cents_before, value)
        for places in (0, 2, 4, 6, 8):
            assert _outcome(numbers.fixed, value, places) == _outcome(_fixed_before, value, places)
    assert numbers.money(None) is None and numbers.fixed(None, 4) is None


def test_money_of_a_cents_value_is_its_text():
    assert numbers.money(Decimal("-0.00")) == "0.00"
    assert numbers.money(Decimal("1234.50")) == "1234.50"
    assert numbers.money(Decimal("1.2E+3")) == "1200.00"
    assert numbers.money(Decimal("0.005")) == "0.01"
    assert numbers.money(Decimal("-0.005")) == "-0.01"
    assert Decimal("0.005").quantize(Decimal("0.01"), ROUND_HALF_UP) == Decimal("0.01")


def _price_by_loop(table, credit, base_rate, before):
    """Marginal pricing band by band, with no early return: the definition."""
    after = before + credit
    parts, covered = [], ZERO
    for bound in table:
        low = before if before > bound.lower else bound.lower
        high = after if bound.upper is None or after < bound.upper else bound.upper
        if high > low:
            parts.append((bound.band.id, str(high - low), str(bound.earns(base_rate))))
            covered += high - low
    unbanded = credit - covered
    if unbanded:
        parts.append((None, str(unbanded), str(ZERO)))
    return sum((Decimal(c) * Decimal(r) for _, c, r in parts), ZERO), parts, unbanded


CUTS = st.lists(st.decimals(0, 3, places=2), min_size=1, max_size=4, unique=True)


@settings(max_examples=500, deadline=None)
@given(
    CUTS,
    st.booleans(),
    st.decimals(0, 10**6, places=3),
    st.decimals(0, 10**6, places=2),
    st.sampled_from([Decimal("1"), Decimal("1000"), Decimal("2501000.00")]),
)
def test_one_band_path_prices_as_the_loop(cuts, gap, credit, before, scale):
    cuts = sorted(cuts)
    bands = []
    for n, lower in enumerate(cuts):
        upper = cuts[n + 1] if n + 1 < len(cuts) else None
        if gap and upper is not None:  # a gap after each band but the last
            upper = lower + (upper - lower) / 2
        bands.append(Band(f"b{n}", lower, upper, multiplier=Decimal(n + 1) / 2))
    plan_tiers = Tiers(basis="attainment", mode="marginal", bands=tuple(bands))
    rate = Decimal("0.06")
    with exact_context():
        table = tiers.bounds(plan_tiers, scale)
        priced = tiers.price(plan_tiers, table, credit, rate, before=before, final=before)
        commission, parts, unbanded = _price_by_loop(table, credit, rate, before)
    assert str(priced.commission) == str(commission)  # the same digits, not only the value
    assert [
        (p.band.id if p.band else None, str(p.credit), str(p.rate)) for p in priced.parts
    ] == parts
    assert bool(priced.unbanded) == bool(unbanded)
    if len(parts) == 1:
        assert str(priced.rate) == parts[0][2]
