"""The hash-chained audit log on both databases: appends, database refusals, tampering."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from sqlalchemy import select, text

from governance import audit
from governance.auditing import exports as audit_exports
from models import AuditChainHead, AuditRecord
from models.audit import GENESIS_HASH
from tests.support.database import refused


def _append(db, n, actor=None):
    return [
        audit.record(
            db,
            actor,
            "test.happened",
            "thing",
            i,
            before=f"sha256:{i:064x}",
            after=f"sha256:{i + 1:064x}",
            payload={"n": i, "amount": Decimal("12.50")},
        )
        for i in range(n)
    ]


def _drop_update_and_delete_triggers(db) -> None:
    # DDL is transactional on both databases: the test's rollback restores the triggers.
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text("DROP TRIGGER audit_records_append_only ON audit_records"))
    else:
        db.execute(text("DROP TRIGGER audit_records_no_update"))
        db.execute(text("DROP TRIGGER audit_records_no_delete"))


def test_records_form_a_chain_that_verifies(db, make_user):
    actor = make_user("comp_admin")
    first, second, third = _append(db, 3, actor)
    assert second.prev_hash == first.record_hash
    assert third.prev_hash == second.record_hash
    assert [first.id + 1, first.id + 2] == [second.id, third.id]
    assert first.actor_id == actor.id
    assert second.payload == {"n": 1, "amount": "12.50"}
    head = db.get(AuditChainHead, 1)
    assert (head.last_id, head.last_hash) == (third.id, third.record_hash)
    db.commit()
    result = audit.verify(db)
    assert tuple(result) == (True, None, None)
    assert result.checked >= 3


def test_the_first_record_links_to_the_genesis_hash(db):
    assert db.scalar(select(AuditRecord.id).limit(1)) is None  # the test starts empty
    (entry,) = _append(db, 1)
    assert entry.id == 1
    assert entry.prev_hash == GENESIS_HASH
    assert entry.actor_id is None


def test_hash_does_not_depend_on_how_the_database_returns_times(db):
    (entry,) = _append(db, 1)
    db.commit()
    db.expire_all()
    stored = db.get(AuditRecord, entry.id)
    assert audit.compute_hash(stored) == stored.record_hash


def test_a_float_in_the_payload_is_refused(db):
    with pytest.raises(audit.AuditError, match=r"payload\.rate"):
        audit.record(db, None, "x.y", "thing", 1, payload={"rate": 0.06})


def test_the_database_refuses_update_and_delete(db):
    (entry,) = _append(db, 1)
    db.commit()
    refused(db, "UPDATE audit_records SET action = 'forged' WHERE id = :id", id=entry.id)
    refused(db, "DELETE FROM audit_records WHERE id = :id", id=entry.id)
    assert db.scalar(text("SELECT action FROM audit_records WHERE id = :id"), {"id": entry.id})


def test_postgresql_also_refuses_truncate(db):
    if db.get_bind().dialect.name != "postgresql":
        pytest.skip("SQLite has no TRUNCATE (DELETE is refused above)")
    _append(db, 1)
    db.commit()
    refused(db, "TRUNCATE audit_records")


def test_verify_names_the_tampered_record(db):
    records = _append(db, 4)
    db.commit()
    _drop_update_and_delete_triggers(db)
    target = records[2]
    db.execute(
        text("UPDATE audit_records SET payload = :p WHERE id = :id"),
        {"p": json.dumps({"n": 2, "amount": "99999.00"}), "id": target.id},
    )
    ok, broken, reason = audit.verify(db)
    assert (ok, broken) == (False, target.id)
    assert "content" in reason


def test_verify_names_a_record_whose_link_was_rewritten(db):
    records = _append(db, 3)
    db.commit()
    _drop_update_and_delete_triggers(db)
    # Rewrite record 2 consistently (a valid own hash) but it can no longer fake the link
    # that record 3 holds to the original.
    forged = records[1]
    db.execute(
        text("UPDATE audit_records SET action = 'forged', record_hash = :h WHERE id = :id"),
        {"h": "f" * 64, "id": forged.id},
    )
    ok, broken, _reason = audit.verify(db)
    assert not ok
    assert broken == forged.id


def test_verify_notices_a_record_removed_in_the_middle(db):
    records = _append(db, 3)
    db.commit()
    _drop_update_and_delete_triggers(db)
    db.execute(text("DELETE FROM audit_records WHERE id = :id"), {"id": records[1].id})
    ok, broken, reason = audit.verify(db)
    assert (ok, broken) == (False, records[2].id)
    assert "missing" in reason


def test_verify_notices_records_cut_off_the_end(db):
    records = _append(db, 3)
    db.commit()
    _drop_update_and_delete_triggers(db)
    db.execute(text("DELETE FROM audit_records WHERE id = :id"), {"id": records[2].id})
    ok, broken, reason = audit.verify(db)
    assert (ok, broken) == (False, records[2].id)
    assert "head" in reason


def test_export_as_json_and_csv_carries_every_hashed_field(db):
    records = _append(db, 2)
    db.commit()
    rows = json.loads(audit_exports.export_records(db, "json"))
    assert [r["id"] for r in rows] == [r.id for r in records]
    assert rows[1]["prev_hash"] == rows[0]["record_hash"]
    assert rows[0]["payload"] == {"amount": "12.50", "n": 0}
    lines = audit_exports.export_records(db, "csv").splitlines()
    assert lines[0] == ",".join(audit_exports.EXPORT_FIELDS)
    assert len(lines) == 3
    assert records[1].record_hash in lines[2]
    with pytest.raises(audit.AuditError):
        audit_exports.export_records(db, "xml")


def test_list_records_filters_newest_first(db):
    _append(db, 2)
    audit.record(db, None, "other.thing", "widget", "w-1")
    db.commit()
    newest = db.scalars(audit.list_records(db)).first()
    assert newest.action == "other.thing"
    things = db.scalars(audit.list_records(db, object_type="thing")).all()
    assert [t.object_id for t in things] == ["1", "0"]
