"""`/api/v1/payout-runs`: payout runs (runs.py: start, build jobs, runs and their lines)
and their close (close.py: the committee's votes, the tally, the lock), one blueprint."""

from flask_smorest import Blueprint

blp = Blueprint(
    "payouts", __name__, url_prefix="/payout-runs", description="Payout runs of a period"
)

from app.api.payouts import close, figures, runs  # noqa: E402, F401 - their routes join blp
