"""Migration 0005 on both databases: votes stay append-only after SQLite rebuilds the table,
a vote on a run is a vote's one subject, one holding run per period, and approved or
locked runs (their lines and statements) cannot change."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from models import schema
from models.engine import make_engine
from tests.support.database import refused

BACKENDS = ["sqlite", "postgresql"]

RUN = (
    "INSERT INTO payout_runs (period, period_start, period_end, state, version,"
    " started_at, input_data_hash, plan_versions, exceptions_hash, participant_count,"
    " deal_count, line_count, statement_count, recomputed_count, progress_done,"
    " progress_total, updated_at) VALUES (:p, '2026-07-01', '2026-09-30', :s, 1,"
    " CURRENT_TIMESTAMP, 'sha256:i', '{}', 'sha256:e', 0, 0, 0, 0, 0, 0, 0,"
    " CURRENT_TIMESTAMP)"
)
LINE = (
    "INSERT INTO payout_lines (run_id, line_key, participant_id, plan_key,"
    " plan_version_hash, kind, status, amount, currency, position, trace)"
    " VALUES (:r, :k, 'ana', 'ae', 'sha256:v', 'commission', 'payable', 10, 'USD', 0, '[]')"
)


def _seed(conn) -> dict[str, int]:
    conn.execute(
        text(
            "INSERT INTO users (email, name, password_hash, is_active, session_epoch,"
            " created_at, updated_at) VALUES ('a@x.test', 'A', 'x', true, 0,"
            " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
        )
    )
    conn.execute(
        text(
            "INSERT INTO participants (id, attributes, created_at, updated_at)"
            " VALUES ('ana', '{}', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
        )
    )
    conn.execute(text(RUN), {"p": "2026-Q3", "s": "draft"})
    run = conn.execute(text("SELECT id FROM payout_runs")).scalar_one()
    user = conn.execute(text("SELECT id FROM users")).scalar_one()
    conn.execute(text(LINE), {"r": run, "k": "a"})
    conn.execute(
        text(
            "INSERT INTO votes (payout_run_id, voter_id, decision, content_hash, functions,"
            " roles, at) VALUES (:r, :u, 'approve', 'sha256:x', '[]', '[]', CURRENT_TIMESTAMP)"
        ),
        {"r": run, "u": user},
    )
    return {"run": run, "user": user}


def _ok(engine, sql: str, params: dict | None = None) -> None:
    with engine.begin() as conn:
        conn.execute(text(sql), params or {})


@pytest.mark.parametrize("backend_name", BACKENDS)
def test_0005_guards_runs_lines_and_votes(backend_name, fresh_database_url):
    url = fresh_database_url(backend_name)
    schema.upgrade(url, "0005")
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            ids = _seed(conn)
        run, user = ids["run"], ids["user"]
        # Votes are still append-only after the rebuild of the table on SQLite.
        refused(engine, "UPDATE votes SET decision = 'reject'")
        refused(engine, "DELETE FROM votes")
        # A vote has exactly one subject: a run and a rule set together is refused.
        refused(
            engine,
            "INSERT INTO votes (payout_run_id, rule_set_id, voter_id, decision, content_hash,"
            " functions, roles, at) SELECT :r, id, :u, 'approve', 'y', '[]', '[]',"
            " CURRENT_TIMESTAMP FROM approval_rule_sets",
            {"r": run, "u": user},
        )
        # One vote per voter per run content; the same voter on new content is accepted.
        vote = (
            "INSERT INTO votes (payout_run_id, voter_id, decision, content_hash, functions,"
            " roles, at) VALUES (:r, :u, 'approve', :h, '[]', '[]', CURRENT_TIMESTAMP)"
        )
        refused(engine, vote, {"r": run, "u": user, "h": "sha256:x"})
        _ok(engine, vote, {"r": run, "u": user, "h": "sha256:y"})
        # One draft/approved/locked run per period; a failed one frees the period.
        refused(engine, RUN, {"p": "2026-Q3", "s": "draft"})
        _ok(engine, RUN, {"p": "2026-Q2", "s": "failed"})
        _ok(engine, RUN, {"p": "2026-Q2", "s": "draft"})
        # Lifecycle: draft -> locked skips approval; draft -> approved -> locked is fine.
        refused(
            engine,
            "UPDATE payout_runs SET state = 'locked', locked_at = CURRENT_TIMESTAMP WHERE id = :r",
            {"r": run},
        )
        _ok(engine, "UPDATE payout_runs SET state = 'approved' WHERE id = :r", {"r": run})
        # An approved run's lines are closed.
        refused(engine, LINE, {"r": run, "k": "b"})
        refused(engine, "UPDATE payout_lines SET amount = 11 WHERE run_id = :r", {"r": run})
        refused(engine, "DELETE FROM payout_lines WHERE run_id = :r", {"r": run})
        refused(engine, "DELETE FROM payout_runs WHERE id = :r", {"r": run})
        # Locking needs a time; a locked run never changes again.
        refused(engine, "UPDATE payout_runs SET state = 'locked' WHERE id = :r", {"r": run})
        _ok(
            engine,
            "UPDATE payout_runs SET state = 'locked', locked_at = CURRENT_TIMESTAMP WHERE id = :r",
            {"r": run},
        )
        refused(engine, "UPDATE payout_runs SET note = 'x' WHERE id = :r", {"r": run})
        refused(engine, "UPDATE payout_runs SET state = 'draft' WHERE id = :r", {"r": run})
        refused(engine, "DELETE FROM payout_lines WHERE run_id = :r", {"r": run})
        with engine.connect() as conn:
            amount = conn.execute(text("SELECT amount FROM payout_lines")).scalar_one()
        assert amount == 10
    finally:
        engine.dispose()


@pytest.mark.parametrize("backend_name", BACKENDS)
def test_0005_downgrade_keeps_votes_append_only(backend_name, fresh_database_url):
    url = fresh_database_url(backend_name)
    schema.upgrade(url, "0005")
    schema.downgrade(url, "0004")
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            _seed_vote_0004(conn)
        refused(engine, "UPDATE votes SET decision = 'reject'")
        refused(engine, "DELETE FROM votes")
    finally:
        engine.dispose()
    schema.upgrade(url, "0005")
    assert schema.current_revision(url) == "0005"


def _seed_vote_0004(conn) -> None:
    conn.execute(
        text(
            "INSERT INTO users (email, name, password_hash, is_active, session_epoch,"
            " created_at, updated_at) VALUES ('a@x.test', 'A', 'x', true, 0,"
            " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
        )
    )
    conn.execute(
        text(
            "INSERT INTO votes (rule_set_id, voter_id, decision, content_hash, functions,"
            " roles, at) SELECT r.id, u.id, 'approve', 'x', '[]', '[]', CURRENT_TIMESTAMP"
            " FROM approval_rule_sets r, users u"
        )
    )
