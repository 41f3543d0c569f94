"""Payout builds keep the statements and lines a re-run replaced (issue 16).

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-04 01:00:00

Reviewed by hand. "What changed since the run's previous build" compares line by line:
a re-run copies the statements it replaces or removes, with their lines, into
`payout_build_statements` / `payout_build_lines` before deleting them, and marks the
statements it adds; a run keeps these for its latest build only. `payout_builds` gains
`kept_replaced` (false for the builds recorded before this revision: those compare per
statement, as before). New tables and one added column: no SQLite batch rebuild, no
trigger to recreate. All cascade with their run and build.
"""

from alembic import op
import sqlalchemy as sa


revision = "0034"
down_revision = "0033"
branch_labels = None
depends_on = None

MONEY = sa.Numeric(24, 6, asdecimal=True)
RATIO = sa.Numeric(18, 12, asdecimal=True)


def upgrade() -> None:
    op.add_column(
        "payout_builds",
        sa.Column("kept_replaced", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.create_table(
        "payout_build_statements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("build_id", sa.Integer(), nullable=True),
        sa.Column("participant_id", sa.String(length=64), nullable=False),
        sa.Column("plan_key", sa.String(length=63), nullable=False),
        sa.Column("change", sa.String(length=8), nullable=False),
        sa.Column("plan_version_hash", sa.String(length=71), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("payable", MONEY, nullable=True),
        sa.ForeignKeyConstraint(
            ["build_id"],
            ["payout_builds.id"],
            name=op.f("fk_payout_build_statements_build_id_payout_builds"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["payout_runs.id"],
            name=op.f("fk_payout_build_statements_run_id_payout_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payout_build_statements")),
    )
    op.create_index(
        "ix_payout_build_statements_run_build",
        "payout_build_statements",
        ["run_id", "build_id"],
        unique=False,
    )
    op.create_table(
        "payout_build_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("statement_id", sa.Integer(), nullable=False),
        sa.Column("plan_key", sa.String(length=63), nullable=False),
        sa.Column("plan_version_hash", sa.String(length=71), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("deal_id", sa.String(length=64), nullable=True),
        sa.Column("rule", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("share", RATIO, nullable=True),
        sa.Column("credit", MONEY, nullable=True),
        sa.Column("rate", RATIO, nullable=True),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("trace", sa.JSON(), nullable=False),
        sa.Column("adjusts_period", sa.String(length=16), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["statement_id"],
            ["payout_build_statements.id"],
            name=op.f("fk_payout_build_lines_statement_id_payout_build_statements"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payout_build_lines")),
    )
    op.create_index(
        op.f("ix_payout_build_lines_statement_id"),
        "payout_build_lines",
        ["statement_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_payout_build_lines_statement_id"), table_name="payout_build_lines")
    op.drop_table("payout_build_lines")
    op.drop_index("ix_payout_build_statements_run_build", table_name="payout_build_statements")
    op.drop_table("payout_build_statements")
    op.drop_column("payout_builds", "kept_replaced")
