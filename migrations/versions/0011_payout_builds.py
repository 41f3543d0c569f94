"""Payout builds: what each build of a run read and changed, and the payable it moved.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 06:00:00

Reviewed by hand. New tables only (no other table is touched, so no SQLite batch
rebuild and no trigger to recreate):

- `payout_builds`: one row per build of a run (first run and every re-run), with the
  plan versions by number, the exceptions in force, the hashes, what changed since the
  previous build and whether the votes on the previous content were kept or voided; its
  `audit_record_id` marks when it was built (later records are what happened since).
- `payout_build_changes`: per build, each participant's payable per currency before and
  after, for those whose payable moved.

Both cascade with their run (a discarded draft takes its builds with it). Runs built
before this revision have no build row: they are not reported stale until re-run.
"""

from alembic import op
import sqlalchemy as sa


revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "payout_builds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("run_version", sa.Integer(), nullable=False),
        sa.Column("built_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("built_by_id", sa.Integer(), nullable=True),
        sa.Column("audit_record_id", sa.Integer(), nullable=False),
        sa.Column("plan_versions", sa.JSON(), nullable=False),
        sa.Column("exceptions", sa.JSON(), nullable=False),
        sa.Column("input_data_hash", sa.String(length=71), nullable=False),
        sa.Column("exceptions_hash", sa.String(length=71), nullable=False),
        sa.Column("result_hash", sa.String(length=71), nullable=True),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("identical", sa.Boolean(), nullable=False),
        sa.Column("votes_kept", sa.Integer(), nullable=False),
        sa.Column("votes_voided", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["built_by_id"], ["users.id"], name=op.f("fk_payout_builds_built_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["payout_runs.id"],
            name=op.f("fk_payout_builds_run_id_payout_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payout_builds")),
        sa.UniqueConstraint("run_id", "number", name=op.f("uq_payout_builds_run_id_number")),
    )
    op.create_table(
        "payout_build_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("build_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.String(length=64), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("before", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("after", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.ForeignKeyConstraint(
            ["build_id"],
            ["payout_builds.id"],
            name=op.f("fk_payout_build_changes_build_id_payout_builds"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payout_build_changes")),
        sa.UniqueConstraint(
            "build_id",
            "participant_id",
            "currency",
            name=op.f("uq_payout_build_changes_build_id_participant_id_currency"),
        ),
    )


def downgrade() -> None:
    op.drop_table("payout_build_changes")
    op.drop_table("payout_builds")
