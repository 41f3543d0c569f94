"""Migration 0009 on both databases: lines and statements of an approved or locked run still
cannot be inserted, changed or deleted (PostgreSQL: statement triggers; SQLite: the row
triggers of 0005, untouched), multi-row statements included, and the downgrade restores
0005's row triggers on PostgreSQL; the index that makes deleting lines cheap."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from models import schema
from models.engine import make_engine
from tests.integration.test_payout_runs_migration import LINE, RUN, _ok, _seed
from tests.support.database import refused

BACKENDS = ["sqlite", "postgresql"]

STATEMENT = (
    "INSERT INTO payout_statements (run_id, participant_id, plan_key, plan_version_hash,"
    " currency, credited, earned, held, released, clawed_back, draw, draw_balance, payable,"
    " line_count, input_hash, result_hash) VALUES (:r, 'ana', :k, 'sha256:v', 'USD', 0, 0,"
    " 0, 0, 0, 0, 0, 0, 0, 'sha256:i', 'sha256:o')"
)


def _guard_triggers(engine) -> dict[str, bool]:
    """PostgreSQL: {trigger name: fires per row} of the closed-run guard."""
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT tgname, (tgtype & 1) = 1 FROM pg_trigger WHERE NOT tgisinternal"
                " AND tgrelid IN ('payout_lines'::regclass, 'payout_statements'::regclass)"
            )
        )
        return {name: bool(per_row) for name, per_row in rows}


def _check_guard(engine, backend_name: str) -> None:
    """Draft run: anything goes; approved then locked run: nothing changes."""
    with engine.begin() as conn:
        ids = _seed(conn)
        conn.execute(text(RUN), {"p": "2026-Q2", "s": "draft"})
        draft = conn.execute(text("SELECT id FROM payout_runs WHERE period = '2026-Q2'"))
        draft = draft.scalar_one()
    run = ids["run"]
    # A draft's lines and statements change freely.
    _ok(engine, LINE, {"r": run, "k": "b"})
    _ok(engine, STATEMENT, {"r": run, "k": "ae"})
    _ok(engine, "UPDATE payout_lines SET amount = 12 WHERE line_key = 'b'")
    _ok(engine, "DELETE FROM payout_lines WHERE line_key = 'b'")
    _ok(engine, LINE, {"r": draft, "k": "d"})
    _ok(engine, "UPDATE payout_runs SET state = 'approved' WHERE id = :r", {"r": run})
    for state in ("approved", "locked"):
        if state == "locked":
            _ok(
                engine,
                "UPDATE payout_runs SET state = 'locked', locked_at = CURRENT_TIMESTAMP"
                " WHERE id = :r",
                {"r": run},
            )
        message = "payout_lines of an? .*payout run cannot change"
        with pytest.raises(IntegrityError, match=message), engine.begin() as conn:
            conn.execute(text(LINE), {"r": run, "k": "c"})
        refused(engine, STATEMENT, {"r": run, "k": "se"})
        refused(engine, "UPDATE payout_lines SET amount = 11 WHERE run_id = :r", {"r": run})
        refused(engine, "UPDATE payout_statements SET payable = 1 WHERE run_id = :r", {"r": run})
        refused(engine, "DELETE FROM payout_lines WHERE run_id = :r", {"r": run})
        refused(engine, "DELETE FROM payout_statements WHERE run_id = :r", {"r": run})
        # Multi-row statements: one closed row among open ones refuses the whole statement.
        refused(engine, "DELETE FROM payout_lines")
        refused(engine, "UPDATE payout_lines SET reason = 'x'")
        refused(
            engine,
            "INSERT INTO payout_lines (run_id, line_key, participant_id, plan_key,"
            " plan_version_hash, kind, status, amount, currency, position, trace)"
            " SELECT id, 'm' || id, 'ana', 'ae', 'sha256:v', 'commission', 'payable', 1,"
            " 'USD', 0, '[]' FROM payout_runs",
        )
        # Moving a line out of a closed run is a change of that run.
        refused(
            engine, "UPDATE payout_lines SET run_id = :d WHERE run_id = :r", {"d": draft, "r": run}
        )
        if backend_name == "postgresql":
            # ... and into one (SQLite's 0005 trigger checks only the old run of an UPDATE).
            refused(
                engine,
                "UPDATE payout_lines SET run_id = :r WHERE run_id = :d",
                {"d": draft, "r": run},
            )
    with engine.connect() as conn:
        counts = conn.execute(
            text(
                "SELECT run_id, count(*), sum(amount) FROM payout_lines GROUP BY run_id"
                " ORDER BY run_id"
            )
        ).all()
        statements = conn.execute(text("SELECT count(*) FROM payout_statements")).scalar_one()
    assert [tuple(c) for c in counts] == [(run, 1, 10), (draft, 1, 10)]
    assert statements == 1
    # The draft run's lines still change.
    _ok(engine, "DELETE FROM payout_lines WHERE run_id = :d", {"d": draft})


@pytest.mark.parametrize("backend_name", BACKENDS)
def test_0009_guard_at_head(backend_name, fresh_database_url):
    url = fresh_database_url(backend_name)
    schema.upgrade(url, "0009")
    engine = make_engine(url)
    try:
        if backend_name == "postgresql":
            triggers = _guard_triggers(engine)
            assert triggers == {
                f"{table}_closed_{event}": False
                for table in ("payout_lines", "payout_statements")
                for event in ("insert", "update", "delete")
            }
        _check_guard(engine, backend_name)
        _check_adjusted_line_index(engine)
    finally:
        engine.dispose()


def _check_adjusted_line_index(engine) -> None:
    """The partial index on adjusts_line_id exists; the foreign key is still enforced."""
    indexes = {i["name"] for i in inspect(engine).get_indexes("payout_lines")}
    assert "ix_payout_lines_adjusts_line_id" in indexes
    with engine.begin() as conn:
        draft = conn.execute(
            text("SELECT id FROM payout_runs WHERE state = 'draft' ORDER BY id")
        ).scalar_one()
        conn.execute(text(LINE), {"r": draft, "k": "adjusted"})
        adjusted = conn.execute(
            text("SELECT id FROM payout_lines WHERE line_key = 'adjusted'")
        ).scalar_one()
        conn.execute(
            text(
                "INSERT INTO payout_lines (run_id, line_key, participant_id, plan_key,"
                " plan_version_hash, kind, status, amount, currency, position, trace,"
                " adjusts_period, adjusts_line_id) VALUES (:r, 'adj', 'ana', 'ae', 'sha256:v',"
                " 'adjustment', 'payable', 1, 'USD', 1, '[]', '2026-Q2', :a)"
            ),
            {"r": draft, "a": adjusted},
        )
    refused(engine, "DELETE FROM payout_lines WHERE id = :a", {"a": adjusted})
    _ok(engine, "DELETE FROM payout_lines WHERE line_key IN ('adj', 'adjusted')")


@pytest.mark.parametrize("backend_name", BACKENDS)
def test_0009_downgrade_restores_row_triggers(backend_name, fresh_database_url):
    url = fresh_database_url(backend_name)
    schema.upgrade(url, "0009")
    schema.downgrade(url, "0008")
    engine = make_engine(url)
    try:
        indexes = {i["name"] for i in inspect(engine).get_indexes("payout_lines")}
        assert "ix_payout_lines_adjusts_line_id" not in indexes
        if backend_name == "postgresql":
            assert _guard_triggers(engine) == {
                "payout_lines_closed_guard": True,
                "payout_statements_closed_guard": True,
            }
        with engine.begin() as conn:
            run = _seed(conn)["run"]
        _ok(engine, "UPDATE payout_runs SET state = 'approved' WHERE id = :r", {"r": run})
        refused(engine, LINE, {"r": run, "k": "b"})
        refused(engine, "DELETE FROM payout_lines WHERE run_id = :r", {"r": run})
    finally:
        engine.dispose()
    schema.upgrade(url, "0009")
    assert schema.current_revision(url) == "0009"
