"""A fanned-out run's batches staged as typed rows.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03 12:00:00

Reviewed by hand. New tables only: `payout_run_job_statements` and `payout_run_job_lines`
hold a batch's statement and line rows (the columns of `statements` and `payout_lines`
that a build writes, run id left out) until the finalizer moves them into the run with
INSERT ... SELECT; `payout_run_job_staged` keeps only the batch's summary (people, input
hashes, problems). Deleted with their job (CASCADE); they belong to no run. Staged JSON
documents of 0018 (a job building across the upgrade) are not converted: such a job's
finalizer fails it visibly and the period can be run again.
"""

from alembic import op
import sqlalchemy as sa


revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

MONEY = sa.Numeric(24, 6, asdecimal=True)
RATIO = sa.Numeric(18, 12, asdecimal=True)


def _job(table: str) -> list:
    return [
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["payout_run_jobs.id"],
            name=op.f(f"fk_{table}_job_id_payout_run_jobs"),
            ondelete="CASCADE",
        ),
    ]


def upgrade() -> None:
    op.create_table(
        "payout_run_job_statements",
        *_job("payout_run_job_statements"),
        sa.Column("participant_id", sa.String(length=64), nullable=False),
        sa.Column("plan_key", sa.String(length=63), nullable=False),
        sa.Column("plan_version_hash", sa.String(length=71), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("quota", MONEY, nullable=True),
        sa.Column("credited", MONEY, nullable=False),
        sa.Column("attainment", RATIO, nullable=True),
        sa.Column("earned", MONEY, nullable=False),
        sa.Column("held", MONEY, nullable=False),
        sa.Column("released", MONEY, nullable=False),
        sa.Column("clawed_back", MONEY, nullable=False),
        sa.Column("draw", MONEY, nullable=False),
        sa.Column("draw_balance", MONEY, nullable=False),
        sa.Column("payable", MONEY, nullable=False),
        sa.Column("line_count", sa.Integer(), nullable=False),
        sa.Column("input_hash", sa.String(length=71), nullable=False),
        sa.Column("result_hash", sa.String(length=71), nullable=False),
    )
    op.create_index(
        "ix_payout_run_job_statements_job_number",
        "payout_run_job_statements",
        ["job_id", "number"],
    )
    op.create_table(
        "payout_run_job_lines",
        *_job("payout_run_job_lines"),
        sa.Column("line_key", sa.String(length=400), nullable=False),
        sa.Column("participant_id", sa.String(length=64), nullable=False),
        sa.Column("deal_id", sa.String(length=64), nullable=True),
        sa.Column("plan_key", sa.String(length=63), nullable=False),
        sa.Column("plan_version_hash", sa.String(length=71), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("rule", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("share", RATIO, nullable=True),
        sa.Column("credit", MONEY, nullable=True),
        sa.Column("rate", RATIO, nullable=True),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("trace", sa.JSON(), nullable=False),
    )
    op.create_index(
        "ix_payout_run_job_lines_job_number", "payout_run_job_lines", ["job_id", "number"]
    )


def downgrade() -> None:
    op.drop_index("ix_payout_run_job_lines_job_number", table_name="payout_run_job_lines")
    op.drop_table("payout_run_job_lines")
    op.drop_index(
        "ix_payout_run_job_statements_job_number", table_name="payout_run_job_statements"
    )
    op.drop_table("payout_run_job_statements")
