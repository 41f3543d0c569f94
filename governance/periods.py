"""Pay periods as the close sees them: which are locked (their pay never changes)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.base import utcnow
from models.payouts import PayoutRun


def today() -> date:
    """The close's today (UTC): whether a period has begun. Tests pin it here."""
    return utcnow().date()


def locked_period_keys(session: Session) -> set[str]:
    """Periods with a locked run: their data never changes (the effective-date check)."""
    return set(session.scalars(select(PayoutRun.period).where(PayoutRun.state == "locked")))


def is_period_locked(session: Session, day: date) -> bool:
    """True when `day` falls in a period whose run is locked."""
    stmt = select(PayoutRun.id).where(
        PayoutRun.state == "locked", PayoutRun.period_start <= day, PayoutRun.period_end >= day
    )
    return session.scalar(stmt.limit(1)) is not None
