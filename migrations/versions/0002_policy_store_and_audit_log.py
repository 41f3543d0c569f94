"""Policy store (plans, plan_versions, plan_transitions) and the hash-chained audit log.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 19:12:15.226543

Reviewed by hand. Besides the tables this revision installs the guarantees the code
relies on but must not be the only one to enforce (see docs/governance.md):

- `audit_records` and `plan_transitions` are append-only: UPDATE, DELETE (and TRUNCATE on
  PostgreSQL) are refused by triggers.
- `plan_versions`: from submission on, `document`, `canonical_json`, `content_hash`,
  `plan_key` and `number` are frozen; once a version has been active its
  `effective_from` and `recorded_at` are frozen; only the state changes of the lifecycle
  are accepted; a version that left draft cannot be deleted.
- the single `audit_chain_head` row (id 1) is created here.

Both databases raise SQLSTATE 23000 / SQLITE_CONSTRAINT, so SQLAlchemy reports an
IntegrityError on either. Note for later revisions: SQLite batch mode rebuilds a table
(copy, drop, rename), which drops its triggers: a revision that batch-alters one of these
tables must create the triggers again (`_create_sqlite_triggers` shows them).
"""

from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

GENESIS_HASH = "0" * 64
ALLOWED_TRANSITIONS = (
    "draft>submitted",
    "draft>withdrawn",
    "submitted>approved",
    "submitted>rejected",
    "submitted>withdrawn",
    "approved>active",
    "approved>withdrawn",
    "active>superseded",
)
_ALLOWED_SQL = ", ".join(f"'{t}'" for t in ALLOWED_TRANSITIONS)
_FROZEN_CHANGED = {
    "postgresql": " OR ".join(
        f"NEW.{c} IS DISTINCT FROM OLD.{c}"
        for c in ("document", "canonical_json", "content_hash", "plan_key", "number")
    ),
    "sqlite": " OR ".join(
        f"NEW.{c} IS NOT OLD.{c}"
        for c in ("document", "canonical_json", "content_hash", "plan_key", "number")
    ),
}
_HISTORY_CHANGED = {
    "postgresql": "NEW.effective_from IS DISTINCT FROM OLD.effective_from"
    " OR NEW.recorded_at IS DISTINCT FROM OLD.recorded_at",
    "sqlite": "NEW.effective_from IS NOT OLD.effective_from"
    " OR NEW.recorded_at IS NOT OLD.recorded_at",
}
APPEND_ONLY_TABLES = ("audit_records", "plan_transitions")


