"""Payout exceptions (deal desk) and votes on them.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 21:20:00

Reviewed by hand.

- `payout_exceptions`: the request's content (kind, targets, justification, estimated
  impact, route, deciding rules, content hash, filer, dispute) never changes; states follow
  the lifecycle (submitted -> approved | rejected | withdrawn); no row is deleted.
  `expires_on` may not change either: expiry is computed from it (no "expired" state).
- `votes.exception_id`: a nullable FK, one vote per person per exception, and the
  "exactly one subject" CHECK (ck_votes_one_subject) now counts three subjects.

SQLite rebuilds `votes` for the ALTER (batch mode), which drops its triggers: the
append-only triggers of 0003 are created again after it, in upgrade and in downgrade.
"""

from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

TRANSITIONS = ("submitted>approved", "submitted>rejected", "submitted>withdrawn")
_ALLOWED_SQL = ", ".join(f"'{t}'" for t in TRANSITIONS)
_FROZEN = (
    "kind", "participant_id", "deal_id", "plan_key", "rule_id", "period", "amount",
    "currency", "credits", "justification", "estimated_impact", "impact_currency",
    "route", "rule_set_id", "expires_on", "content_hash", "filed_by_id", "dispute_id",
    "created_at",
)
# JSON columns have no equality operator on PostgreSQL (json, not jsonb): compare as text.
_JSON_COLUMNS = ("credits", "impact")

ONE_SUBJECT_0003 = "(plan_version_id IS NULL) <> (rule_set_id IS NULL)"
ONE_SUBJECT_0004 = " + ".join(
    f"(CASE WHEN {c} IS NULL THEN 0 ELSE 1 END)"
    for c in ("plan_version_id", "rule_set_id", "exception_id")
) + " = 1"


