"""Fanned-out payout runs: a job's batches and their staged results.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03 10:15:00

Reviewed by hand. New tables only, and one nullable column on `payout_run_jobs` (`plan`:
what a fanned-out build was planned against). `payout_run_job_batches` holds each
participant batch a planner recorded and its state (pending, running, done: CHECK);
`payout_run_job_staged` holds a batch's evaluated result until the finalizer writes the
run from it. Both are deleted with their job (CASCADE). Staged rows belong to no run:
nothing that reads runs, statements or lines sees them.
"""

from alembic import op
import sqlalchemy as sa


revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("payout_run_jobs", sa.Column("plan", sa.JSON(), nullable=True))
    op.create_table(
        "payout_run_job_batches",
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("people_count", sa.Integer(), nullable=False),
        sa.Column("batch", sa.JSON(), nullable=False),
        sa.Column("adjustments", sa.JSON(), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "state IN ('pending', 'running', 'done')",
            name=op.f("ck_payout_run_job_batches_state_known"),
        ),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["payout_run_jobs.id"],
            name=op.f("fk_payout_run_job_batches_job_id_payout_run_jobs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("job_id", "number", name=op.f("pk_payout_run_job_batches")),
    )
    op.create_table(
        "payout_run_job_staged",
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["payout_run_jobs.id"],
            name=op.f("fk_payout_run_job_staged_job_id_payout_run_jobs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("job_id", "number", name=op.f("pk_payout_run_job_staged")),
    )


def downgrade() -> None:
    op.drop_table("payout_run_job_staged")
    op.drop_table("payout_run_job_batches")
    op.drop_column("payout_run_jobs", "plan")
