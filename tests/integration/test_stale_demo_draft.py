"""The demo's stale 2026-Q4 draft (issue 11), on SQLite and PostgreSQL: revops approved
the draft built on ae-plan/2; ae-plan/3 is activated for Q4; the draft then says it is
stale naming both versions, finance's vote is refused, and the re-run voids revops'
approval with an audit record naming the change and records each rep's payable move.

Uses the demo loaded once per backend by tests/integration/test_demo_history.py's
fixtures (imported here); every write is rolled back."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.demo.history import AE_PLAN_V1_EDITS, EXAMPLES, edited, example_text
from app.demo.payouts import CURRENT_QUARTER
from app.demo.users import AUTHOR, FINANCE, REVOPS
from governance.errors import Conflict
from governance.payouts import build_diff, overview
from governance.payouts import close as payout_close
from governance.payouts.runs import start_run
from governance.payouts.staleness import stale_changes
from models import AuditRecord, User
from models.payouts import PayoutRun
from tests.integration.payout_support import activate_plan
from tests.integration.test_demo_history import demo, session  # noqa: F401 (fixtures)

CHANGE = "ae-plan: was ae-plan/2, now ae-plan/3"


def _user(db, email: str) -> User:
    return db.scalar(select(User).where(User.email == email))


def test_the_demo_q4_draft_goes_stale_when_ae_plan_3_is_activated(session):  # noqa: F811
    db = session
    run = db.scalars(select(PayoutRun).where(PayoutRun.period == CURRENT_QUARTER)).one()
    assert run.state == "draft" and stale_changes(db, run) == []
    assert overview.freshness(db, run)["plan_version_labels"]["ae-plan"] == ["ae-plan/2"]
    [revops_vote] = payout_close.run_votes(db, run)
    assert revops_vote.voter_id == _user(db, REVOPS).id
    payable_before = overview.totals_by_currency(db, run)

    # ae-plan/3: the accelerator back to x1.25 for Q4.
    text = edited(example_text("ae-plan"), AE_PLAN_V1_EDITS).replace("title: ", "title: Q4 ", 1)
    activate_plan(db, text=text, effective=date(2026, 10, 1), base_dir=EXAMPLES)
    [change] = stale_changes(db, run)
    assert change["text"] == CHANGE
    with pytest.raises(Conflict, match=r"is stale: .*ae-plan: was ae-plan/2, now ae-plan/3"):
        payout_close.cast_run_vote(
            db,
            _user(db, FINANCE),
            run.id,
            decision="approve",
            content_hash=payout_close.run_content_hash(run),
        )

    run = start_run(db, _user(db, AUTHOR), CURRENT_QUARTER)
    assert stale_changes(db, run) == [] and payout_close.run_votes(db, run) == []
    voided = db.scalars(
        select(AuditRecord).where(
            AuditRecord.object_id == run.label, AuditRecord.action == "payout_run.votes_voided"
        )
    ).one()
    assert voided.payload["approvals_by"] == [revops_vote.voter_id]
    assert voided.payload["changes"] == [CHANGE]
    build = build_diff.build_of(db, run)
    moved, total = build_diff.payable_changes(db, build, limit=500)
    assert total > 0 and all(m["change"] != Decimal(0) for m in moved)
    after = {t["currency"]: t["payable"] for t in overview.totals_by_currency(db, run)}
    for t in build_diff.change_totals(db, build):
        before = next(b["payable"] for b in payable_before if b["currency"] == t["currency"])
        assert t["change"] == after[t["currency"]] - before
    print(
        "the re-run moved",
        [(t["currency"], str(t["change"])) for t in build_diff.change_totals(db, build)],
    )
