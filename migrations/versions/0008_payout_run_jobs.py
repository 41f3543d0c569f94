"""Payout run jobs: runs requested over the API and built in the background.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24 23:50:00

Reviewed by hand. A new table only (no other table is touched, so no SQLite batch
rebuild and no trigger to recreate). The job row is operational state a client polls
while its run is built in another transaction (see models/payout_jobs.py):

- `state` is one of queued, building, done, failed (CHECK); `done` names its run (CHECK);
  progress stays within its total (CHECK).
- At most one job per period is queued or building (partial unique index, both
  databases support it), so two API starts of one period cannot both be accepted.
- `run_id` is SET NULL if a run row is ever deleted (runs are not deleted today).
"""

from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

STATES = "'queued', 'building', 'done', 'failed'"
ACTIVE = "'queued', 'building'"


def upgrade() -> None:
    op.create_table('payout_run_jobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=16), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('progress_done', sa.Integer(), nullable=False),
    sa.Column('progress_total', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=True),
    sa.Column('message', sa.Text(), nullable=True),
    sa.Column('problems', sa.JSON(), nullable=False),
    sa.Column('started_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('worker', sa.String(length=255), nullable=True),
    sa.CheckConstraint(f"state IN ({STATES})", name=op.f('ck_payout_run_jobs_state_known')),
    sa.CheckConstraint("state <> 'done' OR run_id IS NOT NULL", name=op.f('ck_payout_run_jobs_done_has_run')),
    sa.CheckConstraint('progress_done >= 0 AND progress_total >= 0 AND progress_done <= progress_total', name=op.f('ck_payout_run_jobs_progress_bounded')),
    sa.ForeignKeyConstraint(['run_id'], ['payout_runs.id'], name=op.f('fk_payout_run_jobs_run_id_payout_runs'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['started_by_id'], ['users.id'], name=op.f('fk_payout_run_jobs_started_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payout_run_jobs'))
    )
    op.create_index(op.f('ix_payout_run_jobs_period'), 'payout_run_jobs', ['period'], unique=False)
    op.create_index('uq_payout_run_jobs_one_active', 'payout_run_jobs', ['period'], unique=True, postgresql_where=sa.text(f"state IN ({ACTIVE})"), sqlite_where=sa.text(f"state IN ({ACTIVE})"))


def downgrade() -> None:
    op.drop_index('uq_payout_run_jobs_one_active', table_name='payout_run_jobs', postgresql_where=sa.text(f"state IN ({ACTIVE})"), sqlite_where=sa.text(f"state IN ({ACTIVE})"))
    op.drop_index(op.f('ix_payout_run_jobs_period'), table_name='payout_run_jobs')
    op.drop_table('payout_run_jobs')
