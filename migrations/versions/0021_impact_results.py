"""Impact simulations on workers: a table of impact results keyed by subject and inputs.

Revision ID: 0021
Revises: 0018
Create Date: 2026-12-03 12:00:00

Reviewed by hand. A change request's impact simulation is computed by a Celery task
(app/tasks/impacts.py) instead of in the submitting request: `impact_results` holds each
computation (queued, running, done, failed), what it read (`inputs`, `inputs_hash`) and
its result; one done row per (subject, inputs hash). A new table: nothing else altered.
"""

from alembic import op
import sqlalchemy as sa


revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "impact_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_type", sa.String(32), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("inputs_hash", sa.String(71), nullable=True),
        sa.Column("inputs", sa.JSON(), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "state IN ('queued', 'running', 'done', 'failed')",
            name=op.f("ck_impact_results_state_known"),
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_id"],
            ["users.id"],
            name=op.f("fk_impact_results_requested_by_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_impact_results")),
        sa.UniqueConstraint(
            "subject_type",
            "subject_id",
            "inputs_hash",
            name=op.f("uq_impact_results_subject_type_subject_id_inputs_hash"),
        ),
    )
    op.create_index(
        "ix_impact_results_subject", "impact_results", ["subject_type", "subject_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_impact_results_subject", table_name="impact_results")
    op.drop_table("impact_results")