def upgrade() -> None:
    op.create_table('audit_chain_head',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('last_id', sa.Integer(), nullable=False),
    sa.Column('last_hash', sa.String(length=64), nullable=False),
    sa.CheckConstraint('id = 1', name=op.f('ck_audit_chain_head_single_row')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_chain_head'))
    )
    op.create_table('plans',
    sa.Column('key', sa.String(length=63), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('latest_number', sa.Integer(), nullable=False),
    sa.Column('active_number', sa.Integer(), nullable=True),
    sa.Column('draft_number', sa.Integer(), nullable=True),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_plans'))
    )
    op.create_table('audit_records',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('object_type', sa.String(length=64), nullable=False),
    sa.Column('object_id', sa.String(length=128), nullable=False),
    sa.Column('before_hash', sa.String(length=71), nullable=True),
    sa.Column('after_hash', sa.String(length=71), nullable=True),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('record_hash', sa.String(length=64), nullable=False),
    sa.CheckConstraint('id > 0', name=op.f('ck_audit_records_id_positive')),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_audit_records_actor_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_records')),
    sa.UniqueConstraint('prev_hash', name=op.f('uq_audit_records_prev_hash')),
    sa.UniqueConstraint('record_hash', name=op.f('uq_audit_records_record_hash'))
    )
    with op.batch_alter_table('audit_records', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_records_action'), ['action'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_records_actor_id'), ['actor_id'], unique=False)

    op.create_table('plan_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_key', sa.String(length=63), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('document', sa.Text(), nullable=False),
    sa.Column('canonical_json', sa.Text(), nullable=False),
    sa.Column('content_hash', sa.String(length=71), nullable=False),
    sa.Column('effective_from', sa.Date(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('submitted_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("state IN ('draft', 'submitted', 'approved', 'active', 'superseded', 'rejected', 'withdrawn')", name=op.f('ck_plan_versions_state_known')),
    sa.CheckConstraint("state NOT IN ('active', 'superseded') OR (effective_from IS NOT NULL AND recorded_at IS NOT NULL)", name=op.f('ck_plan_versions_activated_has_times')),
    sa.CheckConstraint('number > 0', name=op.f('ck_plan_versions_number_positive')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_plan_versions_created_by_id_users')),
    sa.ForeignKeyConstraint(['plan_key'], ['plans.key'], name=op.f('fk_plan_versions_plan_key_plans')),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['users.id'], name=op.f('fk_plan_versions_submitted_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_versions')),
    sa.UniqueConstraint('plan_key', 'number', name=op.f('uq_plan_versions_plan_key_number'))
    )
    with op.batch_alter_table('plan_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_versions_content_hash'), ['content_hash'], unique=False)
        batch_op.create_index(batch_op.f('ix_plan_versions_plan_key'), ['plan_key'], unique=False)
        batch_op.create_index('uq_plan_versions_one_active', ['plan_key'], unique=True, postgresql_where=sa.text("state = 'active'"), sqlite_where=sa.text("state = 'active'"))

    op.create_table('plan_transitions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('from_state', sa.String(length=16), nullable=True),
    sa.Column('to_state', sa.String(length=16), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_plan_transitions_actor_id_users')),
    sa.ForeignKeyConstraint(['version_id'], ['plan_versions.id'], name=op.f('fk_plan_transitions_version_id_plan_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_transitions'))
    )
    with op.batch_alter_table('plan_transitions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_transitions_version_id'), ['version_id'], unique=False)

    op.execute(
        "INSERT INTO audit_chain_head (id, last_id, last_hash) "
        f"VALUES (1, 0, '{GENESIS_HASH}')"
    )
    if op.get_bind().dialect.name == "postgresql":
        _create_postgresql_triggers()
    else:
        _create_sqlite_triggers()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _drop_postgresql_triggers()
    else:
        _drop_sqlite_triggers()
    with op.batch_alter_table('plan_transitions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plan_transitions_version_id'))

    op.drop_table('plan_transitions')
    with op.batch_alter_table('plan_versions', schema=None) as batch_op:
        batch_op.drop_index('uq_plan_versions_one_active', postgresql_where=sa.text("state = 'active'"), sqlite_where=sa.text("state = 'active'"))
        batch_op.drop_index(batch_op.f('ix_plan_versions_plan_key'))
        batch_op.drop_index(batch_op.f('ix_plan_versions_content_hash'))

    op.drop_table('plan_versions')
    with op.batch_alter_table('audit_records', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_records_actor_id'))
        batch_op.drop_index(batch_op.f('ix_audit_records_action'))

    op.drop_table('audit_records')
    op.drop_table('plans')
    op.drop_table('audit_chain_head')


def _create_postgresql_triggers() -> None:
    op.execute(
        """
        CREATE FUNCTION accord_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
                USING ERRCODE = '23000';
        END
        $$
        """
    )
    for table in APPEND_ONLY_TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION accord_refuse_change()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION accord_refuse_change()"
        )
    op.execute(
        f"""
        CREATE FUNCTION accord_plan_version_guard() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'DELETE' THEN
                IF OLD.state <> 'draft' THEN
                    RAISE EXCEPTION 'plan version %/% is %: only a draft can be deleted',
                        OLD.plan_key, OLD.number, OLD.state USING ERRCODE = '23000';
                END IF;
                RETURN OLD;
            END IF;
            IF OLD.state <> 'draft' AND ({_FROZEN_CHANGED["postgresql"]}) THEN
                RAISE EXCEPTION 'plan version %/% is %: its document is frozen',
                    OLD.plan_key, OLD.number, OLD.state USING ERRCODE = '23000';
            END IF;
            IF OLD.state IN ('active', 'superseded') AND ({_HISTORY_CHANGED["postgresql"]}) THEN
                RAISE EXCEPTION 'plan version %/% has been active: its effective and record '
                    'times are history', OLD.plan_key, OLD.number USING ERRCODE = '23000';
            END IF;
            IF NEW.state <> OLD.state
                    AND OLD.state || '>' || NEW.state NOT IN ({_ALLOWED_SQL}) THEN
                RAISE EXCEPTION 'plan version %/%: % -> % is not a lifecycle transition',
                    OLD.plan_key, OLD.number, OLD.state, NEW.state USING ERRCODE = '23000';
            END IF;
            RETURN NEW;
        END
        $$
        """
    )
    op.execute(
        "CREATE TRIGGER plan_versions_guard BEFORE UPDATE OR DELETE ON plan_versions "
        "FOR EACH ROW EXECUTE FUNCTION accord_plan_version_guard()"
    )


def _drop_postgresql_triggers() -> None:
    op.execute("DROP TRIGGER IF EXISTS plan_versions_guard ON plan_versions")
    op.execute("DROP FUNCTION IF EXISTS accord_plan_version_guard()")
    for table in APPEND_ONLY_TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
    op.execute("DROP FUNCTION IF EXISTS accord_refuse_change()")


def _sqlite_trigger(name: str, event: str, table: str, when: str | None, message: str) -> None:
    condition = f" WHEN {when}" if when else ""
    op.execute(
        f"CREATE TRIGGER {name} BEFORE {event} ON {table} FOR EACH ROW{condition} "
        f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
    )


SQLITE_TRIGGERS = (
    "audit_records_no_update",
    "audit_records_no_delete",
    "plan_transitions_no_update",
    "plan_transitions_no_delete",
    "plan_versions_frozen",
    "plan_versions_history",
    "plan_versions_transition",
    "plan_versions_no_delete",
)


def _create_sqlite_triggers() -> None:
    for table in APPEND_ONLY_TABLES:
        for event in ("UPDATE", "DELETE"):
            _sqlite_trigger(
                f"{table}_no_{event.lower()}", event, table, None,
                f"{table} is append-only: {event} refused",
            )
    _sqlite_trigger(
        "plan_versions_frozen", "UPDATE", "plan_versions",
        f"OLD.state <> 'draft' AND ({_FROZEN_CHANGED['sqlite']})",
        "plan version is no longer a draft: its document is frozen",
    )
    _sqlite_trigger(
        "plan_versions_history", "UPDATE", "plan_versions",
        f"OLD.state IN ('active', 'superseded') AND ({_HISTORY_CHANGED['sqlite']})",
        "plan version has been active: its effective and record times are history",
    )
    _sqlite_trigger(
        "plan_versions_transition", "UPDATE", "plan_versions",
        f"NEW.state <> OLD.state AND OLD.state || '>' || NEW.state NOT IN ({_ALLOWED_SQL})",
        "plan version: not a lifecycle transition",
    )
    _sqlite_trigger(
        "plan_versions_no_delete", "DELETE", "plan_versions", "OLD.state <> 'draft'",
        "plan version: only a draft can be deleted",
    )


def _drop_sqlite_triggers() -> None:
    for name in SQLITE_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
