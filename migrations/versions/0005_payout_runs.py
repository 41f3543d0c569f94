"""Payout runs: runs, their lines and statements; votes on runs.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 21:30:00

Reviewed by hand. Besides the tables:

- `uq_payout_runs_one_per_period`: at most one run per period is draft, approved or
  locked (a partial unique index). Two runs of a period started at once: the second
  insert waits for the first transaction and then fails.
- `payout_runs`: only the lifecycle's state changes are accepted (draft>approved,
  draft>failed, approved>locked, approved>draft); a locked run never changes; an
  approved or locked run cannot be deleted.
- `payout_lines` and `payout_statements` of an approved or locked run cannot be inserted,
  changed or deleted.
- `votes.payout_run_id`: committee votes on a run (one vote per voter per run content
  hash); `ck_votes_one_subject` now says exactly one of plan version, rule set,
  exception, payout run. On SQLite, batch mode rebuilds `votes`, which drops its
  append-only triggers from 0003: they are created again here.

Both databases raise SQLSTATE 23000 / SQLITE_CONSTRAINT (an IntegrityError).
"""

from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

RUN_STATES = "'draft', 'approved', 'locked', 'failed'"
HOLDING = "'draft', 'approved', 'locked'"
CLOSED = "'approved', 'locked'"
TRANSITIONS = "'draft>approved', 'draft>failed', 'approved>locked', 'approved>draft'"
KINDS = (
    "'commission', 'spif', 'release', 'clawback', 'forfeit', 'adjustment', 'draw', "
    "'draw_recovery'"
)
CHILD_TABLES = ("payout_lines", "payout_statements")


def _one_of(*columns: str) -> str:
    # The same text as models.approvals.ONE_SUBJECT (and revision 0004).
    return " + ".join(f"(CASE WHEN {c} IS NULL THEN 0 ELSE 1 END)" for c in columns) + " = 1"


SUBJECTS_0004 = ("plan_version_id", "rule_set_id", "exception_id")
SUBJECTS_0005 = (*SUBJECTS_0004, "payout_run_id")


