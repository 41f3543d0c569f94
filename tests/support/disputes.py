"""Test data for disputes: participants, a locked payout run with lines, a rep and a manager.

Runs are written row by row (not through a payout run) so the dispute tests stay fast and
independent of the engine: a draft run gets its lines, then is approved and locked, the
only order migration 0005's guards accept.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from itertools import count

from sqlalchemy.orm import Session

from models import Participant
from models.payouts import PayoutLine, PayoutRun
from tests.support.payout_close import advance_run

_n = count(1)


@dataclass
class Lines:
    run: PayoutRun
    ana: PayoutLine  # ana's line (a rep managed by mia)
    ana2: PayoutLine  # a second line of ana's
    bob: PayoutLine  # bob's line (another rep, managed by nobody here)


def participants(db: Session, suffix: str = "") -> tuple[str, str, str]:
    """mia manages ana; bob has no manager. Returns their ids."""
    mia, ana, bob = f"mia{suffix}", f"ana{suffix}", f"bob{suffix}"
    db.add(Participant(id=mia, name="Mia Manager"))
    db.flush()
    db.add(Participant(id=ana, name="Ana Rep", manager_id=mia))
    db.add(Participant(id=bob, name="Bob Rep"))
    db.flush()
    return mia, ana, bob


def run_with_lines(
    db: Session,
    ana: str,
    bob: str,
    *,
    state: str = "published",
    period: str | None = None,
    plan_key: str = "plan-a",
) -> Lines:
    n = next(_n)
    period = period or f"20{10 + n % 80:02d}-Q{1 + n % 4}"
    run = PayoutRun(
        period=period,
        period_start=date(2026, 7, 1),
        period_end=date(2026, 9, 30),
        state="draft",
        input_data_hash="sha256:" + "0" * 64,
        exceptions_hash="sha256:" + "0" * 64,
    )
    db.add(run)
    db.flush()

    def line(participant: str, i: int, amount: str) -> PayoutLine:
        item = PayoutLine(
            run_id=run.id,
            line_key=f"{participant}|{plan_key}|commission|D-{i}|rate|0",
            participant_id=participant,
            deal_id=f"D-{i}",
            plan_key=plan_key,
            plan_version_hash="sha256:" + "1" * 64,
            kind="commission",
            rule="rate",
            status="payable",
            amount=Decimal(amount),
            currency="USD",
            position=i,
            trace=[],
        )
        db.add(item)
        return item

    lines = Lines(run, line(ana, 1, "1200.00"), line(ana, 2, "80.00"), line(bob, 3, "500.00"))
    db.flush()
    advance_run(db, run, state)
    return lines
