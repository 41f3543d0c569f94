"""The audit chain head sealed: records only link on at the end, the head only moves forward.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 09:00:00

Reviewed by hand. 0002 made `audit_records` append-only (no UPDATE, DELETE, TRUNCATE) but
left the single `audit_chain_head` row unguarded and accepted any INSERT, so a tail could
be replaced: move the head back, then append forged records with recomputed hashes (and
on SQLite `INSERT OR REPLACE` rewrote a record without firing the DELETE trigger). This
revision adds, on both databases:

- `audit_records`, BEFORE INSERT: the new record's id is the last id + 1 and its
  `prev_hash` is the last record's `record_hash` (64 zeros for record 1);
- `audit_chain_head`, BEFORE UPDATE: the head moves strictly forward, to the last record,
  and carries that record's `record_hash`; `id` stays 1. An UPDATE that changes nothing
  passes (`SET id = id` takes SQLite's write lock: tests/integration/test_concurrent_requests.py);
- `audit_chain_head`: INSERT and DELETE refused (and TRUNCATE on PostgreSQL). The row of
  0002 is the only one there will ever be.

A record's own hash (SHA-256 over canonical JSON) is not recomputed here: that is
`accord audit verify`'s work. Whoever can drop a trigger (the owner of the tables, a
superuser; on PostgreSQL also `session_replication_role = replica`) can still rewrite
the chain consistently; only an anchor kept outside Accord (`accord audit anchor`,
docs/security.md "Audit chain anchors") detects that. Refusals are SQLSTATE 23000 /
SQLITE_CONSTRAINT, an IntegrityError on either database.

SQLite batch mode rebuilds a table and drops its triggers: a later revision that
batch-alters either table must create these (and 0002's) again.
"""

from alembic import op


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

GENESIS_HASH = "0" * 64
RECORD_MESSAGE = "audit_records: a record must follow the last one and link to its hash"
HEAD_MESSAGE = "audit_chain_head may only move forward to the last record and its hash"
SQLITE_TRIGGERS = (
    "audit_records_link",
    "audit_chain_head_forward",
    "audit_chain_head_no_insert",
    "audit_chain_head_no_delete",
)


def _postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    if _postgresql():
        _create_postgresql_triggers()
    else:
        _create_sqlite_triggers()


def downgrade() -> None:
    if _postgresql():
        op.execute("DROP TRIGGER IF EXISTS audit_records_link ON audit_records")
        op.execute("DROP TRIGGER IF EXISTS audit_chain_head_guard ON audit_chain_head")
        op.execute("DROP TRIGGER IF EXISTS audit_chain_head_no_truncate ON audit_chain_head")
        op.execute("DROP FUNCTION IF EXISTS accord_audit_record_link()")
        op.execute("DROP FUNCTION IF EXISTS accord_audit_head_guard()")
    else:
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")


def _create_postgresql_triggers() -> None:
    op.execute(
        f"""
        CREATE FUNCTION accord_audit_record_link() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            last_id integer;
            last_hash text;
        BEGIN
            SELECT coalesce(max(id), 0) INTO last_id FROM audit_records;
            IF last_id = 0 THEN
                last_hash := '{GENESIS_HASH}';
            ELSE
                SELECT record_hash INTO last_hash FROM audit_records WHERE id = last_id;
            END IF;
            IF NEW.id IS DISTINCT FROM last_id + 1 OR NEW.prev_hash IS DISTINCT FROM last_hash
            THEN
                RAISE EXCEPTION '{RECORD_MESSAGE} (record %, last %)', NEW.id, last_id
                    USING ERRCODE = '23000';
            END IF;
            RETURN NEW;
        END
        $$
        """
    )
    op.execute(
        "CREATE TRIGGER audit_records_link BEFORE INSERT ON audit_records "
        "FOR EACH ROW EXECUTE FUNCTION accord_audit_record_link()"
    )
    op.execute(
        f"""
        CREATE FUNCTION accord_audit_head_guard() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP <> 'UPDATE' THEN
                RAISE EXCEPTION 'audit_chain_head is a single row: % refused', TG_OP
                    USING ERRCODE = '23000';
            END IF;
            IF (NEW.id, NEW.last_id, NEW.last_hash)
                    IS NOT DISTINCT FROM (OLD.id, OLD.last_id, OLD.last_hash) THEN
                RETURN NEW;  -- changes nothing (e.g. to take the row's lock)
            END IF;
            IF NEW.id IS DISTINCT FROM OLD.id
                    OR NEW.last_id <= OLD.last_id
                    OR NEW.last_id IS DISTINCT FROM (SELECT max(id) FROM audit_records)
                    OR NEW.last_hash IS DISTINCT FROM
                        (SELECT record_hash FROM audit_records WHERE id = NEW.last_id)
            THEN
                RAISE EXCEPTION '{HEAD_MESSAGE} (% to %)', OLD.last_id, NEW.last_id
                    USING ERRCODE = '23000';
            END IF;
            RETURN NEW;
        END
        $$
        """
    )
    op.execute(
        "CREATE TRIGGER audit_chain_head_guard BEFORE INSERT OR UPDATE OR DELETE "
        "ON audit_chain_head FOR EACH ROW EXECUTE FUNCTION accord_audit_head_guard()"
    )
    op.execute(
        "CREATE TRIGGER audit_chain_head_no_truncate BEFORE TRUNCATE ON audit_chain_head "
        "FOR EACH STATEMENT EXECUTE FUNCTION accord_audit_head_guard()"
    )


def _sqlite_trigger(name: str, event: str, table: str, when: str | None, message: str) -> None:
    condition = f" WHEN {when}" if when else ""
    op.execute(
        f"CREATE TRIGGER {name} BEFORE {event} ON {table} FOR EACH ROW{condition} "
        f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
    )


def _create_sqlite_triggers() -> None:
    _sqlite_trigger(
        "audit_records_link", "INSERT", "audit_records",
        "NEW.id IS NOT (SELECT coalesce(max(id), 0) + 1 FROM audit_records)"
        " OR NEW.prev_hash IS NOT (CASE WHEN NEW.id = 1 THEN '" + GENESIS_HASH + "'"
        " ELSE (SELECT record_hash FROM audit_records WHERE id = NEW.id - 1) END)",
        RECORD_MESSAGE,
    )
    _sqlite_trigger(
        "audit_chain_head_forward", "UPDATE", "audit_chain_head",
        "NOT (NEW.id IS OLD.id AND NEW.last_id IS OLD.last_id AND NEW.last_hash IS OLD.last_hash)"
        " AND (NEW.id IS NOT OLD.id OR NEW.last_id <= OLD.last_id"
        " OR NEW.last_id IS NOT (SELECT max(id) FROM audit_records)"
        " OR NEW.last_hash IS NOT (SELECT record_hash FROM audit_records WHERE id = NEW.last_id))",
        HEAD_MESSAGE,
    )
    for event in ("INSERT", "DELETE"):
        _sqlite_trigger(
            f"audit_chain_head_no_{event.lower()}", event, "audit_chain_head", None,
            f"audit_chain_head is a single row: {event} refused",
        )
