"""Core tables: identity, participants, assignments, quotas, deals, events, FX.

Revision ID: 0001
Revises: 
Create Date: 2026-11-24 19:01:38.215846
"""

from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('fx_rates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('base', sa.String(length=3), nullable=False),
    sa.Column('quote', sa.String(length=3), nullable=False),
    sa.Column('rate', sa.Numeric(precision=18, scale=12), nullable=False),
    sa.CheckConstraint('rate > 0', name=op.f('ck_fx_rates_rate_positive')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fx_rates')),
    sa.UniqueConstraint('base', 'quote', name=op.f('uq_fx_rates_base_quote'))
    )
    op.create_table('participants',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('hire_date', sa.Date(), nullable=True),
    sa.Column('region', sa.String(length=64), nullable=True),
    sa.Column('manager_id', sa.String(length=64), nullable=True),
    sa.Column('attributes', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['manager_id'], ['participants.id'], name=op.f('fk_participants_manager_id_participants'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_participants'))
    )
    with op.batch_alter_table('participants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_participants_manager_id'), ['manager_id'], unique=False)

    op.create_table('assignments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.String(length=64), nullable=False),
    sa.Column('plan_key', sa.String(length=63), nullable=False),
    sa.Column('role', sa.String(length=64), nullable=True),
    sa.Column('team', sa.String(length=64), nullable=True),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.CheckConstraint('end_date IS NULL OR end_date >= start_date', name=op.f('ck_assignments_dates_ordered')),
    sa.ForeignKeyConstraint(['participant_id'], ['participants.id'], name=op.f('fk_assignments_participant_id_participants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assignments')),
    sa.UniqueConstraint('participant_id', 'plan_key', 'start_date', name=op.f('uq_assignments_participant_id_plan_key_start_date'))
    )
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assignments_participant_id'), ['participant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assignments_plan_key'), ['plan_key'], unique=False)

    op.create_table('deals',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('account', sa.String(length=200), nullable=True),
    sa.Column('type', sa.String(length=64), nullable=True),
    sa.Column('amount', sa.Numeric(precision=24, scale=6), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('close_date', sa.Date(), nullable=False),
    sa.Column('gross_margin', sa.Numeric(precision=18, scale=12), nullable=True),
    sa.Column('discount', sa.Numeric(precision=18, scale=12), nullable=True),
    sa.Column('term_months', sa.Integer(), nullable=True),
    sa.Column('region', sa.String(length=64), nullable=True),
    sa.Column('products', sa.JSON(), nullable=False),
    sa.Column('owner_id', sa.String(length=64), nullable=False),
    sa.Column('cash_collected_date', sa.Date(), nullable=True),
    sa.Column('has_splits', sa.Boolean(), nullable=False),
    sa.Column('attributes', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('amount >= 0', name=op.f('ck_deals_amount_not_negative')),
    sa.CheckConstraint('term_months IS NULL OR term_months >= 0', name=op.f('ck_deals_term_not_negative')),
    sa.ForeignKeyConstraint(['owner_id'], ['participants.id'], name=op.f('fk_deals_owner_id_participants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deals'))
    )
    with op.batch_alter_table('deals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deals_close_date'), ['close_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_deals_owner_id'), ['owner_id'], unique=False)

    op.create_table('quotas',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.String(length=64), nullable=False),
    sa.Column('plan_key', sa.String(length=63), nullable=False),
    sa.Column('period', sa.String(length=8), nullable=False),
    sa.Column('amount', sa.Numeric(precision=24, scale=6), nullable=False),
    sa.CheckConstraint('amount >= 0', name=op.f('ck_quotas_amount_not_negative')),
    sa.ForeignKeyConstraint(['participant_id'], ['participants.id'], name=op.f('fk_quotas_participant_id_participants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quotas')),
    sa.UniqueConstraint('participant_id', 'plan_key', 'period', name=op.f('uq_quotas_participant_id_plan_key_period'))
    )
    with op.batch_alter_table('quotas', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quotas_participant_id'), ['participant_id'], unique=False)

    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('session_epoch', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['participant_id'], ['participants.id'], name=op.f('fk_users_participant_id_participants'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('email', name=op.f('uq_users_email')),
    sa.UniqueConstraint('participant_id', name=op.f('uq_users_participant_id'))
    )
    op.create_table('api_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_api_tokens_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash'))
    )
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_tokens_user_id'), ['user_id'], unique=False)

    op.create_table('deal_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('deal_id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=64), nullable=False),
    sa.Column('event_date', sa.Date(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=24, scale=6), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('amount IS NULL OR amount >= 0', name=op.f('ck_deal_events_amount_not_negative')),
    sa.ForeignKeyConstraint(['deal_id'], ['deals.id'], name=op.f('fk_deal_events_deal_id_deals'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deal_events')),
    sa.UniqueConstraint('deal_id', 'kind', 'event_date', name=op.f('uq_deal_events_deal_id_kind_event_date'))
    )
    with op.batch_alter_table('deal_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deal_events_deal_id'), ['deal_id'], unique=False)

    op.create_table('deal_splits',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('deal_id', sa.String(length=64), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.String(length=64), nullable=False),
    sa.Column('share', sa.Numeric(precision=18, scale=12), nullable=False),
    sa.CheckConstraint('share > 0 AND share <= 1', name=op.f('ck_deal_splits_share_in_range')),
    sa.ForeignKeyConstraint(['deal_id'], ['deals.id'], name=op.f('fk_deal_splits_deal_id_deals'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['participant_id'], ['participants.id'], name=op.f('fk_deal_splits_participant_id_participants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deal_splits')),
    sa.UniqueConstraint('deal_id', 'position', name=op.f('uq_deal_splits_deal_id_position'))
    )
    with op.batch_alter_table('deal_splits', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deal_splits_deal_id'), ['deal_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_deal_splits_participant_id'), ['participant_id'], unique=False)

    op.create_table('deal_team_members',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('deal_id', sa.String(length=64), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.String(length=64), nullable=False),
    sa.Column('role', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['deal_id'], ['deals.id'], name=op.f('fk_deal_team_members_deal_id_deals'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['participant_id'], ['participants.id'], name=op.f('fk_deal_team_members_participant_id_participants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deal_team_members')),
    sa.UniqueConstraint('deal_id', 'position', name=op.f('uq_deal_team_members_deal_id_position'))
    )
    with op.batch_alter_table('deal_team_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deal_team_members_deal_id'), ['deal_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_deal_team_members_participant_id'), ['participant_id'], unique=False)

    op.create_table('deal_touchpoints',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('deal_id', sa.String(length=64), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.String(length=64), nullable=False),
    sa.Column('at', sa.Date(), nullable=False),
    sa.Column('channel', sa.String(length=64), nullable=True),
    sa.Column('milestone', sa.String(length=32), nullable=True),
    sa.ForeignKeyConstraint(['deal_id'], ['deals.id'], name=op.f('fk_deal_touchpoints_deal_id_deals'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['participant_id'], ['participants.id'], name=op.f('fk_deal_touchpoints_participant_id_participants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deal_touchpoints')),
    sa.UniqueConstraint('deal_id', 'position', name=op.f('uq_deal_touchpoints_deal_id_position'))
    )
    with op.batch_alter_table('deal_touchpoints', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deal_touchpoints_deal_id'), ['deal_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_deal_touchpoints_participant_id'), ['participant_id'], unique=False)

    op.create_table('user_roles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.Column('function', sa.String(length=32), nullable=True),
    sa.CheckConstraint("(role = 'committee' AND function IN ('sales', 'finance', 'hr', 'marketing', 'customer_success', 'revops')) OR (role <> 'committee' AND function IS NULL)", name=op.f('ck_user_roles_function_only_for_committee')),
    sa.CheckConstraint("role IN ('admin', 'comp_admin', 'committee', 'deal_desk', 'manager', 'rep', 'auditor')", name=op.f('ck_user_roles_role_known')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_roles_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_roles')),
    sa.UniqueConstraint('user_id', 'role', 'function', name=op.f('uq_user_roles_user_id_role_function'))
    )
    with op.batch_alter_table('user_roles', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_roles_user_id'), ['user_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('user_roles', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_roles_user_id'))

    op.drop_table('user_roles')
    with op.batch_alter_table('deal_touchpoints', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deal_touchpoints_participant_id'))
        batch_op.drop_index(batch_op.f('ix_deal_touchpoints_deal_id'))

    op.drop_table('deal_touchpoints')
    with op.batch_alter_table('deal_team_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deal_team_members_participant_id'))
        batch_op.drop_index(batch_op.f('ix_deal_team_members_deal_id'))

    op.drop_table('deal_team_members')
    with op.batch_alter_table('deal_splits', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deal_splits_participant_id'))
        batch_op.drop_index(batch_op.f('ix_deal_splits_deal_id'))

    op.drop_table('deal_splits')
    with op.batch_alter_table('deal_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deal_events_deal_id'))

    op.drop_table('deal_events')
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_tokens_user_id'))

    op.drop_table('api_tokens')
    op.drop_table('users')
    with op.batch_alter_table('quotas', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_quotas_participant_id'))

    op.drop_table('quotas')
    with op.batch_alter_table('deals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deals_owner_id'))
        batch_op.drop_index(batch_op.f('ix_deals_close_date'))

    op.drop_table('deals')
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assignments_plan_key'))
        batch_op.drop_index(batch_op.f('ix_assignments_participant_id'))

    op.drop_table('assignments')
    with op.batch_alter_table('participants', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_participants_manager_id'))

    op.drop_table('participants')
    op.drop_table('fx_rates')
