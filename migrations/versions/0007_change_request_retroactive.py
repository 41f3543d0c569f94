"""Change requests: the `retroactive` flag set at submission.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24 22:00:00

Reviewed by hand. A change request whose version may take effect inside a period whose
payout run is locked must say so explicitly when it is submitted (`retroactive`); the
effective-date check (governance/policy_checks.py) refuses such a date otherwise. A
column, not a key inside the `impact` JSON: it is a decision of the submitter, not part of
the simulation, and auditors and the API read it directly.

`change_requests` is append-only through triggers (0003). Both databases add and drop a
column in place (SQLite's ALTER TABLE ADD/DROP COLUMN, no batch rebuild), so the triggers
stay as they are; rows existing before this revision read `false`.
"""

from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        'change_requests',
        sa.Column('retroactive', sa.Boolean(), server_default=sa.false(), nullable=False),
    )


def downgrade() -> None:
    op.drop_column('change_requests', 'retroactive')
