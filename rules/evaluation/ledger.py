"""Lines and the ledger that carries a plan's history from one period to the next.

A `Line` is one row of a statement. The `Ledger` remembers, per plan, what every earlier
period left behind: lines still held (to release or forfeit later), what was paid on each
deal and when (for clawbacks), what clawbacks already recovered, and draw balances.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from rules.evaluation.numbers import ZERO

KINDS = (
    "commission",
    "spif",
    "release",
    "clawback",
    "forfeit",
    "adjustment",
    "draw",
    "draw_recovery",
)
KIND_ORDER = {kind: index for index, kind in enumerate(KINDS)}


@dataclass(slots=True)
class Line:
    kind: str
    participant: str
    amount: Decimal
    status: str
    rule: str | None
    deal: str | None = None
    close_date: date | None = None
    share: Decimal | None = None
    credit: Decimal | None = None
    rate: Decimal | None = None
    trace: list = field(default_factory=list)
    # Tie-break after (kind, close date, deal): rule order, spif order, event order.
    order: tuple = ()

    def sort_key(self) -> tuple:
        return (
            KIND_ORDER[self.kind],
            self.close_date or date.min,
            self.deal or "",
            self.order,
        )


@dataclass(slots=True)
class Held:
    """A commission or spif line held past the end of its period."""

    participant: str
    deal: str
    close_date: date
    kind: str
    rule: str
    amount: Decimal
    release: date | None  # None: until the data supplies a date
    period: str  # the period the line was created in
    gates: tuple[str, ...]
    order: tuple
    done: bool = False  # released or forfeited


@dataclass
class Ledger:
    held: list[Held] = field(default_factory=list)
    # (participant, deal) -> [(date counted as paid, amount)]
    paid: dict[tuple[str, str], list[tuple[date, Decimal]]] = field(default_factory=dict)
    recovered: dict[tuple[str, str], Decimal] = field(default_factory=dict)
    draw_balance: dict[str, Decimal] = field(default_factory=dict)
    # deal -> participants with paid or held lines on it (for clawbacks)
    by_deal: dict[str, set[str]] = field(default_factory=dict)
    held_by_deal: dict[str, list[Held]] = field(default_factory=dict)

    def pay(self, participant: str, deal: str, day: date, amount: Decimal) -> None:
        entries = self.paid.get((participant, deal))
        if entries is not None:
            entries.append((day, amount))
            return
        self.paid[(participant, deal)] = [(day, amount)]
        self.by_deal.setdefault(deal, set()).add(participant)

    def hold(self, held: Held) -> None:
        self.held.append(held)
        self.held_by_deal.setdefault(held.deal, []).append(held)
        self.by_deal.setdefault(held.deal, set()).add(held.participant)

    def pending_releases(self, start: date, end: date) -> list[Held]:
        """Held lines whose release date falls in [start, end]; drops finished ones."""
        self.held = [h for h in self.held if not h.done]
        return [h for h in self.held if h.release is not None and start <= h.release <= end]

    def paid_by(self, participant: str, deal: str, day: date) -> Decimal:
        """Paid on the deal by `day` (inclusive), less what clawbacks already recovered."""
        total = sum((a for d, a in self.paid.get((participant, deal), ()) if d <= day), ZERO)
        return total - self.recovered.get((participant, deal), ZERO)


@dataclass
class Statement:
    participant: str
    quota: Decimal | None = None
    credited: Decimal = ZERO
    lines: list[Line] = field(default_factory=list)
    payable: Decimal = ZERO
    held: Decimal = ZERO
    draw_balance: Decimal = ZERO
    holds: list[Held] = field(default_factory=list)  # lines created held in this period

    @property
    def attainment(self) -> Decimal | None:
        return self.credited / self.quota if self.quota else None
