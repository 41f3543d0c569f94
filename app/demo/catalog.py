"""Fixed vocabularies of the demo data: account names, products, channels, distributions.

Distributions are integer weights over integer ranges, so that generation draws only
integers from `random.Random` (whose integer methods are stable across platforms and
Python versions) and money is built from them as `Decimal`, never through float.
"""

from __future__ import annotations

import random
from datetime import date
from decimal import Decimal

CENT = Decimal("0.01")
# Dated FX rates (spec section 3, v1.1): (pair, rate, from). The year's budget rates from
# the first day of the demo year, and a routine refresh in November, in the open quarter:
# the locked quarters keep converting at the budget rates.
FX_RATES = (
    ("EUR/USD", Decimal("1.08"), date(2026, 1, 1)),
    ("EUR/USD", Decimal("1.10"), date(2026, 11, 2)),
    ("GBP/USD", Decimal("1.27"), date(2026, 1, 1)),
    ("GBP/USD", Decimal("1.25"), date(2026, 11, 2)),
)


def fx_rate(pair: str, day: date) -> Decimal:
    """The rate of `pair` in force on `day`: the latest `from` on or before it."""
    return max((r for r in FX_RATES if r[0] == pair and r[2] <= day), key=lambda r: r[2])[1]


PRODUCTS_CORE = "core"
ADD_ONS = ("analytics", "integrations", "data-cloud", "premium-support", "sandbox")

# (weight, low, high, step) of the list price in the deal's currency: most deals are
# small, a few are very large (a long right tail, as real bookings are).
LIST_PRICE = {
    "new": (
        (50, 3_000, 15_000, 250),
        (30, 15_000, 40_000, 500),
        (14, 40_000, 120_000, 1_000),
        (5, 120_000, 300_000, 2_500),
        (1, 300_000, 750_000, 5_000),
    ),
    "expansion": (
        (60, 1_500, 10_000, 250),
        (30, 10_000, 30_000, 500),
        (10, 30_000, 100_000, 1_000),
    ),
    "renewal": (
        (45, 4_000, 20_000, 250),
        (40, 20_000, 70_000, 500),
        (15, 70_000, 250_000, 1_000),
    ),
}

# (weight, low, high) in hundredths.
DISCOUNT = {
    "new": ((12, 0, 0), (58, 2, 15), (22, 16, 20), (8, 21, 35)),
    "expansion": ((25, 0, 0), (55, 2, 15), (14, 16, 20), (6, 21, 30)),
    "renewal": ((40, 0, 0), (55, 1, 10), (5, 11, 25)),
}
GROSS_MARGIN = ((4, 12, 24), (10, 25, 45), (86, 46, 88))
TERM_MONTHS = ((70, 12), (12, 24), (11, 36), (4, 6), (3, 18))
RENEWAL_TERM_MONTHS = ((82, 12), (10, 24), (8, 36))
# Days from close to cash; None = not collected (an overdue invoice).
CASH_LAG = ((55, 0, 30), (25, 31, 60), (12, 61, 120), (8, None, None))
CSAT = tuple(zip((1, 1, 2, 2, 4, 6, 10, 18, 22, 16), range(1, 11), strict=True))  # (weight, score)
TOUCH_COUNT = ((20, 1), (25, 2), (25, 3), (15, 4), (10, 5), (5, 6))
LEAD_SOURCE = ((45, "inbound"), (30, "outbound"), (15, "partner"), (10, "event"))

# Marketing people, the regions they work (None = every region) and their channels.
MARKETERS = {
    "liam-foster": (None, ("paid_search", "content", "email", "webinar")),
    "megan-clarke": (None, ("event", "trade_show", "webinar")),
    "omar-farouk": (None, ("paid_search", "social", "content")),
    "chiara-bianchi": ("EMEA", ("field_event", "partner", "event")),
    "daniel-wu": ("APAC", ("field_event", "partner", "event")),
}

_PREFIXES = (  # noqa: SIM905
    "Acme Blue Bright Cedar Clear Coastal Copper Crescent Crystal Delta Eagle Elm "
    "Ember Evergreen Falcon Fern Frontier Golden Granite Harbor Hawk Highland "
    "Horizon Iron Juniper Keystone Lakeside Lighthouse Maple Meadow Meridian Metro "
    "Nimbus North Northgate Oak Orchid Pacific Peak Pine Pioneer Polar Prairie "
    "Quartz Rapid Raven Redwood Ridge River Sapphire Sierra Silver Solar Sterling "
    "Stone Summit Sun Tidal Trident Union Vertex Willow Zenith"
).split()
_INDUSTRIES = (  # noqa: SIM905
    "Analytics Bank Biotech Brands Capital Clinics Logistics Energy Foods Freight "
    "Health Insurance Labs Media Motors Pharma Retail Robotics Shipping Software "
    "Systems Telecom Textiles Travel Utilities"
).split()
_LEGAL = {
    "NA": ("Inc.", "LLC", "Corp."),
    "EMEA": ("GmbH", "Ltd", "SAS", "S.p.A.", "AB", "BV"),
    "APAC": ("Pte Ltd", "Pty Ltd", "K.K.", "Ltd"),
}


class AccountNames:
    """Unique company names, drawn without replacement; numbered once the pool runs out."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.order = list(range(len(_PREFIXES) * len(_INDUSTRIES)))
        rng.shuffle(self.order)
        self.used = 0

    def next(self, region: str) -> str:
        index = self.order[self.used % len(self.order)]
        rounds = self.used // len(self.order)
        self.used += 1
        prefix, industry = divmod(index, len(_INDUSTRIES))
        legal = self.rng.choice(_LEGAL[region])
        name = f"{_PREFIXES[prefix]} {_INDUSTRIES[industry]} {legal}"
        return name if rounds == 0 else f"{name} ({rounds + 1})"


def pick(rng: random.Random, table):
    """A row of a (weight, ...) table, chosen by weight."""
    total = sum(row[0] for row in table)
    roll = rng.randrange(total)
    for row in table:
        roll -= row[0]
        if roll < 0:
            return row
    raise AssertionError("unreachable")  # pragma: no cover


def hundredths(rng: random.Random, table) -> Decimal:
    """A ratio such as 0.42 from a (weight, low, high) table in hundredths."""
    _weight, low, high = pick(rng, table)
    return (Decimal(rng.randint(low, high)) / 100).quantize(CENT)


def list_price(rng: random.Random, deal_type: str) -> Decimal:
    _weight, low, high, step = pick(rng, LIST_PRICE[deal_type])
    return Decimal(rng.randrange(low, high + 1, step))
