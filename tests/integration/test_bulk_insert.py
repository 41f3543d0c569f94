"""governance.bulk_insert.insert_rows on both databases (COPY on PostgreSQL): the stored
values are exactly what `insert()` stores (Decimals, JSON traces, NULLs, unicode, COPY's
special characters), in the session's transaction, and the closed-run guard still holds.
`CopySender` stores the same, from a thread on PostgreSQL, and raises its errors."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import orjson
import pytest
from sqlalchemy import delete, func, insert, select, text
from sqlalchemy.exc import IntegrityError

from governance.bulk_insert import CopySender, insert_rows
from models import Participant, PayoutLine, PayoutRun, Statement

TRACE = [
    {"step": "rate", "value": "0.0625", "text": "Tier «2» — 6.25 % ✓"},
    {"step": "gate", "passed": False, "note": 'tab\there, newline\nthere, \\N, "quoted"'},
    {"nested": {"list": [1, 2.5, None, True], "empty": {}}},
]


def _run(db, period: str = "2026-Q3") -> PayoutRun:
    db.add(Participant(id="ana-é", name="Ana Łukasiewicz"))
    run = PayoutRun(
        period=period,
        period_start=date(2026, 7, 1),
        period_end=date(2026, 9, 30),
        input_data_hash="sha256:i",
        plan_versions={},
        exceptions_hash="sha256:e",
    )
    db.add(run)  # not flushed: insert_rows flushes it first, as session.execute would
    return run


def _line(run_id: int, key: str, **values) -> dict:
    row = {
        "run_id": run_id,
        "line_key": key,
        "participant_id": "ana-é",
        "deal_id": "D-ü\t1",
        "plan_key": "ae",
        "plan_version_hash": "sha256:v",
        "kind": "commission",
        "rule": "base — rate",
        "status": "payable",
        "share": Decimal("0.333333333333"),
        # 15 significant digits: SQLite keeps NUMERIC as a double beyond that.
        "credit": Decimal("123456789.123456"),
        "rate": Decimal("0.000000000001"),
        "amount": Decimal("-0.01"),
        "currency": "EUR",
        "position": 0,
        "trace": TRACE,
    }
    return row | values


def _rows(db, run_id: int) -> list[tuple]:
    stmt = (
        select(*(c for c in PayoutLine.__table__.columns if c.name != "id"))
        .where(PayoutLine.run_id == run_id)
        .order_by(PayoutLine.line_key)
    )
    return [tuple(r) for r in db.execute(stmt)]


def test_rows_match_what_insert_stores(db):
    run = _run(db)
    db.flush()
    nulls = {"deal_id": None, "rule": None, "share": None, "credit": None, "rate": None}
    rows = [
        _line(run.id, "a"),
        _line(run.id, "b", position=1, **nulls),
        _line(run.id, "c\\N", position=2, trace=[], amount=Decimal("1e-6")),
    ]
    assert insert_rows(db, PayoutLine, rows) == 3
    copied = _rows(db, run.id)

    other = PayoutRun(
        period="2026-Q4",
        period_start=date(2026, 10, 1),
        period_end=date(2026, 12, 31),
        input_data_hash="sha256:i",
        plan_versions={},
        exceptions_hash="sha256:e",
    )
    db.add(other)
    db.flush()
    db.execute(insert(PayoutLine), [r | {"run_id": other.id} for r in rows])
    inserted = _rows(db, other.id)
    assert [r[1:] for r in copied] == [r[1:] for r in inserted]

    first, second, third = copied
    names = [c.name for c in PayoutLine.__table__.columns if c.name != "id"]
    a = dict(zip(names, first, strict=True))
    assert a["credit"] == Decimal("123456789.123456")
    assert a["share"] == Decimal("0.333333333333")
    assert a["rate"] == Decimal("0.000000000001")
    assert a["amount"] == Decimal("-0.01")
    assert a["participant_id"] == "ana-é" and a["deal_id"] == "D-ü\t1"
    assert a["trace"] == TRACE
    b = dict(zip(names, second, strict=True))
    assert [b[k] for k in nulls] == [None] * 5
    c = dict(zip(names, third, strict=True))
    assert c["line_key"] == "c\\N" and c["trace"] == [] and c["amount"] == Decimal("0.000001")
    if db.get_bind().dialect.name == "postgresql":
        # The same JSON text as insert() writes (json keeps the text as sent).
        traces = db.execute(
            text("SELECT trace::text FROM payout_lines WHERE run_id IN (:a, :b) ORDER BY id"),
            {"a": run.id, "b": other.id},
        ).scalars()
        traces = list(traces)
        assert traces[:3] == traces[3:]


def test_traces_are_stored_as_orjson_compact_text(db):
    """On both databases, through COPY or insert(): the text orjson writes, whose content
    is the trace (docs/decisions.md, "Traces written by orjson (issue 14)")."""
    run = _run(db)
    db.flush()
    insert_rows(db, PayoutLine, [_line(run.id, "a")])
    db.execute(insert(PayoutLine), [_line(run.id, "b")])
    as_text = "trace::text" if db.get_bind().dialect.name == "postgresql" else "trace"
    stored = (
        db.execute(
            text(f"SELECT {as_text} FROM payout_lines WHERE run_id = :r ORDER BY line_key"),
            {"r": run.id},
        )
        .scalars()
        .all()
    )
    assert stored == [orjson.dumps(TRACE).decode()] * 2
    assert [json.loads(t) for t in stored] == [TRACE, TRACE]


def test_python_side_defaults_and_statements(db):
    run = _run(db)
    db.flush()
    row = _line(run.id, "a")
    del row["trace"]  # PayoutLine.trace has default=list, as insert() would fill it
    insert_rows(db, PayoutLine, [row])
    assert db.scalar(select(PayoutLine.trace).where(PayoutLine.run_id == run.id)) == []

    statement = {
        "run_id": run.id,
        "participant_id": "ana-é",
        "plan_key": "ae",
        "plan_version_hash": "sha256:v",
        "currency": "EUR",
        "quota": None,
        "credited": Decimal("1000.5"),
        "attainment": None,
        "earned": Decimal("10.01"),
        "held": Decimal("0"),
        "released": Decimal("0"),
        "clawed_back": Decimal("0"),
        "draw": Decimal("0"),
        "draw_balance": Decimal("0"),
        "payable": Decimal("10.01"),
        "line_count": 1,
        "input_hash": "sha256:x",
        "result_hash": "sha256:y",
    }
    insert_rows(db, Statement, [statement])
    stored = db.scalars(select(Statement).where(Statement.run_id == run.id)).one()
    assert stored.payable == Decimal("10.01") and stored.quota is None


def test_same_transaction_and_nothing_for_no_rows(db):
    run = _run(db)
    db.flush()
    assert insert_rows(db, PayoutLine, []) == 0
    savepoint = db.begin_nested()
    insert_rows(db, PayoutLine, [_line(run.id, "a")])
    assert db.scalar(select(func.count()).select_from(PayoutLine)) == 1
    savepoint.rollback()  # COPY wrote on the session's connection: rolled back with it
    assert db.scalar(select(func.count()).select_from(PayoutLine)) == 0


def test_unknown_column_is_refused(db):
    run = _run(db)
    db.flush()
    with pytest.raises(ValueError, match="no column"):
        insert_rows(db, PayoutLine, [_line(run.id, "a", colour="red")])


def test_closed_run_guard_raises_integrity_error(db):
    run = _run(db)
    db.flush()
    db.execute(text("UPDATE payout_runs SET state = 'approved' WHERE id = :r"), {"r": run.id})
    savepoint = db.begin_nested()
    with pytest.raises(IntegrityError, match="cannot change"):
        insert_rows(db, PayoutLine, [_line(run.id, "a"), _line(run.id, "b")])
    savepoint.rollback()
    assert db.scalar(select(func.count()).select_from(PayoutLine)) == 0


def test_columns_the_same_for_every_row_are_stored_as_if_in_each_row(db):
    run = _run(db)
    db.flush()
    rows = [{k: v for k, v in _line(run.id, key).items() if k != "run_id"} for key in "ab"]
    assert insert_rows(db, PayoutLine, rows, same={"run_id": run.id}) == 2
    stored = db.scalars(select(PayoutLine).order_by(PayoutLine.line_key)).all()
    assert [(ln.run_id, ln.line_key, ln.trace, ln.amount) for ln in stored] == [
        (run.id, "a", TRACE, Decimal("-0.01")),
        (run.id, "b", TRACE, Decimal("-0.01")),
    ]
    with pytest.raises(ValueError, match="no column"):
        insert_rows(db, PayoutLine, rows, same={"colour": "red"})


def _lines_sent(run: PayoutRun) -> list[dict]:
    nulls = {"deal_id": None, "rule": None, "share": None, "credit": None, "rate": None}
    return [
        {k: v for k, v in row.items() if k != "run_id"}
        for row in (
            _line(run.id, "a"),
            _line(run.id, "b", position=1, **nulls),
            _line(run.id, "c\\N", position=2, trace=[], amount=Decimal("1e-6")),
        )
    ]


def test_sender_stores_what_insert_rows_stores(db):
    run = _run(db)
    db.flush()
    rows = _lines_sent(run)
    with CopySender(db) as sender:
        assert sender.send(PayoutLine, rows, same={"run_id": run.id}) == 3
        assert sender.send(PayoutLine, [], same={"run_id": run.id}) == 0  # waits, sends none
    sent = _rows(db, run.id)
    db.execute(delete(PayoutLine).where(PayoutLine.run_id == run.id))
    insert_rows(db, PayoutLine, rows, same={"run_id": run.id})
    assert sent == _rows(db, run.id) and len(sent) == 3


def test_a_statement_during_a_send_waits_for_its_copy(db):
    """On PostgreSQL the COPY is still going when `send` returns: psycopg serialises the
    connection, so a read meanwhile sees every row (elsewhere, `send` inserted them)."""
    run = _run(db)
    db.flush()
    rows = [_line(run.id, f"k{i:05d}") for i in range(3000)]
    with CopySender(db) as sender:
        sender.send(PayoutLine, rows)
        assert db.scalar(select(func.count()).select_from(PayoutLine)) == 3000


def test_sender_raises_the_copy_error(db):
    run = _run(db)
    db.flush()
    db.execute(text("UPDATE payout_runs SET state = 'approved' WHERE id = :r"), {"r": run.id})
    savepoint = db.begin_nested()
    sender = CopySender(db)
    with pytest.raises(IntegrityError, match="cannot change"):
        sender.send(PayoutLine, [_line(run.id, "a"), _line(run.id, "b")])
        sender.wait()
    sender.wait()  # raised once: nothing in flight any more
    savepoint.rollback()
    assert db.scalar(select(func.count()).select_from(PayoutLine)) == 0


def test_the_copy_error_wins_over_the_one_that_left_the_block(db):
    """A failed COPY fails every later statement of the transaction: the error that left
    the block is its consequence, and the COPY's is the one raised (the other as its
    context)."""
    run = _run(db)
    db.flush()
    db.execute(text("UPDATE payout_runs SET state = 'approved' WHERE id = :r"), {"r": run.id})
    savepoint = db.begin_nested()
    with pytest.raises(IntegrityError, match="cannot change") as raised, CopySender(db) as sender:
        sender.send(PayoutLine, [_line(run.id, "a")])
        raise RuntimeError("the caller's own failure")
    if db.get_bind().dialect.name == "postgresql":
        assert isinstance(raised.value.__context__, RuntimeError)
    savepoint.rollback()
    assert db.scalar(select(func.count()).select_from(PayoutLine)) == 0


def test_sender_refuses_an_unknown_column(db):
    run = _run(db)
    db.flush()
    with pytest.raises(ValueError, match="no column"), CopySender(db) as sender:
        sender.send(PayoutLine, [_line(run.id, "a", colour="red")])
