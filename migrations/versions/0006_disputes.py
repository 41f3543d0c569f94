"""Disputes: reps' disputes of locked statement lines and their history.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 21:45:00

Reviewed by hand. Besides the tables:

- `dispute_events` is append-only (UPDATE and DELETE refused; TRUNCATE too on
  PostgreSQL), like the audit log and votes.
- `disputes`: a state change must be one of the lifecycle's transitions, a resolved
  dispute never changes again, and no dispute is deleted (triggers); one unresolved
  dispute per line (partial unique index).
- `payout_exceptions.dispute_id` (0004, a plain integer until now) gets its foreign key to
  `disputes.id`. On SQLite that rebuilds the table (batch mode), which drops the three
  triggers 0004 put on it: they are created again here exactly as 0004 wrote them, on
  the way up and on the way down.
"""

from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

TRANSITIONS = (
    "open>under_review",
    "open>resolved_accepted",
    "open>resolved_rejected",
    "under_review>resolved_accepted",
    "under_review>resolved_rejected",
)
_ALLOWED_SQL = ", ".join(f"'{t}'" for t in TRANSITIONS)
_RESOLVED_SQL = "'resolved_accepted', 'resolved_rejected'"
# Never changed once the dispute is filed.
_FROZEN = (
    "id", "payout_line_id", "participant_id", "period", "filed_by_id", "reason", "due_on",
)

# payout_exceptions' triggers, as 0004 wrote them (SQLite's batch mode drops them).
_EXC_TRANSITIONS = ("submitted>approved", "submitted>rejected", "submitted>withdrawn")
_EXC_ALLOWED_SQL = ", ".join(f"'{t}'" for t in _EXC_TRANSITIONS)
_EXC_FROZEN = (
    "kind", "participant_id", "deal_id", "plan_key", "rule_id", "period", "amount",
    "currency", "credits", "justification", "estimated_impact", "impact_currency",
    "route", "rule_set_id", "expires_on", "content_hash", "filed_by_id", "dispute_id",
    "created_at",
)
SQLITE_EXCEPTION_TRIGGERS = (
    "payout_exceptions_frozen",
    "payout_exceptions_transition",
    "payout_exceptions_no_delete",
)
SQLITE_TRIGGERS = (
    "dispute_events_no_update",
    "dispute_events_no_delete",
    "disputes_frozen",
    "disputes_transition",
    "disputes_resolved",
    "disputes_no_delete",
)


