"""Indexes for adjustment lines: those a run carries, those an exception pays.

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-03 18:00:00

Reviewed by hand. `ledger.carried_problems` (every vote on a run, its lock, the inbox's
and the run page's "may I vote" check) reads a run's adjustment lines: with only
(run_id, participant_id) to go by, both databases read every line of the run (181,591
for the page benchmark's run: about 110 ms). A partial index on (run_id, id) of the
lines that adjust a period holds only those few lines, in the order they are read.
`disputes.adjustment.outcomes` (the disputes list) looks adjustment lines up by their
exception's label (`rule`): a partial index on `rule` of the adjustment lines (93 -> 8 ms
on the same data, instead of a scan of every line of every run).
"""

from alembic import op
import sqlalchemy as sa


revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None

ADJUSTING = "adjusts_period IS NOT NULL"
ADJUSTMENT = "kind = 'adjustment'"


def upgrade() -> None:
    op.create_index(
        "ix_payout_lines_run_adjusting",
        "payout_lines",
        ["run_id", "id"],
        unique=False,
        postgresql_where=sa.text(ADJUSTING),
        sqlite_where=sa.text(ADJUSTING),
    )
    op.create_index(
        "ix_payout_lines_adjustment_rule",
        "payout_lines",
        ["rule"],
        unique=False,
        postgresql_where=sa.text(ADJUSTMENT),
        sqlite_where=sa.text(ADJUSTMENT),
    )


def downgrade() -> None:
    op.drop_index("ix_payout_lines_adjustment_rule", table_name="payout_lines")
    op.drop_index("ix_payout_lines_run_adjusting", table_name="payout_lines")
