"""What someone with write access to the database does to the audit chain (issue 12, item 7).

`drop_guards(conn, ...)` drops the triggers (0002's on the records, 0016's on the records
and the head), as the owner of the tables or a superuser can; `cut_tail` deletes the last
records and moves the head back; `rewrite` edits one record's payload, recomputes every
later hash with the public formula and moves the head to the new last hash. `conn` is a
Session or a Connection; DDL is transactional on both databases.
"""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

from sqlalchemy import select, text

from governance.audit import compute_hash
from models.audit import AuditRecord

# (dialect, which guards) -> DROP statements
DROPS = {
    ("postgresql", "records"): ("DROP TRIGGER audit_records_append_only ON audit_records",),
    ("postgresql", "link"): ("DROP TRIGGER audit_records_link ON audit_records",),
    ("postgresql", "head"): ("DROP TRIGGER audit_chain_head_guard ON audit_chain_head",),
    ("sqlite", "records"): (
        "DROP TRIGGER audit_records_no_update",
        "DROP TRIGGER audit_records_no_delete",
    ),
    ("sqlite", "link"): ("DROP TRIGGER audit_records_link",),
    ("sqlite", "head"): (
        "DROP TRIGGER audit_chain_head_forward",
        "DROP TRIGGER audit_chain_head_no_delete",
        "DROP TRIGGER audit_chain_head_no_insert",
    ),
}
EVERY_GUARD = ("records", "link", "head")


def _dialect(conn: Any) -> str:
    return conn.get_bind().dialect.name if hasattr(conn, "get_bind") else conn.dialect.name


def drop_guards(conn: Any, guards: tuple[str, ...] = EVERY_GUARD) -> None:
    for guard in guards:
        for statement in DROPS[(_dialect(conn), guard)]:
            conn.execute(text(statement))


def _last(conn: Any) -> tuple[int, str]:
    row = conn.execute(
        text("SELECT id, record_hash FROM audit_records ORDER BY id DESC LIMIT 1")
    ).one()
    return row.id, row.record_hash


def move_head(conn: Any, last_id: int, last_hash: str) -> None:
    conn.execute(
        text("UPDATE audit_chain_head SET last_id = :i, last_hash = :h WHERE id = 1"),
        {"i": last_id, "h": last_hash},
    )


def cut_tail(conn: Any, keep: int) -> None:
    """Delete every record after `keep` and point the head at record `keep`."""
    conn.execute(text("DELETE FROM audit_records WHERE id > :k"), {"k": keep})
    move_head(conn, *_last(conn))


def rewrite(conn: Any, record_id: int, payload: dict) -> None:
    """Give record `record_id` a new payload and every record from it on a consistent hash."""
    table = AuditRecord.__table__  # typed columns: datetimes and JSON on both databases
    rows = conn.execute(select(table).where(table.c.id >= record_id).order_by(table.c.id)).all()
    prev_hash = rows[0].prev_hash
    for row in rows:
        fields = dict(row._mapping)
        if row.id == record_id:
            fields["payload"] = payload
        fields["prev_hash"] = prev_hash
        new_hash = compute_hash(SimpleNamespace(**fields))
        conn.execute(
            text(
                "UPDATE audit_records SET payload = :p, prev_hash = :prev, record_hash = :h"
                " WHERE id = :i"
            ),
            {"p": json.dumps(fields["payload"]), "prev": prev_hash, "h": new_hash, "i": row.id},
        )
        prev_hash = new_hash
    move_head(conn, rows[-1].id, prev_hash)
