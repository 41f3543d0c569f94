"""Payout runs: the `discarded` state (a draft set aside; issue 11).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 06:00:00

Reviewed by hand. A draft run can be discarded: `draft>discarded` joins the lifecycle's
transitions, `discarded` the known states (CHECK), and a discarded run, like a locked
one, never changes again (the run guard of revision 0005). It does not hold its period
(the partial unique index names draft, approved and locked only), so the period can be
run again. Its lines and statements stay as they were, for the record.

SQLite cannot alter a CHECK constraint, and rebuilding `payout_runs` would drop the
table its lines and statements reference (ON DELETE CASCADE). The CHECK is widened in
place instead, as SQLite's documentation describes for changes that leave the stored
rows valid (`writable_schema`, then a new schema version); the downgrade narrows it
back, refused while a discarded run exists.
"""

from alembic import op


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

OLD_STATES = "'draft', 'approved', 'locked', 'failed'"
NEW_STATES = "'draft', 'approved', 'locked', 'failed', 'discarded'"
CLOSED = "'approved', 'locked'"
OLD_TRANSITIONS = "'draft>approved', 'draft>failed', 'approved>locked', 'approved>draft'"
NEW_TRANSITIONS = OLD_TRANSITIONS + ", 'draft>discarded'"
OLD_FROZEN = "'locked'"
NEW_FROZEN = "'locked', 'discarded'"


def _postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    _states(OLD_STATES, NEW_STATES)
    _guard(NEW_TRANSITIONS, NEW_FROZEN)


def downgrade() -> None:
    discarded = op.get_bind().exec_driver_sql(
        "SELECT count(*) FROM payout_runs WHERE state = 'discarded'"
    ).scalar()
    if discarded:
        raise RuntimeError(f"{discarded} discarded payout runs: revision 0009 has no such state")
    _states(NEW_STATES, OLD_STATES)
    _guard(OLD_TRANSITIONS, OLD_FROZEN)


def _states(old: str, new: str) -> None:
    if _postgresql():
        op.execute("ALTER TABLE payout_runs DROP CONSTRAINT ck_payout_runs_state_known")
        op.execute(
            "ALTER TABLE payout_runs ADD CONSTRAINT ck_payout_runs_state_known "
            f"CHECK (state IN ({new}))"
        )
        return
    bind = op.get_bind()
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar()
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    bind.exec_driver_sql(
        "UPDATE sqlite_master SET sql = replace(sql, ?, ?) "
        "WHERE type = 'table' AND name = 'payout_runs'",
        (f"CHECK (state IN ({old}))", f"CHECK (state IN ({new}))"),
    )
    bind.exec_driver_sql(f"PRAGMA schema_version = {version + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema = OFF")


def _guard(transitions: str, frozen: str) -> None:
    if _postgresql():
        # Revision 0005's function with the new transitions and frozen states.
        op.execute(
            f"""
            CREATE OR REPLACE FUNCTION accord_payout_run_guard() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP = 'DELETE' THEN
                    IF OLD.state IN ({CLOSED}) THEN
                        RAISE EXCEPTION 'payout run % is %: it cannot be deleted',
                            OLD.id, OLD.state USING ERRCODE = '23000';
                    END IF;
                    RETURN OLD;
                END IF;
                IF OLD.state IN ({frozen}) THEN
                    RAISE EXCEPTION 'payout run % is %: it never changes', OLD.id, OLD.state
                        USING ERRCODE = '23000';
                END IF;
                IF NEW.state <> OLD.state
                        AND OLD.state || '>' || NEW.state NOT IN ({transitions}) THEN
                    RAISE EXCEPTION 'payout run %: % -> % is not a lifecycle transition',
                        OLD.id, OLD.state, NEW.state USING ERRCODE = '23000';
                END IF;
                RETURN NEW;
            END
            $$
            """
        )
        return
    # Revision 0005's SQLite triggers, with the new transitions and frozen states.
    for name in ("payout_runs_frozen", "payout_runs_transition"):
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    message = "payout run is locked: it never changes"
    if frozen != OLD_FROZEN:
        message = "payout run is locked or discarded: it never changes"
    op.execute(
        "CREATE TRIGGER payout_runs_frozen BEFORE UPDATE ON payout_runs FOR EACH ROW "
        f"WHEN OLD.state IN ({frozen}) BEGIN SELECT RAISE(ABORT, '{message}'); END"
    )
    op.execute(
        "CREATE TRIGGER payout_runs_transition BEFORE UPDATE ON payout_runs FOR EACH ROW "
        f"WHEN NEW.state <> OLD.state AND OLD.state || '>' || NEW.state NOT IN ({transitions}) "
        "BEGIN SELECT RAISE(ABORT, 'payout run: not a lifecycle transition'); END"
    )
