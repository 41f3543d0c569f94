"""Imports in the browser: uploads kept between their preview and their confirmation.

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-03 17:40:00

Reviewed by hand. `import_uploads` (new): one row per file uploaded on the imports page,
its body (dropped once confirmed), its SHA-256, the dry run's preview (a large file's:
a background job) and the outcome.
"""

from alembic import op
import sqlalchemy as sa


revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "import_uploads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("parameters", sa.JSON(), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("preview", sa.JSON(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("preview_job_id", sa.Integer(), nullable=True),
        sa.Column("job_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "state IN ('previewing', 'previewed', 'rejected', 'queued', 'imported')",
            name=op.f("ck_import_uploads_state_known"),
        ),
        sa.ForeignKeyConstraint(
            ["job_id"], ["jobs.id"], name=op.f("fk_import_uploads_job_id_jobs"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["preview_job_id"],
            ["jobs.id"],
            name=op.f("fk_import_uploads_preview_job_id_jobs"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"],
            ["users.id"],
            name=op.f("fk_import_uploads_uploaded_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_uploads")),
    )
    op.create_index(
        op.f("ix_import_uploads_uploaded_by_id"), "import_uploads", ["uploaded_by_id"], unique=False
    )
    op.create_index(
        op.f("ix_import_uploads_created_at"), "import_uploads", ["created_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_import_uploads_created_at"), table_name="import_uploads")
    op.drop_index(op.f("ix_import_uploads_uploaded_by_id"), table_name="import_uploads")
    op.drop_table("import_uploads")
