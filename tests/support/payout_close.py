"""Builders for the close tests: a payout run row in a given state, without a real run.

The close (votes, approval, lock) works on any run; building one by hand keeps these
tests independent of the run itself (tests/integration/test_payout_runs*.py).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from models import Participant
from models.base import utcnow
from models.payouts import PayoutLine, PayoutRun, Statement

H = "sha256:" + "0" * 64


def make_run(db, starter, period: str = "2026-Q1", *, state: str = "draft", lines=1):
    """A run of `period` started by `starter`, with `lines` commission lines for ana."""
    if db.get(Participant, "ana") is None:
        db.add(Participant(id="ana", name="Ana"))
    year, quarter = int(period[:4]), int(period[-1])
    start = date(year, 3 * quarter - 2, 1)
    end = date(year + (quarter == 4), (3 * quarter) % 12 + 1, 1)
    run = PayoutRun(
        period=period,
        period_start=start,
        period_end=date.fromordinal(end.toordinal() - 1),
        state="draft",
        started_by_id=getattr(starter, "id", None),
        input_data_hash=H,
        plan_versions={"ae-plan": [H]},
        exceptions_hash=H,
        result_hash=H,
    )
    db.add(run)
    db.flush()
    for n in range(lines):
        db.add(
            PayoutLine(
                run_id=run.id,
                line_key=f"ana|ae-plan|commission|D-{n}|owner|0",
                participant_id="ana",
                deal_id=f"D-{n}",
                plan_key="ae-plan",
                plan_version_hash=H,
                kind="commission",
                rule="owner",
                status="payable",
                amount=Decimal("100.00"),
                currency="USD",
                position=n,
                trace=[],
            )
        )
    db.add(
        Statement(
            run_id=run.id,
            participant_id="ana",
            plan_key="ae-plan",
            plan_version_hash=H,
            currency="USD",
            credited=Decimal(0),
            earned=Decimal(100 * lines),
            held=Decimal(0),
            released=Decimal(0),
            clawed_back=Decimal(0),
            draw=Decimal(0),
            draw_balance=Decimal(0),
            payable=Decimal(100 * lines),
            line_count=lines,
            input_hash=H,
            result_hash=H,
        )
    )
    db.flush()
    advance_run(db, run, state)
    return run


def advance_run(db, run, state: str) -> None:
    """Move a hand-built draft run on to `state` (approved, locked, or "published": locked
    and published to its reps), stamping the times."""
    if state in ("approved", "locked", "published"):
        run.state, run.approved_at = "approved", utcnow()
        db.flush()
    if state in ("locked", "published"):
        run.state, run.locked_at = "locked", utcnow()
        if state == "published":
            run.published_at = run.locked_at
        db.flush()


def approve_by_vote(db, run) -> None:
    """Approve a draft run the way the close does: finance and revops vote for it."""
    from governance.accounts import create_user
    from governance.payouts import close as payout_close

    for function in ("finance", "revops"):
        member = create_user(
            db,
            email=f"run{run.id}-{function}@example.test",
            name=f"{function} member",
            password="correct horse battery",
            roles=["committee"],
            functions=[function],
        )
        payout_close.cast_run_vote(
            db,
            member,
            run.id,
            decision="approve",
            content_hash=payout_close.run_content_hash(run),
        )
    assert run.state == "approved"
