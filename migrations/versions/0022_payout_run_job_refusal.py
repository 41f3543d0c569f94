"""Payout run jobs: the kind of refusal that failed a job.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-03 13:30:00

Reviewed by hand. `refusal` names the governance refusal (`Conflict`, `RunRejected`, ...)
that failed the job, NULL when it did not fail on one (an unexpected error, a lost
worker). With it, `POST /api/v1/payout-runs {"wait": true}` queues the run on a worker
like any other and still answers a refused run with the status a build in the request
gave (app/errors.py maps the kind). Both databases add and drop the column in place.
"""

from alembic import op
import sqlalchemy as sa


revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("payout_run_jobs", sa.Column("refusal", sa.String(32), nullable=True))


def downgrade() -> None:
    op.drop_column("payout_run_jobs", "refusal")
