"""Participants: the CRM user id their deals are owned under in CRM exports.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 06:00:00

Reviewed by hand. A CRM export names an opportunity's owner by the CRM's own user id
(Salesforce `OwnerId`, `005...`) or by e-mail, not by the participant id plans use; the
import maps either to a participant (docs/imports.md, "CRM mappings"). `email` exists
since 0001; this revision adds `crm_user_id`, unique (one CRM user is one participant) and
nullable (most participants are never named by a CRM). Both databases add and drop the
column and its index in place.
"""

from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('participants', sa.Column('crm_user_id', sa.String(length=64), nullable=True))
    op.create_index(
        op.f('ix_participants_crm_user_id'), 'participants', ['crm_user_id'], unique=True
    )


def downgrade() -> None:
    op.drop_index(op.f('ix_participants_crm_user_id'), table_name='participants')
    op.drop_column('participants', 'crm_user_id')
