"""Payout figures over HTTP: what the run page and the finance page chart.

    GET /payout-runs/<id>/figures   payable by plan and team, statements per payable
                                    bucket, the change against the previous period's run
    GET /payout-runs/finance        per locked run and currency: earned, held (new and
                                    outstanding), released, clawed back, paid

Reading needs `statements.read_all`, as reading a run does. Numbers as decimal text.
"""

from __future__ import annotations

from app.api.payouts import blp
from app.api.payouts.schemas import FinanceSchema, RunFiguresSchema
from app.auth.decorators import permission_required
from app.database import db_session
from app.errors import ErrorSchema
from governance.payouts import figures as payout_figures
from governance.payouts import overview as payout_overview
from governance.payouts import runs as payout_runs


@blp.route("/<int:run_id>/figures")
@permission_required(payout_overview.READ)
@blp.response(200, RunFiguresSchema)
@blp.alt_response(404, schema=ErrorSchema)
def run_figures(run_id: int):
    """The run's figures: payable by plan and by team (the participant's team on the
    plan's assignment overlapping the period), statements per payable bucket, and
    payable by plan against the previous period's run."""
    session = db_session()
    return payout_figures.run_figures(session, payout_runs.get_run(session, run_id))


@blp.route("/finance")
@permission_required(payout_overview.READ)
@blp.response(200, FinanceSchema)
def finance():
    """Per locked run (oldest period first) and currency: earned, held this period,
    released, clawed back, paid, and held outstanding at the period's end (see
    docs/decisions.md, "Run figures and the finance view")."""
    return {"items": payout_figures.finance_periods(db_session())}
