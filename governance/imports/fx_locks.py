"""FX rates into locked periods: refused unless the import says it is a correction.

A rate is in force from its date until its pair's next date, so importing one changes the
rate of every day from its date to that next date, and updating one the same days. When
any such day lies in a period whose payout run is locked, the import would restate paid
money: it is refused with the record's location and the locked periods it reaches,
unless marked as a correction (`accord import --correction`, `correction=true`). A
correction is audited with the rates it changed, and the next runs carry the locked
periods' prior-period adjustments, whose reason names the FX rate change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from governance.engine_input import stored_fx_rates
from governance.imports.sources import Batch
from models.payouts import PayoutRun
from rules.fx import FxTable
from rules.model import BEGINNING, FxRate
from rules.problems import Problem

CORRECTION_HINT = (
    "import it as a correction (accord import --correction, correction=true in the API) "
    "to restate them through prior-period adjustments, or date it in an open period"
)


@dataclass(frozen=True)
class LockedPeriod:
    name: str
    start: date
    end: date
    run_id: int


@dataclass(frozen=True)
class FxChange:
    """One imported rate that changes the rate in force on some days, and those days."""

    index: int  # the record's position in the batch's fx section
    rate: FxRate
    first_day: date
    last_day: date | None  # None: open-ended
    was: str  # the rate in force on those days before the import
    locked: list[LockedPeriod]

    def as_dict(self) -> dict:
        return {
            "pair": self.rate.pair,
            "rate": format(self.rate.rate, "f"),
            "from": self.rate.start.isoformat() if self.rate.start else None,
            "was": self.was,
            "locked_periods": [p.name for p in self.locked],
        }


def locked_periods(session: Session) -> list[LockedPeriod]:
    rows = session.execute(
        select(PayoutRun.id, PayoutRun.period, PayoutRun.period_start, PayoutRun.period_end)
        .where(PayoutRun.state == "locked")
        .order_by(PayoutRun.period_start, PayoutRun.period)
    )
    return [LockedPeriod(r.period, r.period_start, r.period_end, r.id) for r in rows]


def fx_changes(session: Session, typed: list[tuple[FxRate, object]], offset: int = 0):
    """The changes `typed` (a validated chunk of the fx section) makes to the stored rates,
    with the locked periods each reaches."""
    stored = stored_fx_rates(session)
    merged = {r.key: r for r in stored}
    index_of = {}
    for i, (rate, _raw) in enumerate(typed):
        merged[rate.key] = rate
        index_of[rate.key] = offset + i
    before, after = FxTable(stored), FxTable(merged.values())
    locked = locked_periods(session)
    changes = []
    for pair in sorted({rate.pair for rate, _raw in typed}):
        starts = sorted({r.key[1] for r in merged.values() if r.pair == pair})
        for k, start in enumerate(starts):
            new, old = after.rate_on(pair, start), before.rate_on(pair, start)
            if new is None or (old is not None and old.rate == new.rate):
                continue
            if new.key not in index_of:  # pragma: no cover - stored rates do not move
                continue
            end = starts[k + 1] - timedelta(days=1) if k + 1 < len(starts) else None
            reached = [p for p in locked if p.end >= start and (end is None or p.start <= end)]
            was = f"{format(old.rate, 'f')} ({old.since})" if old else "no rate"
            changes.append(FxChange(index_of[new.key], new, start, end, was, reached))
    return changes


def refusals(batch: Batch, changes: list[FxChange]) -> list[Problem]:
    """A located problem per change that reaches a locked period."""
    problems = []
    for change in changes:
        if not change.locked:
            continue
        rate = change.rate
        first = "the beginning" if change.first_day == BEGINNING else str(change.first_day)
        last = f"to {change.last_day}" if change.last_day else "on"
        names = ", ".join(p.name for p in change.locked)
        column = ".from" if rate.start else ".rate"
        problems.append(
            Problem(
                batch.locate("fx", change.index, column),
                f"{rate.pair} {format(rate.rate, 'f')} ({rate.since}) would change the rate "
                f"of deals closed from {first} {last} (was {change.was}), which reaches "
                f"locked period(s) {names}: {CORRECTION_HINT}",
            )
        )
    return problems
