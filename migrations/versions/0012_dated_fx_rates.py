"""FX rates with an effective date (spec section 3, v1.1: dated rates).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 06:00:00

Reviewed by hand. `fx_rates.effective_from` is the first day a rate is in force; NULL
means "from the beginning" (the spec's map form), which every row existing before this
revision keeps. The pair is no longer unique by itself: one rate per (pair, date), and one
undated rate per pair through a partial unique index (NULLs are distinct in a unique
constraint on both databases). SQLite rebuilds the table (batch mode) to drop the old
constraint; `fx_rates` has no triggers. The downgrade keeps, per pair, the rate in force
today (the latest date), so the old one-rate-per-pair constraint holds again.
"""

from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

UNDATED = "effective_from IS NULL"


def upgrade() -> None:
    with op.batch_alter_table('fx_rates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('effective_from', sa.Date(), nullable=True))
        batch_op.drop_constraint('uq_fx_rates_base_quote', type_='unique')
        batch_op.create_unique_constraint(
            batch_op.f('uq_fx_rates_base_quote_effective_from'),
            ['base', 'quote', 'effective_from'],
        )
    op.create_index(
        'uq_fx_rates_undated', 'fx_rates', ['base', 'quote'], unique=True,
        postgresql_where=sa.text(UNDATED), sqlite_where=sa.text(UNDATED),
    )


def downgrade() -> None:
    op.drop_index('uq_fx_rates_undated', table_name='fx_rates')
    # Keep one rate per pair: the one with the latest date (undated counts as earliest).
    op.execute(
        "DELETE FROM fx_rates WHERE EXISTS (SELECT 1 FROM fx_rates AS later "
        "WHERE later.base = fx_rates.base AND later.quote = fx_rates.quote "
        "AND later.effective_from IS NOT NULL AND (fx_rates.effective_from IS NULL "
        "OR later.effective_from > fx_rates.effective_from))"
    )
    with op.batch_alter_table('fx_rates', schema=None) as batch_op:
        batch_op.drop_constraint('uq_fx_rates_base_quote_effective_from', type_='unique')
        batch_op.create_unique_constraint('uq_fx_rates_base_quote', ['base', 'quote'])
        batch_op.drop_column('effective_from')
