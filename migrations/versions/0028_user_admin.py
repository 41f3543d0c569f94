"""Users administration: one-time password-reset links; a notification kind to mail them.

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-03 15:20:00

Reviewed by hand. `password_resets` (new): one row per link issued, holding the nonce the
link's token is derived from (HMAC with the app's secret key) and the token's SHA-256,
never the token. `notification_events.kind` also admits "password_reset" (the check
constraint is replaced; batch mode rebuilds the table on SQLite).
"""

from alembic import op
import sqlalchemy as sa


revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None

OLD_KINDS = (
    "'vote_requested', 'decision_made', 'run_ready', 'run_locked', 'run_published', "
    "'dispute_filed', 'dispute_answered', 'dispute_overdue'"
)
NEW_KINDS = OLD_KINDS + ", 'password_reset'"


def upgrade() -> None:
    op.create_table(
        "password_resets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_password_resets_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_password_resets_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_password_resets")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_password_resets_token_hash")),
    )
    op.create_index(
        op.f("ix_password_resets_user_id"), "password_resets", ["user_id"], unique=False
    )
    _kinds(NEW_KINDS)


def downgrade() -> None:
    op.execute(
        "DELETE FROM notification_attempts WHERE delivery_id IN (SELECT d.id FROM "
        "notification_deliveries d JOIN notification_events e ON e.id = d.event_id "
        "WHERE e.kind = 'password_reset')"
    )
    op.execute(
        "DELETE FROM notification_deliveries WHERE event_id IN "
        "(SELECT id FROM notification_events WHERE kind = 'password_reset')"
    )
    op.execute("DELETE FROM notification_events WHERE kind = 'password_reset'")
    _kinds(OLD_KINDS)
    op.drop_index(op.f("ix_password_resets_user_id"), table_name="password_resets")
    op.drop_table("password_resets")


def _kinds(kinds: str) -> None:
    with op.batch_alter_table("notification_events") as batch:
        batch.drop_constraint(op.f("ck_notification_events_kind_known"), type_="check")
        batch.create_check_constraint("kind_known", f"kind IN ({kinds})")
