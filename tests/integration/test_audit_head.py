"""Migration 0016 on both databases: the chain head only moves forward to the last record,
records only link on at the end; the two rewrites of issue 12 item 7 are refused while
the triggers stand, and caught by an anchor once they are dropped."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from governance import audit
from governance.auditing import anchors
from models import schema
from models.audit import GENESIS_HASH
from models.engine import make_engine
from tests.support import audit_attacks as attack
from tests.support.database import refused

KEY = anchors.anchor_key({"AUDIT_ANCHOR_KEY": "test anchor key"})
RECORD = (
    "INSERT INTO audit_records (id, at, action, object_type, object_id, payload, prev_hash,"
    " record_hash) VALUES (:id, CURRENT_TIMESTAMP, 'forged', 'thing', '1', '{}', :prev, :h)"
)


def _append(db, n):
    out = [audit.record(db, None, "test.happened", "thing", i, payload={"n": i}) for i in range(n)]
    db.commit()
    return out


def _head(db):
    return tuple(db.execute(text("SELECT last_id, last_hash FROM audit_chain_head")).one())


def test_appends_still_move_the_head(db):
    records = _append(db, 3)
    assert _head(db) == (3, records[-1].record_hash)
    assert audit.verify(db).ok


def test_the_head_cannot_move_back_sideways_or_past_the_last_record(db):
    first, second, third = _append(db, 3)
    before = _head(db)
    move = "UPDATE audit_chain_head SET last_id = :i, last_hash = :h WHERE id = 1"
    refused(db, move, i=2, h=second.record_hash)  # back, to a real record
    refused(db, move, i=3, h="f" * 64)  # same record, another hash
    refused(db, move, i=4, h="f" * 64)  # past the last record
    refused(db, move, i=0, h=GENESIS_HASH)  # back to the start
    refused(db, "UPDATE audit_chain_head SET id = 2")
    refused(db, "DELETE FROM audit_chain_head")
    refused(db, "INSERT INTO audit_chain_head (id, last_id, last_hash) VALUES (2, 0, :h)", h="0")
    assert _head(db) == before
    # An update that changes nothing (to take the row's lock) moves nothing: it passes.
    db.execute(text("UPDATE audit_chain_head SET id = id, last_hash = last_hash"))
    assert _head(db) == before


def test_the_head_cannot_be_replaced_or_truncated(db):
    _append(db, 1)
    if db.get_bind().dialect.name == "postgresql":
        refused(db, "TRUNCATE audit_chain_head")
        refused(
            db,
            "INSERT INTO audit_chain_head (id, last_id, last_hash) VALUES (1, 0, :h)"
            " ON CONFLICT (id) DO UPDATE SET last_id = 0, last_hash = :h",
            h=GENESIS_HASH,
        )
    else:
        refused(
            db,
            "INSERT OR REPLACE INTO audit_chain_head (id, last_id, last_hash) VALUES (1, 0, :h)",
            h=GENESIS_HASH,
        )
    assert _head(db)[0] == 1


def test_a_record_must_follow_the_last_and_link_to_it(db):
    first, second = _append(db, 2)
    refused(db, RECORD, id=4, prev=second.record_hash, h="a" * 64)  # a gap
    refused(db, RECORD, id=3, prev=first.record_hash, h="a" * 64)  # a fork
    refused(db, RECORD, id=2, prev=first.record_hash, h="a" * 64)  # a second record 2
    if db.get_bind().dialect.name == "sqlite":
        # REPLACE deletes the old row without firing 0002's DELETE trigger.
        replace = "INSERT OR REPLACE" + RECORD.removeprefix("INSERT")
        refused(db, replace, id=2, prev=first.record_hash, h="a" * 64)
    assert audit.verify(db).ok


def test_cutting_the_tail_is_refused_at_the_head(db):
    """Attack 1: delete the last record and move the head back. Even with 0002's DELETE
    trigger gone, the head refuses to move back."""
    records = _append(db, 4)
    attack.drop_guards(db, ("records",))
    db.execute(text("DELETE FROM audit_records WHERE id = 4"))
    refused(
        db,
        "UPDATE audit_chain_head SET last_id = 3, last_hash = :h WHERE id = 1",
        h=records[2].record_hash,
    )
    result = audit.verify(db)
    assert (result.ok, result.first_broken_id) == (False, 4)


def test_rewriting_a_record_is_refused_at_the_head(db):
    """Attack 2: edit a record, recompute every later hash, move the head to the new hash.
    With 0002's UPDATE trigger gone the records change, but the head refuses the new hash
    at the same count, so verify names the head."""
    _append(db, 4)
    attack.drop_guards(db, ("records",))
    with pytest.raises(IntegrityError, match="only move forward"), db.begin_nested():
        attack.rewrite(db, 2, {"n": 99})
    assert audit.verify(db).ok  # the savepoint undid the records' rewrite too


@pytest.mark.parametrize("attack_name", ["cut_tail", "rewrite"])
def test_with_every_trigger_dropped_plain_verify_passes_but_the_anchor_does_not(db, attack_name):
    _append(db, 5)
    earlier = anchors.parse(anchors.take(db, KEY), KEY, "earlier.json")
    attack.drop_guards(db)
    if attack_name == "cut_tail":
        attack.cut_tail(db, 4)
    else:
        attack.rewrite(db, 3, {"n": 99})
    assert audit.verify(db).ok  # consistent in itself: the public formula was used
    result, (check,) = anchors.check(db, [earlier])
    assert result.ok
    assert check.ok is False
    if attack_name == "cut_tail":
        assert check.reason.startswith("the anchor counts 5 records but the chain now ends")
    else:
        assert "record 5 now has hash" in check.reason
        assert "one of records 1 to 5 was rewritten since" in check.reason


def test_several_anchors_narrow_down_the_rewritten_records(db):
    _append(db, 3)
    at_3 = anchors.parse(anchors.take(db, KEY), KEY, "at-3")
    _append(db, 4)
    at_7 = anchors.parse(anchors.take(db, KEY), KEY, "at-7")
    attack.drop_guards(db)
    attack.rewrite(db, 5, {"n": 99})
    _result, checks = anchors.check(db, [at_7, at_3])
    assert [(c.name, c.ok) for c in checks] == [("at-3", True), ("at-7", False)]
    assert "one of records 4 to 7 was rewritten since" in checks[1].reason


@pytest.mark.parametrize("backend_name", ["sqlite", "postgresql"])
def test_downgrade_lifts_the_guards_and_upgrade_restores_them(backend_name, fresh_database_url):
    url = fresh_database_url(backend_name)
    schema.upgrade(url)
    engine = make_engine(url)
    back = "UPDATE audit_chain_head SET last_id = 0, last_hash = :h WHERE id = 1"
    forward = "UPDATE audit_chain_head SET last_id = 1, last_hash = :h WHERE id = 1"
    try:
        with engine.begin() as conn:
            conn.execute(text(RECORD), {"id": 1, "prev": GENESIS_HASH, "h": "a" * 64})
            conn.execute(text(forward), {"h": "a" * 64})
        refused(engine, back, h=GENESIS_HASH)
        schema.downgrade(url, "0015")
        with engine.begin() as conn:  # 0015 had no guard on the head
            conn.execute(text(back), {"h": GENESIS_HASH})
            conn.execute(text(forward), {"h": "a" * 64})
        schema.upgrade(url)
        refused(engine, back, h=GENESIS_HASH)
        refused(engine, RECORD, id=3, prev="a" * 64, h="b" * 64)
    finally:
        engine.dispose()


def test_verify_accepts_a_head_that_moved_on_after_its_walk(db):
    """PostgreSQL reads the head after the walk, in a later snapshot: records appended in
    between put the head past the walk. That is sound if the head carries its record's
    hash; a head naming a record that is gone is not."""
    first, second, third = _append(db, 3)
    assert audit._head_mismatch(db, second.id, second.record_hash) is None
    attack.drop_guards(db, ("records",))
    db.execute(text("DELETE FROM audit_records WHERE id = :i"), {"i": third.id})
    assert "does not match the last record" in audit._head_mismatch(
        db, second.id, second.record_hash
    )
