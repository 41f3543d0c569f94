"""Payout runs: the `building` state (a fanned-out first build; issue 13).

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-03 18:00:00

Reviewed by hand. A fanned-out run's first build writes its statements and lines from
its batch tasks, in parallel transactions, under a run row in the state `building`;
the finalizer turns it into a draft in one short transaction (`building>draft`), and a
failed build is deleted. `building` joins the known states (CHECK, widened in place on
SQLite as revision 0010 did), the transitions of the run guard (revision 0027's
function, with `building>draft`), and the partial unique index of runs holding their
period, so a second build of the period is still refused while one is building. No
reader shows a building run (docs/payout-runs.md, "Building runs").

The downgrade is refused while a building run exists.
"""

from alembic import op


revision = '0033'
down_revision = '0032'
branch_labels = None
depends_on = None

OLD_STATES = "'draft', 'approved', 'locked', 'failed', 'discarded'"
NEW_STATES = "'building', 'draft', 'approved', 'locked', 'failed', 'discarded'"
OLD_HOLDING = "'draft', 'approved', 'locked'"
NEW_HOLDING = "'building', 'draft', 'approved', 'locked'"
CLOSED = "'approved', 'locked'"
FROZEN = "'locked', 'discarded'"
OLD_TRANSITIONS = (
    "'draft>approved', 'draft>failed', 'approved>locked', 'approved>draft', 'draft>discarded'"
)
NEW_TRANSITIONS = OLD_TRANSITIONS + ", 'building>draft'"
SET_BY_PUBLISHING = ("published_at", "published_by_id", "updated_at")
INDEX = "uq_payout_runs_one_per_period"


def _postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    _states(OLD_STATES, NEW_STATES)
    _holding(NEW_HOLDING)
    _transitions(NEW_TRANSITIONS)


def downgrade() -> None:
    building = op.get_bind().exec_driver_sql(
        "SELECT count(*) FROM payout_runs WHERE state = 'building'"
    ).scalar()
    if building:
        raise RuntimeError(f"{building} building payout runs: revision 0028 has no such state")
    _transitions(OLD_TRANSITIONS)
    _holding(OLD_HOLDING)
    _states(NEW_STATES, OLD_STATES)


def _states(old: str, new: str) -> None:
    if _postgresql():
        op.execute("ALTER TABLE payout_runs DROP CONSTRAINT ck_payout_runs_state_known")
        op.execute(
            "ALTER TABLE payout_runs ADD CONSTRAINT ck_payout_runs_state_known "
            f"CHECK (state IN ({new}))"
        )
        return
    # Revision 0010's way: SQLite cannot alter a CHECK, and a rebuild of payout_runs
    # would drop the table its lines and statements reference.
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


def _holding(states: str) -> None:
    op.execute(f"DROP INDEX {INDEX}")
    op.execute(f"CREATE UNIQUE INDEX {INDEX} ON payout_runs (period) WHERE state IN ({states})")


def _transitions(transitions: str) -> None:
    if not _postgresql():
        # Revision 0010's trigger, with the new transitions.
        op.execute("DROP TRIGGER IF EXISTS payout_runs_transition")
        op.execute(
            "CREATE TRIGGER payout_runs_transition BEFORE UPDATE ON payout_runs FOR EACH ROW "
            f"WHEN NEW.state <> OLD.state AND OLD.state || '>' || NEW.state NOT IN "
            f"({transitions}) "
            "BEGIN SELECT RAISE(ABORT, 'payout run: not a lifecycle transition'); END"
        )
        return
    drop = " - ".join(f"'{c}'" for c in SET_BY_PUBLISHING)
    # Revision 0027's function, with the new transitions.
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
            IF OLD.state = 'locked' AND OLD.published_at IS NULL
                    AND NEW.published_at IS NOT NULL
                    AND to_jsonb(NEW) - {drop} = to_jsonb(OLD) - {drop} THEN
                RETURN NEW;
            END IF;
            IF OLD.state IN ({FROZEN}) THEN
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
