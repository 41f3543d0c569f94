"""The closed-run guard once per statement (PostgreSQL); an index for deleting lines.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25 00:05:00

Reviewed by hand. Revision 0005 guards `payout_lines` and `payout_statements` of an
approved or locked run with a BEFORE ... FOR EACH ROW trigger: one SELECT on
`payout_runs` per row written (about 5 microseconds a row, measured: ~1 s of a
100,000-deal run's 182,000 lines). On PostgreSQL this revision replaces it with AFTER
... FOR EACH STATEMENT triggers over transition tables (one trigger per event:
PostgreSQL allows transition tables only on single-event triggers) which look up the
runs of all the statement's rows at once. A COPY or multi-row INSERT of a batch costs
one lookup.

Same refusal: any affected row of an approved or locked run raises
"<table> of a <state> payout run cannot change" with SQLSTATE 23000 (an IntegrityError),
and the statement is undone. One difference, on purpose: an UPDATE is checked on both
its old and its new rows (0005 checked only the new run id on PostgreSQL, so a line
could be moved out of a locked run; SQLite's trigger already checked the old one).

Statement triggers pay off only for multi-row statements: a per-row executemany (what
SQLAlchemy's executemany is on psycopg 3) fires them once per row, which costs more than
the row trigger did. The payout run writes through COPY (governance.bulk_insert).

SQLite keeps its per-row triggers from 0005.

Both databases: `ix_payout_lines_adjusts_line_id` (partial: only lines that adjust
another, i.e. prior-period adjustments). Deleting a payout line makes the database check
the self foreign key `adjusts_line_id -> payout_lines.id`; without an index on the
referencing column that is a scan of the whole table per deleted line (measured: 200
lines deleted out of 45,000 took 3 to 6 s on either database, 0.01 s with the index).
A re-run deletes the replaced statements' lines, and a draft run's deletion cascades
to all of them.

Downgrade drops the index and restores 0005's row triggers.
"""

from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

CLOSED = "'approved', 'locked'"
ADJUSTS = "adjusts_line_id IS NOT NULL"
CHILD_TABLES = ("payout_lines", "payout_statements")
# (event, REFERENCING clause): transition tables are per event.
EVENTS = (
    ("INSERT", "NEW TABLE AS new_rows"),
    ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
    ("DELETE", "OLD TABLE AS old_rows"),
)


def _postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    op.create_index(
        'ix_payout_lines_adjusts_line_id', 'payout_lines', ['adjusts_line_id'], unique=False,
        postgresql_where=sa.text(ADJUSTS), sqlite_where=sa.text(ADJUSTS),
    )
    if not _postgresql():
        return
    for table in CHILD_TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_closed_guard ON {table}")
    op.execute("DROP FUNCTION IF EXISTS accord_payout_closed_guard()")
    # One function for the three triggers: PL/pgSQL plans a query when it first runs,
    # so the branch naming a transition table the event lacks is never planned.
    op.execute(
        f"""
        CREATE FUNCTION accord_payout_closed_guard_rows() RETURNS trigger
        LANGUAGE plpgsql AS $$
        DECLARE
            run_state text;
        BEGIN
            IF TG_OP IN ('INSERT', 'UPDATE') THEN
                SELECT r.state INTO run_state FROM payout_runs r
                WHERE r.state IN ({CLOSED})
                    AND r.id IN (SELECT DISTINCT run_id FROM new_rows)
                LIMIT 1;
            END IF;
            IF run_state IS NULL AND TG_OP IN ('UPDATE', 'DELETE') THEN
                SELECT r.state INTO run_state FROM payout_runs r
                WHERE r.state IN ({CLOSED})
                    AND r.id IN (SELECT DISTINCT run_id FROM old_rows)
                LIMIT 1;
            END IF;
            IF run_state IS NOT NULL THEN
                RAISE EXCEPTION '% of a % payout run cannot change', TG_TABLE_NAME, run_state
                    USING ERRCODE = '23000';
            END IF;
            RETURN NULL;
        END
        $$
        """
    )
    for table in CHILD_TABLES:
        for event, referencing in EVENTS:
            op.execute(
                f"CREATE TRIGGER {table}_closed_{event.lower()} AFTER {event} ON {table} "
                f"REFERENCING {referencing} FOR EACH STATEMENT "
                "EXECUTE FUNCTION accord_payout_closed_guard_rows()"
            )


def downgrade() -> None:
    op.drop_index('ix_payout_lines_adjusts_line_id', table_name='payout_lines')
    if not _postgresql():
        return
    for table in CHILD_TABLES:
        for event, _referencing in EVENTS:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_closed_{event.lower()} ON {table}")
    op.execute("DROP FUNCTION IF EXISTS accord_payout_closed_guard_rows()")
    # Revision 0005's row trigger, as it was.
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
