"""Payout run jobs on a task queue: when a job was handed to the broker, and attempts.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03 09:00:00

Reviewed by hand. Jobs are now run by Celery workers (app/tasks/), not a thread of the
web process. `published_at` is set once the broker accepted the job's task: a queued job
without it (the web process died between its commit and the publish) is published again
by the sweep. `attempts` counts the deliveries that claimed it (a redelivery after a
worker was lost adds one). `early`: the job runs a period not begun (the pages queue
early runs too). `worker` now names the Celery worker that claimed it last.
Both databases add and drop the columns in place.
"""

from alembic import op
import sqlalchemy as sa


revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "payout_run_jobs", sa.Column("published_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column(
        "payout_run_jobs",
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
    )
    op.add_column(
        "payout_run_jobs",
        sa.Column("early", sa.Boolean(), server_default=sa.false(), nullable=False),
    )


def downgrade() -> None:
    op.drop_column("payout_run_jobs", "early")
    op.drop_column("payout_run_jobs", "attempts")
    op.drop_column("payout_run_jobs", "published_at")
