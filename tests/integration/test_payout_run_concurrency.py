"""Real concurrent transactions on PostgreSQL: two runs of one period cannot be built at once."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from governance.errors import Conflict
from governance.payouts.runs import start_run
from models import PayoutRun
from tests.integration.payout_support import seed


@pytest.fixture
def pg(pg_engine):
    seed(pg_engine)
    return pg_engine


def test_a_second_start_while_the_first_is_building_is_refused(pg):
    with Session(pg) as first, Session(pg) as second:
        run_id = start_run(first, None, "2026-Q3").id  # built, not yet committed
        with pytest.raises(Conflict, match="being built"):
            start_run(second, None, "2026-Q3")
        second.rollback()
        first.commit()
    with Session(pg) as check:
        counts = dict(
            check.execute(select(PayoutRun.period, func.count()).group_by(PayoutRun.period)).all()
        )
        assert counts == {"2026-Q3": 1}
        # Once the first is committed, starting again re-runs that draft.
        again = start_run(check, None, "2026-Q3")
        check.commit()
        assert (again.id, again.version) == (run_id, 1)  # nothing changed: the same version


def test_the_database_refuses_a_second_draft_of_a_period(pg):
    with Session(pg) as first:
        start_run(first, None, "2026-Q3")
        first.commit()
    with Session(pg) as session:
        session.add(
            PayoutRun(
                period="2026-Q3",
                period_start=session.scalar(select(PayoutRun.period_start)),
                period_end=session.scalar(select(PayoutRun.period_end)),
                input_data_hash="sha256:x",
                exceptions_hash="sha256:y",
            )
        )
        with pytest.raises(Exception, match="uq_payout_runs_one_per_period"):
            session.flush()