def upgrade() -> None:
    op.create_table('payout_exceptions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('participant_id', sa.String(length=64), nullable=True),
    sa.Column('deal_id', sa.String(length=64), nullable=True),
    sa.Column('plan_key', sa.String(length=63), nullable=True),
    sa.Column('rule_id', sa.String(length=63), nullable=True),
    sa.Column('period', sa.String(length=8), nullable=True),
    sa.Column('amount', sa.Numeric(precision=24, scale=6), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=True),
    sa.Column('credits', sa.JSON(), nullable=True),
    sa.Column('justification', sa.Text(), nullable=False),
    sa.Column('estimated_impact', sa.Numeric(precision=24, scale=6), nullable=False),
    sa.Column('impact_currency', sa.String(length=3), nullable=False),
    sa.Column('impact', sa.JSON(), nullable=False),
    sa.Column('route', sa.String(length=16), nullable=False),
    sa.Column('rule_set_id', sa.Integer(), nullable=False),
    sa.Column('expires_on', sa.Date(), nullable=True),
    sa.Column('content_hash', sa.String(length=71), nullable=False),
    sa.Column('filed_by_id', sa.Integer(), nullable=True),
    sa.Column('dispute_id', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('decision_note', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("kind IN ('waive_gate', 'waive_clawback', 'override_split', 'adjustment')", name=op.f('ck_payout_exceptions_kind_known')),
    sa.CheckConstraint("state IN ('submitted', 'approved', 'rejected', 'withdrawn')", name=op.f('ck_payout_exceptions_state_known')),
    sa.CheckConstraint("route IN ('below', 'committee')", name=op.f('ck_payout_exceptions_route_known')),
    sa.CheckConstraint(
        "(kind IN ('waive_gate', 'waive_clawback') AND deal_id IS NOT NULL AND rule_id IS NOT NULL)"
        " OR (kind = 'override_split' AND deal_id IS NOT NULL AND plan_key IS NOT NULL"
        " AND credits IS NOT NULL)"
        " OR (kind = 'adjustment' AND participant_id IS NOT NULL AND plan_key IS NOT NULL"
        " AND period IS NOT NULL AND amount IS NOT NULL AND currency IS NOT NULL)",
        name=op.f('ck_payout_exceptions_targets_complete'),
    ),
    sa.CheckConstraint('version > 0', name=op.f('ck_payout_exceptions_version_positive')),
    sa.ForeignKeyConstraint(['deal_id'], ['deals.id'], name=op.f('fk_payout_exceptions_deal_id_deals')),
    sa.ForeignKeyConstraint(['filed_by_id'], ['users.id'], name=op.f('fk_payout_exceptions_filed_by_id_users')),
    sa.ForeignKeyConstraint(['participant_id'], ['participants.id'], name=op.f('fk_payout_exceptions_participant_id_participants')),
    sa.ForeignKeyConstraint(['rule_set_id'], ['approval_rule_sets.id'], name=op.f('fk_payout_exceptions_rule_set_id_approval_rule_sets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payout_exceptions'))
    )
    op.create_index(op.f('ix_payout_exceptions_deal_id'), 'payout_exceptions', ['deal_id'], unique=False)
    op.create_index(op.f('ix_payout_exceptions_dispute_id'), 'payout_exceptions', ['dispute_id'], unique=False)
    op.create_index(op.f('ix_payout_exceptions_participant_id'), 'payout_exceptions', ['participant_id'], unique=False)
    op.create_index(op.f('ix_payout_exceptions_state'), 'payout_exceptions', ['state'], unique=False)

    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        _drop_sqlite_vote_triggers()
    with op.batch_alter_table('votes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('exception_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_votes_exception_id'), ['exception_id'], unique=False)
        batch_op.create_unique_constraint(batch_op.f('uq_votes_exception_id_voter_id'), ['exception_id', 'voter_id'])
        batch_op.create_foreign_key(batch_op.f('fk_votes_exception_id_payout_exceptions'), 'payout_exceptions', ['exception_id'], ['id'])
        batch_op.drop_constraint(batch_op.f('ck_votes_one_subject'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_votes_one_subject'), sa.text(ONE_SUBJECT_0004))
    if sqlite:
        _create_sqlite_vote_triggers()
        _create_sqlite_exception_triggers()
    else:
        _create_postgresql_exception_triggers()


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        _drop_sqlite_exception_triggers()
        _drop_sqlite_vote_triggers()
    else:
        _drop_postgresql_exception_triggers()
    with op.batch_alter_table('votes', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_votes_one_subject'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_votes_exception_id_payout_exceptions'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_votes_exception_id_voter_id'), type_='unique')
        batch_op.drop_index(batch_op.f('ix_votes_exception_id'))
        batch_op.drop_column('exception_id')
        batch_op.create_check_constraint(batch_op.f('ck_votes_one_subject'), sa.text(ONE_SUBJECT_0003))
    if sqlite:
        _create_sqlite_vote_triggers()
    op.drop_index(op.f('ix_payout_exceptions_state'), table_name='payout_exceptions')
    op.drop_index(op.f('ix_payout_exceptions_participant_id'), table_name='payout_exceptions')
    op.drop_index(op.f('ix_payout_exceptions_dispute_id'), table_name='payout_exceptions')
    op.drop_index(op.f('ix_payout_exceptions_deal_id'), table_name='payout_exceptions')
    op.drop_table('payout_exceptions')


# --------------------------------------------------------------------------- PostgreSQL


def _create_postgresql_exception_triggers() -> None:
    frozen = " OR ".join(
        f"NEW.{c}::text IS DISTINCT FROM OLD.{c}::text" if c in _JSON_COLUMNS
        else f"NEW.{c} IS DISTINCT FROM OLD.{c}"
        for c in _FROZEN
    )
    op.execute(
        f"""
        CREATE FUNCTION accord_payout_exception_guard() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'DELETE' THEN
                RAISE EXCEPTION 'payout exception EX-% cannot be deleted', OLD.id
                    USING ERRCODE = '23000';
            END IF;
            IF NEW.id IS DISTINCT FROM OLD.id OR NEW.impact::text IS DISTINCT FROM OLD.impact::text
                    OR {frozen} THEN
                RAISE EXCEPTION 'payout exception EX-%: its content is frozen', OLD.id
                    USING ERRCODE = '23000';
            END IF;
            IF NEW.state <> OLD.state
                    AND OLD.state || '>' || NEW.state NOT IN ({_ALLOWED_SQL}) THEN
                RAISE EXCEPTION 'payout exception EX-%: % -> % is not a lifecycle transition',
                    OLD.id, OLD.state, NEW.state USING ERRCODE = '23000';
            END IF;
            RETURN NEW;
        END
        $$
        """
    )
    op.execute(
        "CREATE TRIGGER payout_exceptions_guard BEFORE UPDATE OR DELETE ON payout_exceptions "
        "FOR EACH ROW EXECUTE FUNCTION accord_payout_exception_guard()"
    )
    op.execute(
        "CREATE TRIGGER payout_exceptions_no_truncate BEFORE TRUNCATE ON payout_exceptions "
        "FOR EACH STATEMENT EXECUTE FUNCTION accord_refuse_change()"
    )


def _drop_postgresql_exception_triggers() -> None:
    op.execute("DROP TRIGGER IF EXISTS payout_exceptions_no_truncate ON payout_exceptions")
    op.execute("DROP TRIGGER IF EXISTS payout_exceptions_guard ON payout_exceptions")
    op.execute("DROP FUNCTION IF EXISTS accord_payout_exception_guard()")


# --------------------------------------------------------------------------- SQLite


def _sqlite_trigger(name: str, event: str, table: str, when: str | None, message: str) -> None:
    condition = f" WHEN {when}" if when else ""
    op.execute(
        f"CREATE TRIGGER {name} BEFORE {event} ON {table} FOR EACH ROW{condition} "
        f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
    )


# The append-only triggers of 0003 on votes, as 0003 wrote them.
SQLITE_VOTE_TRIGGERS = ("votes_no_update", "votes_no_delete")
SQLITE_EXCEPTION_TRIGGERS = (
    "payout_exceptions_frozen",
    "payout_exceptions_transition",
    "payout_exceptions_no_delete",
)


def _create_sqlite_vote_triggers() -> None:
    for event in ("UPDATE", "DELETE"):
        _sqlite_trigger(
            f"votes_no_{event.lower()}", event, "votes", None,
            f"votes is append-only: {event} refused",
        )


def _drop_sqlite_vote_triggers() -> None:
    for name in SQLITE_VOTE_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")


def _create_sqlite_exception_triggers() -> None:
    _sqlite_trigger(
        "payout_exceptions_frozen", "UPDATE", "payout_exceptions",
        " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in ("id", "impact") + _FROZEN),
        "payout exception: its content is frozen",
    )
    _sqlite_trigger(
        "payout_exceptions_transition", "UPDATE", "payout_exceptions",
        f"NEW.state <> OLD.state AND OLD.state || '>' || NEW.state NOT IN ({_ALLOWED_SQL})",
        "payout exception: not a lifecycle transition",
    )
    _sqlite_trigger(
        "payout_exceptions_no_delete", "DELETE", "payout_exceptions", None,
        "payout exception: cannot be deleted",
    )


def _drop_sqlite_exception_triggers() -> None:
    for name in SQLITE_EXCEPTION_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
