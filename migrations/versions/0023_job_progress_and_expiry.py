"""Background jobs: an import's progress while it runs; an export's file expiring.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-03 15:00:00

Reviewed by hand. `progress_done` / `progress_total`: the records an import has read and
checked (written in its transaction) of all it holds, written by the worker while the
job runs (PostgreSQL; on SQLite, whose one write lock the import holds, a progress file
beside the database). `output_expired_at`: when the expiry task deleted an export's file
(ACCORD_EXPORT_KEEP_DAYS after the job finished); the download then answers 410. Both
databases add and drop the columns in place.
"""

from alembic import op
import sqlalchemy as sa


revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("progress_done", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("progress_total", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("output_expired_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("output_expired_at")
        batch.drop_column("progress_total")
        batch.drop_column("progress_done")