def upgrade() -> None:
    op.create_table('payout_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=16), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('started_by_id', sa.Integer(), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('input_data_hash', sa.String(length=71), nullable=False),
    sa.Column('plan_versions', sa.JSON(), nullable=False),
    sa.Column('exceptions_hash', sa.String(length=71), nullable=False),
    sa.Column('result_hash', sa.String(length=71), nullable=True),
    sa.Column('participant_count', sa.Integer(), nullable=False),
    sa.Column('deal_count', sa.Integer(), nullable=False),
    sa.Column('line_count', sa.Integer(), nullable=False),
    sa.Column('statement_count', sa.Integer(), nullable=False),
    sa.Column('recomputed_count', sa.Integer(), nullable=False),
    sa.Column('progress_done', sa.Integer(), nullable=False),
    sa.Column('progress_total', sa.Integer(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('approved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('locked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('locked_by_id', sa.Integer(), nullable=True),
    sa.Column('failed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint(f"state IN ({RUN_STATES})", name=op.f('ck_payout_runs_state_known')),
    sa.CheckConstraint('version > 0', name=op.f('ck_payout_runs_version_positive')),
    sa.CheckConstraint('period_start <= period_end', name=op.f('ck_payout_runs_period_ordered')),
    sa.CheckConstraint("state <> 'locked' OR locked_at IS NOT NULL", name=op.f('ck_payout_runs_locked_has_time')),
    sa.ForeignKeyConstraint(['started_by_id'], ['users.id'], name=op.f('fk_payout_runs_started_by_id_users')),
    sa.ForeignKeyConstraint(['locked_by_id'], ['users.id'], name=op.f('fk_payout_runs_locked_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payout_runs'))
    )
    op.create_index(op.f('ix_payout_runs_period'), 'payout_runs', ['period'], unique=False)
    op.create_index('uq_payout_runs_one_per_period', 'payout_runs', ['period'], unique=True, postgresql_where=sa.text(f"state IN ({HOLDING})"), sqlite_where=sa.text(f"state IN ({HOLDING})"))
    op.create_table('payout_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('line_key', sa.String(length=400), nullable=False),
    sa.Column('participant_id', sa.String(length=64), nullable=False),
    sa.Column('deal_id', sa.String(length=64), nullable=True),
    sa.Column('plan_key', sa.String(length=63), nullable=False),
    sa.Column('plan_version_hash', sa.String(length=71), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('rule', sa.String(length=200), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('share', sa.Numeric(precision=18, scale=12, asdecimal=True), nullable=True),
    sa.Column('credit', sa.Numeric(precision=24, scale=6, asdecimal=True), nullable=True),
    sa.Column('rate', sa.Numeric(precision=18, scale=12, asdecimal=True), nullable=True),
    sa.Column('amount', sa.Numeric(precision=24, scale=6, asdecimal=True), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('trace', sa.JSON(), nullable=False),
    sa.Column('adjusts_period', sa.String(length=16), nullable=True),
    sa.Column('adjusts_line_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.CheckConstraint(f"kind IN ({KINDS})", name=op.f('ck_payout_lines_kind_known')),
    sa.CheckConstraint("kind = 'adjustment' OR adjusts_period IS NULL", name=op.f('ck_payout_lines_adjusts_only_adjustments')),
    sa.ForeignKeyConstraint(['adjusts_line_id'], ['payout_lines.id'], name=op.f('fk_payout_lines_adjusts_line_id_payout_lines')),
    sa.ForeignKeyConstraint(['participant_id'], ['participants.id'], name=op.f('fk_payout_lines_participant_id_participants')),
    sa.ForeignKeyConstraint(['run_id'], ['payout_runs.id'], name=op.f('fk_payout_lines_run_id_payout_runs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payout_lines')),
    sa.UniqueConstraint('run_id', 'line_key', name=op.f('uq_payout_lines_run_id_line_key'))
    )
    op.create_index(op.f('ix_payout_lines_deal_id'), 'payout_lines', ['deal_id'], unique=False)
    op.create_index(op.f('ix_payout_lines_participant_id'), 'payout_lines', ['participant_id'], unique=False)
    op.create_index('ix_payout_lines_run_participant', 'payout_lines', ['run_id', 'participant_id'], unique=False)
    op.create_table('payout_statements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.String(length=64), nullable=False),
    sa.Column('plan_key', sa.String(length=63), nullable=False),
    sa.Column('plan_version_hash', sa.String(length=71), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('quota', sa.Numeric(precision=24, scale=6, asdecimal=True), nullable=True),
    sa.Column('credited', sa.Numeric(precision=24, scale=6, asdecimal=True), nullable=False),
    sa.Column('attainment', sa.Numeric(precision=18, scale=12, asdecimal=True), nullable=True),
    sa.Column('earned', sa.Numeric(precision=24, scale=6, asdecimal=True), nullable=False),
    sa.Column('held', sa.Numeric(precision=24, scale=6, asdecimal=True), nullable=False),
    sa.Column('released', sa.Numeric(precision=24, scale=6, asdecimal=True), nullable=False),
    sa.Column('clawed_back', sa.Numeric(precision=24, scale=6, asdecimal=True), nullable=False),
    sa.Column('draw', sa.Numeric(precision=24, scale=6, asdecimal=True), nullable=False),
    sa.Column('draw_balance', sa.Numeric(precision=24, scale=6, asdecimal=True), nullable=False),
    sa.Column('payable', sa.Numeric(precision=24, scale=6, asdecimal=True), nullable=False),
    sa.Column('line_count', sa.Integer(), nullable=False),
    sa.Column('input_hash', sa.String(length=71), nullable=False),
    sa.Column('result_hash', sa.String(length=71), nullable=False),
    sa.ForeignKeyConstraint(['participant_id'], ['participants.id'], name=op.f('fk_payout_statements_participant_id_participants')),
    sa.ForeignKeyConstraint(['run_id'], ['payout_runs.id'], name=op.f('fk_payout_statements_run_id_payout_runs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payout_statements')),
    sa.UniqueConstraint('run_id', 'participant_id', 'plan_key', name=op.f('uq_payout_statements_run_id_participant_id_plan_key'))
    )
    op.create_index('ix_payout_statements_participant_id', 'payout_statements', ['participant_id'], unique=False)

    sqlite = op.get_bind().dialect.name == "sqlite"
    with op.batch_alter_table('votes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('payout_run_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_votes_payout_run_id'), ['payout_run_id'], unique=False)
        batch_op.create_unique_constraint(batch_op.f('uq_votes_payout_run_id_voter_id_content_hash'), ['payout_run_id', 'voter_id', 'content_hash'])
        batch_op.create_foreign_key(batch_op.f('fk_votes_payout_run_id_payout_runs'), 'payout_runs', ['payout_run_id'], ['id'])
        batch_op.drop_constraint(batch_op.f('ck_votes_one_subject'), type_='check')
        batch_op.create_check_constraint(op.f('ck_votes_one_subject'), sa.text(_one_of(*SUBJECTS_0005)))
    if sqlite:
        _create_sqlite_vote_triggers()
    if op.get_bind().dialect.name == "postgresql":
        _create_postgresql_triggers()
    else:
        _create_sqlite_triggers()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _drop_postgresql_triggers()
    else:
        _drop_sqlite_triggers()
        # Batch mode rebuilds votes; its triggers go with the old table.
        for name in ("votes_no_update", "votes_no_delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    with op.batch_alter_table('votes', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_votes_one_subject'), type_='check')
        batch_op.create_check_constraint(op.f('ck_votes_one_subject'), sa.text(_one_of(*SUBJECTS_0004)))
        batch_op.drop_constraint(batch_op.f('fk_votes_payout_run_id_payout_runs'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_votes_payout_run_id_voter_id_content_hash'), type_='unique')
        batch_op.drop_index(batch_op.f('ix_votes_payout_run_id'))
        batch_op.drop_column('payout_run_id')
    if op.get_bind().dialect.name == "sqlite":
        _create_sqlite_vote_triggers()
    op.drop_index('ix_payout_statements_participant_id', table_name='payout_statements')
    op.drop_table('payout_statements')
    op.drop_index('ix_payout_lines_run_participant', table_name='payout_lines')
    op.drop_index(op.f('ix_payout_lines_participant_id'), table_name='payout_lines')
    op.drop_index(op.f('ix_payout_lines_deal_id'), table_name='payout_lines')
    op.drop_table('payout_lines')
    op.drop_index('uq_payout_runs_one_per_period', table_name='payout_runs', postgresql_where=sa.text(f"state IN ({HOLDING})"), sqlite_where=sa.text(f"state IN ({HOLDING})"))
    op.drop_index(op.f('ix_payout_runs_period'), table_name='payout_runs')
    op.drop_table('payout_runs')


def _create_sqlite_vote_triggers() -> None:
    # The same triggers as revision 0003 (the rebuilt table lost them).
    for event in ("UPDATE", "DELETE"):
        op.execute(f"DROP TRIGGER IF EXISTS votes_no_{event.lower()}")
        op.execute(
            f"CREATE TRIGGER votes_no_{event.lower()} BEFORE {event} ON votes FOR EACH ROW "
            f"BEGIN SELECT RAISE(ABORT, 'votes is append-only: {event} refused'); END"
        )


def _create_postgresql_triggers() -> None:
    op.execute(
        f"""
        CREATE FUNCTION accord_payout_run_guard() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'DELETE' THEN
                IF OLD.state IN ({CLOSED}) THEN
                    RAISE EXCEPTION 'payout run % is %: it cannot be deleted',
                        OLD.id, OLD.state USING ERRCODE = '23000';
                END IF;
                RETURN OLD;
            END IF;
            IF OLD.state = 'locked' THEN
                RAISE EXCEPTION 'payout run % is locked: it never changes', OLD.id
                    USING ERRCODE = '23000';
            END IF;
            IF NEW.state <> OLD.state
                    AND OLD.state || '>' || NEW.state NOT IN ({TRANSITIONS}) THEN
                RAISE EXCEPTION 'payout run %: % -> % is not a lifecycle transition',
                    OLD.id, OLD.state, NEW.state USING ERRCODE = '23000';
            END IF;
            RETURN NEW;
        END
        $$
        """
    )
    op.execute(
        "CREATE TRIGGER payout_runs_guard BEFORE UPDATE OR DELETE ON payout_runs "
        "FOR EACH ROW EXECUTE FUNCTION accord_payout_run_guard()"
    )
    op.execute(
        f"""
        CREATE FUNCTION accord_payout_closed_guard() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            run_state text;
        BEGIN
            IF TG_OP = 'DELETE' THEN
                SELECT state INTO run_state FROM payout_runs WHERE id = OLD.run_id;
            ELSE
                SELECT state INTO run_state FROM payout_runs WHERE id = NEW.run_id;
            END IF;
            IF run_state IN ({CLOSED}) THEN
                RAISE EXCEPTION '% of a % payout run cannot change', TG_TABLE_NAME, run_state
                    USING ERRCODE = '23000';
            END IF;
            IF TG_OP = 'DELETE' THEN
                RETURN OLD;
            END IF;
            RETURN NEW;
        END
        $$
        """
    )
    for table in CHILD_TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_closed_guard BEFORE INSERT OR UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION accord_payout_closed_guard()"
        )


def _drop_postgresql_triggers() -> None:
    for table in CHILD_TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_closed_guard ON {table}")
    op.execute("DROP FUNCTION IF EXISTS accord_payout_closed_guard()")
    op.execute("DROP TRIGGER IF EXISTS payout_runs_guard ON payout_runs")
    op.execute("DROP FUNCTION IF EXISTS accord_payout_run_guard()")


def _sqlite_trigger(name: str, event: str, table: str, when: str, message: str) -> None:
    op.execute(
        f"CREATE TRIGGER {name} BEFORE {event} ON {table} FOR EACH ROW WHEN {when} "
        f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
    )


def _sqlite_triggers() -> list[tuple[str, str, str, str, str]]:
    out = [
        ("payout_runs_frozen", "UPDATE", "payout_runs", "OLD.state = 'locked'",
         "payout run is locked: it never changes"),
        ("payout_runs_transition", "UPDATE", "payout_runs",
         f"NEW.state <> OLD.state AND OLD.state || '>' || NEW.state NOT IN ({TRANSITIONS})",
         "payout run: not a lifecycle transition"),
        ("payout_runs_no_delete", "DELETE", "payout_runs", f"OLD.state IN ({CLOSED})",
         "payout run: an approved or locked run cannot be deleted"),
    ]
    for table in CHILD_TABLES:
        for event, row in (("INSERT", "NEW"), ("UPDATE", "OLD"), ("DELETE", "OLD")):
            out.append((
                f"{table}_closed_{event.lower()}", event, table,
                f"(SELECT state FROM payout_runs WHERE id = {row}.run_id) IN ({CLOSED})",
                f"{table} of an approved or locked payout run cannot change",
            ))
    return out


def _create_sqlite_triggers() -> None:
    for trigger in _sqlite_triggers():
        _sqlite_trigger(*trigger)


def _drop_sqlite_triggers() -> None:
    for name, *_rest in _sqlite_triggers():
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
