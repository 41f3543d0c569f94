"""Plan acknowledgements: a participant's user says they have read a plan version.

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-03 18:00:00

Reviewed by hand. `plan_acknowledgements` (new): one row per (user, plan version), with
the participant the user stood for, the plan key and version number (for reading without
a join) and the content hash the user was shown. The unique constraint makes a repeated
acknowledgement the same row (idempotent, also under two concurrent clicks).
"""

import sqlalchemy as sa
from alembic import op

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "plan_acknowledgements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.String(length=64), nullable=True),
        sa.Column("plan_version_id", sa.Integer(), nullable=False),
        sa.Column("plan_key", sa.String(length=63), nullable=False),
        sa.Column("version_number", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(length=71), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_plan_acknowledgements_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name=op.f("fk_plan_acknowledgements_participant_id_participants"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["plan_version_id"],
            ["plan_versions.id"],
            name=op.f("fk_plan_acknowledgements_plan_version_id_plan_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_acknowledgements")),
        sa.UniqueConstraint(
            "user_id",
            "plan_version_id",
            name=op.f("uq_plan_acknowledgements_user_id_plan_version_id"),
        ),
    )
    op.create_index(
        op.f("ix_plan_acknowledgements_plan_version_id"),
        "plan_acknowledgements",
        ["plan_version_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_plan_acknowledgements_plan_version_id"), table_name="plan_acknowledgements"
    )
    op.drop_table("plan_acknowledgements")
