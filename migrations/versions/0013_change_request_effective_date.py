"""Change requests: the effective date voted on, and the hash a vote names.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 06:00:00

Reviewed by hand. A plan change request carries its effective date from submission; the
committee votes on the plan's content together with that date (and the `retroactive`
flag), so the request stores both the date and the hash of the three
(`governance/plans/change_requests.request_hash`). Nullable: requests submitted before
this revision have neither, and their votes keep naming the plan's content hash.

`change_requests` is append-only through triggers (0003). Both databases add and drop a
column in place (no batch rebuild), so the triggers stay as they are (as in 0007).
"""

from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('change_requests', sa.Column('effective_from', sa.Date(), nullable=True))
    op.add_column('change_requests', sa.Column('content_hash', sa.String(length=71), nullable=True))


def downgrade() -> None:
    op.drop_column('change_requests', 'content_hash')
    op.drop_column('change_requests', 'effective_from')
