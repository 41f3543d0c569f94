"""The typed, immutable form of a plan document and of the data it is evaluated on.

`rules.document` builds a `Plan` from YAML/JSON text and `rules.data` builds `Data`
from the section-3 JSON (both validate everything first); `rules.evaluate` reads
only these objects. Money, rates, shares and ratios are `Decimal`; dates are
`datetime.date`; lists are tuples so that every object is hashable and frozen.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:  # pragma: no cover - typing only
    from rules.conditions import Condition

PeriodKind = Literal["month", "quarter", "year"]
CreditKind = Literal["owner", "splits", "team", "manager_of", "touchpoints"]
AttributionModel = Literal[
    "first_touch", "last_touch", "linear", "u_shaped", "w_shaped", "time_decay"
]
TierBasis = Literal["attainment", "credited", "deal"]
TierMode = Literal["marginal", "retroactive"]
GateKind = Literal["block", "reduce", "hold"]
Recovery = Literal["full", "prorated"]
ExceptionKind = Literal["waive_gate", "waive_clawback", "override_split", "adjustment"]


# --------------------------------------------------------------------------- plan


@dataclass(frozen=True)
class CreditTarget:
    """The `to` of a credit rule."""

    kind: CreditKind
    role: str | None = None  # kind == "team"
    model: AttributionModel | None = None  # kind == "touchpoints"
    half_life_days: Decimal | None = None  # model == "time_decay"


@dataclass(frozen=True)
class CreditRule:
    id: str
    to: CreditTarget
    share: Decimal
    when: Condition | None = None  # deal.* fields only


@dataclass(frozen=True)
class EligibilityRule:
    id: str
    when: Condition


@dataclass(frozen=True)
class RateRule:
    id: str
    rate: Decimal
    when: Condition | None = None


@dataclass(frozen=True)
class Band:
    """Covers [lower, upper); `upper` is None only on the last band."""

    id: str
    lower: Decimal
    upper: Decimal | None
    multiplier: Decimal | None = None  # exactly one of multiplier / rate is set
    rate: Decimal | None = None


@dataclass(frozen=True)
class Tiers:
    basis: TierBasis
    mode: TierMode
    bands: tuple[Band, ...]


@dataclass(frozen=True)
class GateEffect:
    kind: GateKind
    factor: Decimal | None = None  # kind == "reduce"
    hold_field: str | None = None  # kind == "hold", a field path such as "deal.cash_collected_date"


@dataclass(frozen=True)
class Gate:
    id: str
    effect: GateEffect
    when: Condition | None = None


@dataclass(frozen=True)
class Caps:
    per_deal: Decimal | None = None
    per_period: Decimal | None = None


@dataclass(frozen=True)
class Clawback:
    id: str
    triggers: tuple[str, ...]
    recover: Recovery
    within_days: int | None = None  # exactly one of within_days / within_months is set
    within_months: int | None = None


@dataclass(frozen=True)
class Spif:
    id: str
    amount: Decimal
    when: Condition | None = None


@dataclass(frozen=True)
class Draw:
    id: str
    amount: Decimal
    recoverable: bool
    until: date | None = None


@dataclass(frozen=True)
class PlanTest:
    """An embedded test; `data` is the raw section-3 mapping (a path is resolved on load)."""

    name: str
    period: str
    data: Mapping[str, Any]
    expect: tuple[Mapping[str, Any], ...]


@dataclass(frozen=True)
class Plan:
    policy: str
    title: str
    currency: str
    period: PeriodKind
    credit: tuple[CreditRule, ...]
    rates: tuple[RateRule, ...]
    eligibility: tuple[EligibilityRule, ...] = ()
    tiers: Tiers | None = None
    gates: tuple[Gate, ...] = ()
    caps: Caps = field(default_factory=Caps)
    clawbacks: tuple[Clawback, ...] = ()
    spifs: tuple[Spif, ...] = ()
    draw: Draw | None = None
    tests: tuple[PlanTest, ...] = ()
    # "sha256:<hex>" of the canonical JSON of the parsed document (sorted keys, compact).
    version: str = ""
    # The parsed document as plain JSON-able data (decimals as strings); the hash input.
    document: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)


# --------------------------------------------------------------------------- data


@dataclass(frozen=True)
class Assignment:
    plan: str
    start: date
    end: date | None = None  # inclusive; None = open
    role: str | None = None
    team: str | None = None

    def recency(self) -> tuple:
        """Sort key, oldest first: start, then end (open last), then role and team."""
        return (self.start, self.end or date.max, self.role or "", self.team or "")

    def describe(self) -> str:
        """`AE/emea-1 from 2026-07-01 to 2026-08-15` (or `... open-ended`)."""
        who = "/".join(x for x in (self.role, self.team) if x) or "no role"
        return f"{who} from {self.start} " + (f"to {self.end}" if self.end else "open-ended")


@dataclass(frozen=True)
class Participant:
    id: str
    name: str | None = None
    hire_date: date | None = None
    region: str | None = None
    manager: str | None = None
    attributes: Mapping[str, Any] = field(default_factory=dict, hash=False)
    assignments: tuple[Assignment, ...] = ()


@dataclass(frozen=True)
class Quota:
    participant: str
    plan: str
    period: str  # "2026-07", "2026-Q3", "2026"
    amount: Decimal


@dataclass(frozen=True)
class SplitEntry:
    participant: str
    share: Decimal


@dataclass(frozen=True)
class TeamMember:
    participant: str
    role: str


@dataclass(frozen=True)
class Touchpoint:
    participant: str
    at: date
    channel: str | None = None
    milestone: str | None = None


@dataclass(frozen=True)
class Deal:
    id: str
    amount: Decimal
    currency: str
    close_date: date
    owner: str
    account: str | None = None
    type: str | None = None
    gross_margin: Decimal | None = None
    discount: Decimal | None = None
    term_months: int | None = None
    region: str | None = None
    products: tuple[str, ...] | None = None  # None: absent or null, not the empty list
    splits: tuple[SplitEntry, ...] | None = None
    team: tuple[TeamMember, ...] = ()
    touchpoints: tuple[Touchpoint, ...] = ()
    cash_collected_date: date | None = None
    attributes: Mapping[str, Any] = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class Event:
    deal: str
    kind: str
    date: date
    amount: Decimal | None = None


@dataclass(frozen=True)
class SplitOverride:
    participant: str
    share: Decimal


@dataclass(frozen=True)
class PayoutException:
    """An approved deal-desk exception; which fields are set depends on `kind`."""

    id: str
    kind: ExceptionKind
    deal: str | None = None
    gate: str | None = None  # waive_gate
    clawback: str | None = None  # waive_clawback
    plan: str | None = None  # override_split, adjustment
    credits: tuple[SplitOverride, ...] = ()  # override_split
    participant: str | None = None  # adjustment
    period: str | None = None  # adjustment
    amount: Decimal | None = None  # adjustment
    reason: str | None = None  # adjustment


BEGINNING = date.min  # the `from` of an undated FX rate, for ordering


@dataclass(frozen=True)
class FxRate:
    """`rate` units of the pair's second currency per 1 of its first, from `start` on
    (None: from the beginning of time)."""

    pair: str
    rate: Decimal
    start: date | None = None

    @property
    def since(self) -> str:
        """How a trace names the rate's date: "from 2026-10-01", "from the beginning"."""
        return f"from {self.start.isoformat()}" if self.start else "from the beginning"

    @property
    def key(self) -> tuple[str, date]:
        return self.pair, self.start or BEGINNING


@dataclass(frozen=True)
class Data:
    participants: tuple[Participant, ...] = ()
    quotas: tuple[Quota, ...] = ()
    deals: tuple[Deal, ...] = ()
    events: tuple[Event, ...] = ()
    exceptions: tuple[PayoutException, ...] = ()
    # dated rates, "EUR/USD" = USD per 1 EUR (rules/fx.py); a map form has no dates
    fx: tuple[FxRate, ...] = ()
