"""Committee approval: versioned approval rules, change requests, votes.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 19:55:00

Reviewed by hand. Besides the tables:

- `votes` and `change_requests` are append-only (UPDATE and DELETE refused; TRUNCATE too
  on PostgreSQL), like the audit log.
- `approval_rule_sets`: `number`, `document`, `content_hash`, `decided_under` and
  `created_by_id` never change; only the lifecycle's state changes are accepted; no row is
  deleted; one active rule set (partial unique index).
- Rule set 1, the default approval rules, is inserted active. Its document is written out
  here rather than imported from `governance/`, so that this revision stays what it was
  when it ran; `governance.approval_rules.DEFAULT_RULES` must equal it (a test checks).

No existing table is altered, so no trigger of 0002 is dropped by SQLite's batch mode.
"""

import hashlib
import json

from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

DEFAULT_RULES = {
    "plan_change": {
        "min_approvals": 3,
        "required_functions": ["finance", "sales"],
        "required_roles": [],
        "any_rejection_rejects": True,
    },
    "approval_rules": {
        "min_approvals": 3,
        "required_functions": ["finance", "sales"],
        "required_roles": [],
        "any_rejection_rejects": True,
    },
    "exception": {
        "committee_above": "10000",
        "below": {
            "min_approvals": 2,
            "required_functions": ["finance"],
            "required_roles": ["deal_desk"],
            "any_rejection_rejects": True,
        },
    },
    "impact": {"periods": 4, "top": 10},
}
RULE_SET_TRANSITIONS = (
    "submitted>active",
    "submitted>rejected",
    "submitted>withdrawn",
    "active>superseded",
)
_ALLOWED_SQL = ", ".join(f"'{t}'" for t in RULE_SET_TRANSITIONS)
_FROZEN = ("number", "document", "content_hash", "decided_under", "created_by_id")
APPEND_ONLY_TABLES = ("votes", "change_requests")