def upgrade() -> None:
    op.create_table('disputes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('payout_line_id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.String(length=64), nullable=False),
    sa.Column('period', sa.String(length=16), nullable=False),
    sa.Column('filed_by_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('attachments', sa.JSON(), nullable=False),
    sa.Column('claimed_amount', sa.Numeric(precision=24, scale=6), nullable=True),
    sa.Column('state', sa.String(length=24), nullable=False),
    sa.Column('resolution', sa.Text(), nullable=True),
    sa.Column('resolved_by_id', sa.Integer(), nullable=True),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('exception_id', sa.Integer(), nullable=True),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('escalated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("(state IN ('resolved_accepted', 'resolved_rejected')) = (resolved_at IS NOT NULL)", name=op.f('ck_disputes_resolved_has_time')),
    sa.CheckConstraint("claimed_amount IS NULL OR claimed_amount <> 0", name=op.f('ck_disputes_claim_not_zero')),
    sa.CheckConstraint("length(trim(reason)) > 0", name=op.f('ck_disputes_reason_given')),
    sa.CheckConstraint("state <> 'resolved_accepted' OR exception_id IS NOT NULL", name=op.f('ck_disputes_acceptance_has_exception')),
    sa.CheckConstraint("state <> 'resolved_rejected' OR (resolution IS NOT NULL AND length(trim(resolution)) > 0)", name=op.f('ck_disputes_rejection_has_reason')),
    sa.CheckConstraint("state IN ('open', 'under_review', 'resolved_accepted', 'resolved_rejected')", name=op.f('ck_disputes_state_known')),
    sa.ForeignKeyConstraint(['exception_id'], ['payout_exceptions.id'], name=op.f('fk_disputes_exception_id_payout_exceptions')),
    sa.ForeignKeyConstraint(['filed_by_id'], ['users.id'], name=op.f('fk_disputes_filed_by_id_users')),
    sa.ForeignKeyConstraint(['participant_id'], ['participants.id'], name=op.f('fk_disputes_participant_id_participants')),
    sa.ForeignKeyConstraint(['payout_line_id'], ['payout_lines.id'], name=op.f('fk_disputes_payout_line_id_payout_lines')),
    sa.ForeignKeyConstraint(['resolved_by_id'], ['users.id'], name=op.f('fk_disputes_resolved_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_disputes')),
    sa.UniqueConstraint('exception_id', name=op.f('uq_disputes_exception_id'))
    )
    op.create_index(op.f('ix_disputes_participant_id'), 'disputes', ['participant_id'], unique=False)
    op.create_index(op.f('ix_disputes_payout_line_id'), 'disputes', ['payout_line_id'], unique=False)
    op.create_index(op.f('ix_disputes_state'), 'disputes', ['state'], unique=False)
    op.create_index('uq_disputes_one_open_per_line', 'disputes', ['payout_line_id'], unique=True, postgresql_where=sa.text("state IN ('open', 'under_review')"), sqlite_where=sa.text("state IN ('open', 'under_review')"))
    op.create_table('dispute_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dispute_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('from_state', sa.String(length=24), nullable=True),
    sa.Column('to_state', sa.String(length=24), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.CheckConstraint("kind IN ('filed', 'review_started', 'accepted', 'rejected', 'comment', 'escalated')", name=op.f('ck_dispute_events_kind_known')),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_dispute_events_actor_id_users')),
    sa.ForeignKeyConstraint(['dispute_id'], ['disputes.id'], name=op.f('fk_dispute_events_dispute_id_disputes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dispute_events'))
    )
    op.create_index(op.f('ix_dispute_events_dispute_id'), 'dispute_events', ['dispute_id'], unique=False)

    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        _drop_sqlite_exception_triggers()
    with op.batch_alter_table('payout_exceptions', schema=None) as batch_op:
        batch_op.create_foreign_key(batch_op.f('fk_payout_exceptions_dispute_id_disputes'), 'disputes', ['dispute_id'], ['id'])
    if sqlite:
        _create_sqlite_exception_triggers()
        _create_sqlite_triggers()
    else:
        _create_postgresql_triggers()


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        _drop_sqlite_triggers()
        _drop_sqlite_exception_triggers()
    else:
        _drop_postgresql_triggers()
    with op.batch_alter_table('payout_exceptions', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_payout_exceptions_dispute_id_disputes'), type_='foreignkey')
    if sqlite:
        _create_sqlite_exception_triggers()
    op.drop_index(op.f('ix_dispute_events_dispute_id'), table_name='dispute_events')
    op.drop_table('dispute_events')
    op.drop_index('uq_disputes_one_open_per_line', table_name='disputes', postgresql_where=sa.text("state IN ('open', 'under_review')"), sqlite_where=sa.text("state IN ('open', 'under_review')"))
    op.drop_index(op.f('ix_disputes_state'), table_name='disputes')
    op.drop_index(op.f('ix_disputes_payout_line_id'), table_name='disputes')
    op.drop_index(op.f('ix_disputes_participant_id'), table_name='disputes')
    op.drop_table('disputes')


# --------------------------------------------------------------------------- PostgreSQL


def _create_postgresql_triggers() -> None:
    # accord_refuse_change() comes from revision 0002.
    op.execute(
        "CREATE TRIGGER dispute_events_append_only BEFORE UPDATE OR DELETE ON dispute_events "
        "FOR EACH ROW EXECUTE FUNCTION accord_refuse_change()"
    )
    op.execute(
        "CREATE TRIGGER dispute_events_no_truncate BEFORE TRUNCATE ON dispute_events "
        "FOR EACH STATEMENT EXECUTE FUNCTION accord_refuse_change()"
    )
    frozen = " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in _FROZEN)
    op.execute(
        f"""
        CREATE FUNCTION accord_dispute_guard() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'DELETE' THEN
                RAISE EXCEPTION 'dispute % cannot be deleted', OLD.id USING ERRCODE = '23000';
            END IF;
            IF OLD.state IN ({_RESOLVED_SQL}) THEN
                RAISE EXCEPTION 'dispute % is resolved: it never changes', OLD.id
                    USING ERRCODE = '23000';
            END IF;
            IF {frozen} THEN
                RAISE EXCEPTION 'dispute %: what was filed is frozen', OLD.id
                    USING ERRCODE = '23000';
            END IF;
            IF NEW.state <> OLD.state
                    AND OLD.state || '>' || NEW.state NOT IN ({_ALLOWED_SQL}) THEN
                RAISE EXCEPTION 'dispute %: % -> % is not a lifecycle transition',
                    OLD.id, OLD.state, NEW.state USING ERRCODE = '23000';
            END IF;
            RETURN NEW;
        END
        $$
        """
    )
    op.execute(
        "CREATE TRIGGER disputes_guard BEFORE UPDATE OR DELETE ON disputes "
        "FOR EACH ROW EXECUTE FUNCTION accord_dispute_guard()"
    )


def _drop_postgresql_triggers() -> None:
    op.execute("DROP TRIGGER IF EXISTS disputes_guard ON disputes")
    op.execute("DROP FUNCTION IF EXISTS accord_dispute_guard()")
    op.execute("DROP TRIGGER IF EXISTS dispute_events_append_only ON dispute_events")
    op.execute("DROP TRIGGER IF EXISTS dispute_events_no_truncate ON dispute_events")


# --------------------------------------------------------------------------- SQLite


def _sqlite_trigger(name: str, event: str, table: str, when: str | None, message: str) -> None:
    condition = f" WHEN {when}" if when else ""
    op.execute(
        f"CREATE TRIGGER {name} BEFORE {event} ON {table} FOR EACH ROW{condition} "
        f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
    )


def _create_sqlite_triggers() -> None:
    for event in ("UPDATE", "DELETE"):
        _sqlite_trigger(
            f"dispute_events_no_{event.lower()}", event, "dispute_events", None,
            f"dispute_events is append-only: {event} refused",
        )
    _sqlite_trigger(
        "disputes_frozen", "UPDATE", "disputes",
        " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in _FROZEN),
        "dispute: what was filed is frozen",
    )
    _sqlite_trigger(
        "disputes_transition", "UPDATE", "disputes",
        f"NEW.state <> OLD.state AND OLD.state || '>' || NEW.state NOT IN ({_ALLOWED_SQL})",
        "dispute: not a lifecycle transition",
    )
    _sqlite_trigger(
        "disputes_resolved", "UPDATE", "disputes",
        f"OLD.state IN ({_RESOLVED_SQL})",
        "dispute is resolved: it never changes",
    )
    _sqlite_trigger("disputes_no_delete", "DELETE", "disputes", None, "dispute: cannot be deleted")


def _drop_sqlite_triggers() -> None:
    for name in SQLITE_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")


def _create_sqlite_exception_triggers() -> None:
    _sqlite_trigger(
        "payout_exceptions_frozen", "UPDATE", "payout_exceptions",
        " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in ("id", "impact") + _EXC_FROZEN),
        "payout exception: its content is frozen",
    )
    _sqlite_trigger(
        "payout_exceptions_transition", "UPDATE", "payout_exceptions",
        f"NEW.state <> OLD.state AND OLD.state || '>' || NEW.state NOT IN ({_EXC_ALLOWED_SQL})",
        "payout exception: not a lifecycle transition",
    )
    _sqlite_trigger(
        "payout_exceptions_no_delete", "DELETE", "payout_exceptions", None,
        "payout exception: cannot be deleted",
    )


def _drop_sqlite_exception_triggers() -> None:
    for name in SQLITE_EXCEPTION_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
