"""Webhooks page: a notification kind for an admin's "send test" to one webhook.

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-03 17:40:00

Reviewed by hand. `notification_events.kind` also admits "webhook_test" (the check
constraint is replaced; batch mode rebuilds the table on SQLite). Downgrade removes the
test events with their deliveries and attempts first.
"""

from alembic import op


revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None

OLD_KINDS = (
    "'vote_requested', 'decision_made', 'run_ready', 'run_locked', 'run_published', "
    "'dispute_filed', 'dispute_answered', 'dispute_overdue', 'password_reset'"
)
NEW_KINDS = OLD_KINDS + ", 'webhook_test'"


def upgrade() -> None:
    _kinds(NEW_KINDS)


def downgrade() -> None:
    op.execute(
        "DELETE FROM notification_attempts WHERE delivery_id IN (SELECT d.id FROM "
        "notification_deliveries d JOIN notification_events e ON e.id = d.event_id "
        "WHERE e.kind = 'webhook_test')"
    )
    op.execute(
        "DELETE FROM notification_deliveries WHERE event_id IN "
        "(SELECT id FROM notification_events WHERE kind = 'webhook_test')"
    )
    op.execute("DELETE FROM notification_events WHERE kind = 'webhook_test'")
    _kinds(OLD_KINDS)


def _kinds(kinds: str) -> None:
    with op.batch_alter_table("notification_events") as batch:
        batch.drop_constraint(op.f("ck_notification_events_kind_known"), type_="check")
        batch.create_check_constraint("kind_known", f"kind IN ({kinds})")
