"""Payout runs: statement publishing (issue 15).

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-03 15:30:00

Reviewed by hand. `published_at` / `published_by_id`: when and by whom a locked run's
statements were published to its reps (`governance.payouts.close.publish_run`). The
run stays `locked` (payroll, the ledger and the guards all name that state); publishing
is a fact about a locked run, not a new state.

A locked run never changes (revision 0005's guard, widened by 0010). The guard now lets
exactly one change through: a locked, unpublished run gets its publication (both new
columns and `updated_at`), every other column unchanged. Publishing twice, unpublishing,
or publishing anything but a locked run is refused by the database too.

Runs locked before this revision are published now, at their lock time and by whoever
locked them: their reps already saw those statements (docs/decisions.md, "Statement
publishing"). The downgrade drops the columns and restores 0010's guard.
"""

from alembic import op
import sqlalchemy as sa


revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None

CLOSED = "'approved', 'locked'"
FROZEN = "'locked', 'discarded'"
TRANSITIONS = (
    "'draft>approved', 'draft>failed', 'approved>locked', 'approved>draft', 'draft>discarded'"
)
# Every column of payout_runs as of this revision but the three a publication sets.
UNCHANGED = (
    "id", "period", "period_start", "period_end", "state", "version", "started_by_id",
    "started_at", "finished_at", "input_data_hash", "plan_versions", "exceptions_hash",
    "result_hash", "participant_count", "deal_count", "line_count", "statement_count",
    "recomputed_count", "progress_done", "progress_total", "note", "approved_at",
    "locked_at", "locked_by_id", "failed_at", "input_revision", "participant_hashes",
)
FK = "fk_payout_runs_published_by_id_users"
SET_BY_PUBLISHING = ("published_at", "published_by_id", "updated_at")


def _postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    if _postgresql():
        # Drop the guard while the locked runs are published (the backfill updates them).
        op.execute("DROP TRIGGER IF EXISTS payout_runs_guard ON payout_runs")
    else:
        op.execute("DROP TRIGGER IF EXISTS payout_runs_frozen")
    op.add_column(
        "payout_runs", sa.Column("published_at", sa.DateTime(timezone=True), nullable=True)
    )
    if _postgresql():
        op.add_column("payout_runs", sa.Column("published_by_id", sa.Integer(), nullable=True))
        op.create_foreign_key(FK, "payout_runs", "users", ["published_by_id"], ["id"])
    else:
        # SQLite adds a column's foreign key inline (ALTER TABLE cannot add constraints).
        op.execute(
            "ALTER TABLE payout_runs ADD COLUMN published_by_id INTEGER "
            f"CONSTRAINT {FK} REFERENCES users (id)"
        )
    op.execute(
        "UPDATE payout_runs SET published_at = locked_at, published_by_id = locked_by_id "
        "WHERE state = 'locked'"
    )
    _guard(publishing=True)


def downgrade() -> None:
    if _postgresql():
        op.execute("DROP TRIGGER IF EXISTS payout_runs_guard ON payout_runs")
    else:
        op.execute("DROP TRIGGER IF EXISTS payout_runs_frozen")
    if _postgresql():
        op.drop_constraint(FK, "payout_runs", type_="foreignkey")
    op.drop_column("payout_runs", "published_by_id")
    op.drop_column("payout_runs", "published_at")
    _guard(publishing=False)


def _guard(*, publishing: bool) -> None:
    if _postgresql():
        allowed = ""
        if publishing:
            drop = " - ".join(f"'{c}'" for c in SET_BY_PUBLISHING)
            allowed = f"""
                IF OLD.state = 'locked' AND OLD.published_at IS NULL
                        AND NEW.published_at IS NOT NULL
                        AND to_jsonb(NEW) - {drop} = to_jsonb(OLD) - {drop} THEN
                    RETURN NEW;
                END IF;"""
        # Revision 0010's function, with the publication let through.
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
                END IF;{allowed}
                IF OLD.state IN ({FROZEN}) THEN
                    RAISE EXCEPTION 'payout run % is %: it never changes', OLD.id, OLD.state
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
        return
    when = f"OLD.state IN ({FROZEN})"
    if publishing:
        same = " AND ".join(f"NEW.{c} IS OLD.{c}" for c in UNCHANGED)
        when += (
            " AND NOT (OLD.state = 'locked' AND OLD.published_at IS NULL"
            f" AND NEW.published_at IS NOT NULL AND {same})"
        )
    op.execute(
        "CREATE TRIGGER payout_runs_frozen BEFORE UPDATE ON payout_runs FOR EACH ROW "
        f"WHEN {when} BEGIN SELECT RAISE(ABORT, "
        "'payout run is locked or discarded: it never changes'); END"
    )
