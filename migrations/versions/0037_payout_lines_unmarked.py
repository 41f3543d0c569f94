"""An index of the adjustment lines a build has not marked yet.

Revision ID: 0037
Revises: 0036
Create Date: 2026-12-04 12:20:00

Reviewed by hand. After a build writes its lines, `adjustments.mark_adjustments` reads
the run's adjustment lines whose `adjusts_period` is not filled in yet. With only
(run_id, participant_id) to go by, SQLite read every line of the run: 51 ms of a 0.2-0.3 s
re-run after one deal changed, at 181,824 lines. A re-run is meant to cost what changed.
This partial index holds only those unmarked lines, so it is empty once a build is done.
"""

from alembic import op
import sqlalchemy as sa


revision = "0037"
down_revision = "0036"
branch_labels = None
depends_on = None

UNMARKED = "kind = 'adjustment' AND adjusts_period IS NULL"


def upgrade() -> None:
    op.create_index(
        "ix_payout_lines_run_unmarked",
        "payout_lines",
        ["run_id"],
        unique=False,
        postgresql_where=sa.text(UNMARKED),
        sqlite_where=sa.text(UNMARKED),
    )


def downgrade() -> None:
    op.drop_index("ix_payout_lines_run_unmarked", table_name="payout_lines")
