"""`engine_input._num` (a stored number's text, with a fast path for plain column
values) gives `normalise_decimal`'s text for every value a Money or Ratio column holds."""

from __future__ import annotations

from decimal import Decimal
from random import Random

from governance.engine_input import _num
from rules.canonical import normalise_decimal


def test_same_text_as_normalise_decimal():
    rnd = Random(7)
    values = [Decimal(x) for x in ("0.000000", "-0.000000", "100", "100.000000", "1E+2")]
    values += [Decimal("0.000000000001"), Decimal("-1.500000"), Decimal("0.1000"), Decimal("-0")]
    for _ in range(20_000):
        scale = rnd.choice([0, 2, 6, 12])
        digits = rnd.randrange(1, 19)
        value = Decimal(rnd.randrange(-(10**digits), 10**digits)).scaleb(-scale)
        values.append(value.quantize(Decimal(1).scaleb(-scale)) if scale else value)
    assert all(_num(v) == normalise_decimal(v) for v in values)
    assert _num(None) is None