def upgrade() -> None:
    op.create_table('approval_rule_sets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('document', sa.Text(), nullable=False),
    sa.Column('content_hash', sa.String(length=71), nullable=False),
    sa.Column('decided_under', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('number > 0', name=op.f('ck_approval_rule_sets_number_positive')),
    sa.CheckConstraint("state IN ('submitted', 'active', 'superseded', 'rejected', 'withdrawn')", name=op.f('ck_approval_rule_sets_state_known')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_approval_rule_sets_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_approval_rule_sets')),
    sa.UniqueConstraint('number', name=op.f('uq_approval_rule_sets_number'))
    )
    op.create_index('uq_approval_rule_sets_one_active', 'approval_rule_sets', ['state'], unique=True, postgresql_where=sa.text("state = 'active'"), sqlite_where=sa.text("state = 'active'"))
    op.create_table('change_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_version_id', sa.Integer(), nullable=False),
    sa.Column('rule_set_id', sa.Integer(), nullable=False),
    sa.Column('impact', sa.JSON(), nullable=False),
    sa.Column('tests', sa.JSON(), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['plan_version_id'], ['plan_versions.id'], name=op.f('fk_change_requests_plan_version_id_plan_versions')),
    sa.ForeignKeyConstraint(['rule_set_id'], ['approval_rule_sets.id'], name=op.f('fk_change_requests_rule_set_id_approval_rule_sets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_change_requests')),
    sa.UniqueConstraint('plan_version_id', name=op.f('uq_change_requests_plan_version_id'))
    )
    op.create_table('votes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_version_id', sa.Integer(), nullable=True),
    sa.Column('rule_set_id', sa.Integer(), nullable=True),
    sa.Column('voter_id', sa.Integer(), nullable=False),
    sa.Column('decision', sa.String(length=8), nullable=False),
    sa.Column('content_hash', sa.String(length=71), nullable=False),
    sa.Column('functions', sa.JSON(), nullable=False),
    sa.Column('roles', sa.JSON(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("decision IN ('approve', 'reject')", name=op.f('ck_votes_decision_known')),
    sa.CheckConstraint('(plan_version_id IS NULL) <> (rule_set_id IS NULL)', name=op.f('ck_votes_one_subject')),
    sa.ForeignKeyConstraint(['plan_version_id'], ['plan_versions.id'], name=op.f('fk_votes_plan_version_id_plan_versions')),
    sa.ForeignKeyConstraint(['rule_set_id'], ['approval_rule_sets.id'], name=op.f('fk_votes_rule_set_id_approval_rule_sets')),
    sa.ForeignKeyConstraint(['voter_id'], ['users.id'], name=op.f('fk_votes_voter_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_votes')),
    sa.UniqueConstraint('plan_version_id', 'voter_id', name=op.f('uq_votes_plan_version_id_voter_id')),
    sa.UniqueConstraint('rule_set_id', 'voter_id', name=op.f('uq_votes_rule_set_id_voter_id'))
    )
    op.create_index(op.f('ix_votes_plan_version_id'), 'votes', ['plan_version_id'], unique=False)
    op.create_index(op.f('ix_votes_rule_set_id'), 'votes', ['rule_set_id'], unique=False)
    op.create_index(op.f('ix_votes_voter_id'), 'votes', ['voter_id'], unique=False)

    document = json.dumps(DEFAULT_RULES, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    content_hash = "sha256:" + hashlib.sha256(document.encode("utf-8")).hexdigest()
    rule_sets = sa.table(
        "approval_rule_sets",
        sa.column("number", sa.Integer()),
        sa.column("state", sa.String()),
        sa.column("document", sa.Text()),
        sa.column("content_hash", sa.String()),
        sa.column("note", sa.Text()),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("decided_at", sa.DateTime(timezone=True)),
    )
    op.execute(
        rule_sets.insert().values(
            number=1,
            state="active",
            document=document,
            content_hash=content_hash,
            note="default approval rules (migration 0003)",
            created_at=sa.func.current_timestamp(),
            decided_at=sa.func.current_timestamp(),
        )
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
    op.drop_index(op.f('ix_votes_voter_id'), table_name='votes')
    op.drop_index(op.f('ix_votes_rule_set_id'), table_name='votes')
    op.drop_index(op.f('ix_votes_plan_version_id'), table_name='votes')
    op.drop_table('votes')
    op.drop_table('change_requests')
    op.drop_index('uq_approval_rule_sets_one_active', table_name='approval_rule_sets', postgresql_where=sa.text("state = 'active'"), sqlite_where=sa.text("state = 'active'"))
    op.drop_table('approval_rule_sets')


def _create_postgresql_triggers() -> None:
    # accord_refuse_change() comes from revision 0002.
    for table in APPEND_ONLY_TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION accord_refuse_change()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION accord_refuse_change()"
        )
    frozen = " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in _FROZEN)
    op.execute(
        f"""
        CREATE FUNCTION accord_rule_set_guard() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'DELETE' THEN
                RAISE EXCEPTION 'approval rule set % cannot be deleted', OLD.number
                    USING ERRCODE = '23000';
            END IF;
            IF {frozen} THEN
                RAISE EXCEPTION 'approval rule set %: its document is frozen', OLD.number
                    USING ERRCODE = '23000';
            END IF;
            IF NEW.state <> OLD.state
                    AND OLD.state || '>' || NEW.state NOT IN ({_ALLOWED_SQL}) THEN
                RAISE EXCEPTION 'approval rule set %: % -> % is not a lifecycle transition',
                    OLD.number, OLD.state, NEW.state USING ERRCODE = '23000';
            END IF;
            RETURN NEW;
        END
        $$
        """
    )
    op.execute(
        "CREATE TRIGGER approval_rule_sets_guard BEFORE UPDATE OR DELETE ON approval_rule_sets "
        "FOR EACH ROW EXECUTE FUNCTION accord_rule_set_guard()"
    )


def _drop_postgresql_triggers() -> None:
    op.execute("DROP TRIGGER IF EXISTS approval_rule_sets_guard ON approval_rule_sets")
    op.execute("DROP FUNCTION IF EXISTS accord_rule_set_guard()")
    for table in APPEND_ONLY_TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")


def _sqlite_trigger(name: str, event: str, table: str, when: str | None, message: str) -> None:
    condition = f" WHEN {when}" if when else ""
    op.execute(
        f"CREATE TRIGGER {name} BEFORE {event} ON {table} FOR EACH ROW{condition} "
        f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
    )


SQLITE_TRIGGERS = (
    "votes_no_update",
    "votes_no_delete",
    "change_requests_no_update",
    "change_requests_no_delete",
    "approval_rule_sets_frozen",
    "approval_rule_sets_transition",
    "approval_rule_sets_no_delete",
)


def _create_sqlite_triggers() -> None:
    for table in APPEND_ONLY_TABLES:
        for event in ("UPDATE", "DELETE"):
            _sqlite_trigger(
                f"{table}_no_{event.lower()}", event, table, None,
                f"{table} is append-only: {event} refused",
            )
    _sqlite_trigger(
        "approval_rule_sets_frozen", "UPDATE", "approval_rule_sets",
        " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in _FROZEN),
        "approval rule set: its document is frozen",
    )
    _sqlite_trigger(
        "approval_rule_sets_transition", "UPDATE", "approval_rule_sets",
        f"NEW.state <> OLD.state AND OLD.state || '>' || NEW.state NOT IN ({_ALLOWED_SQL})",
        "approval rule set: not a lifecycle transition",
    )
    _sqlite_trigger(
        "approval_rule_sets_no_delete", "DELETE", "approval_rule_sets", None,
        "approval rule set: cannot be deleted",
    )


def _drop_sqlite_triggers() -> None:
    for name in SQLITE_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
