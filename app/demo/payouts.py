"""The demo's payout runs: the past quarters closed and locked, the current one a draft.

Through `governance.payout_runs` and `governance.payout_close`, with the demo users:

- 2026-Q1, Q2 and Q3: started by the comp admin (Claire Donovan), approved by the
  committee's vote under the `payout_run` rule (default: finance and revops; Henrik
  Larsen fills finance, Theo Lambert revops: one person fills one function), then
  locked by Claire for payroll. Reps and managers see their statements of these runs.
- 2026-Q4 (the current quarter, so far): a draft run started by Claire with one
  approval (Theo's): Henrik's vote would approve it, so the finance member has a run to
  vote on. It is built last, after the disputes (app/demo/disputes.py), so that an
  accepted dispute's approved adjustment and any prior-period adjustment show in it.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.demo.users import AUTHOR, FINANCE, REVOPS, DemoUsers
from governance.payouts import close as payout_close
from governance.payouts import runs as payout_runs
from models.payouts import PayoutRun

CLOSED_QUARTERS = ("2026-Q1", "2026-Q2", "2026-Q3")
CURRENT_QUARTER = "2026-Q4"


def _vote(session: Session, users: DemoUsers, run: PayoutRun, email: str, comment: str | None):
    payout_close.cast_run_vote(
        session,
        users[email],
        run.id,
        decision="approve",
        content_hash=payout_close.run_content_hash(run),
        comment=comment,
    )


def close_past_quarters(session: Session, users: DemoUsers) -> list[PayoutRun]:
    """Run, approve, lock and publish 2026-Q1..Q3, oldest first (a later run replays the
    earlier)."""
    runs = []
    for period in CLOSED_QUARTERS:
        run = payout_runs.start_run(session, users[AUTHOR], period)
        _vote(session, users, run, FINANCE, f"{period} ties out to the bookings report.")
        _vote(session, users, run, REVOPS, None)
        payout_close.lock_run(session, users[AUTHOR], run.id, note="sent to payroll")
        payout_close.publish_run(session, users[AUTHOR], run.id)
        runs.append(run)
    return runs


def open_current_quarter(session: Session, users: DemoUsers) -> PayoutRun:
    """The current quarter's draft run, with revops' approval and finance's still to come."""
    run = payout_runs.start_run(session, users[AUTHOR], CURRENT_QUARTER)
    _vote(session, users, run, REVOPS, "Q4 so far: numbers look right to revops.")
    return run


def run_states(session: Session) -> dict[str, int]:
    """Payout runs per state."""
    rows = session.execute(select(PayoutRun.state, func.count()).group_by(PayoutRun.state)).all()
    return dict(sorted(rows))
