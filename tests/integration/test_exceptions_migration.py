"""Migration 0004 on both databases: votes stay append-only after SQLite rebuilds the table,
a vote has exactly one subject, and an exception's content and lifecycle are guarded."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from models import schema
from models.engine import make_engine
from tests.support.database import refused

BACKENDS = ["sqlite", "postgresql"]


def _seed(conn) -> dict[str, int]:
    conn.execute(
        text(
            "INSERT INTO users (email, name, password_hash, is_active, session_epoch,"
            " created_at, updated_at) VALUES ('a@x.test', 'A', 'x', true, 0,"
            " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
        )
    )
    user = conn.execute(text("SELECT id FROM users")).scalar_one()
    rule_set = conn.execute(text("SELECT id FROM approval_rule_sets")).scalar_one()
    conn.execute(
        text(
            "INSERT INTO participants (id, attributes, created_at, updated_at)"
            " VALUES ('ana', '{}', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
        )
    )
    conn.execute(
        text(
            "INSERT INTO payout_exceptions (kind, state, participant_id, plan_key, period,"
            " amount, currency, justification, estimated_impact, impact_currency, impact,"
            " route, rule_set_id, content_hash, filed_by_id, version, created_at)"
            " VALUES ('adjustment', 'submitted', 'ana', 'ae-plan', '2026-Q3', 100, 'USD',"
            " 'why', 100, 'USD', '{}', 'below', :rs, 'sha256:x', :u, 1, CURRENT_TIMESTAMP)"
        ),
        {"rs": rule_set, "u": user},
    )
    exception = conn.execute(text("SELECT id FROM payout_exceptions")).scalar_one()
    conn.execute(
        text(
            "INSERT INTO votes (exception_id, voter_id, decision, content_hash, functions,"
            " roles, at) VALUES (:e, :u, 'approve', 'sha256:x', '[]', '[]', CURRENT_TIMESTAMP)"
        ),
        {"e": exception, "u": user},
    )
    return {"user": user, "rule_set": rule_set, "exception": exception}


@pytest.mark.parametrize("backend_name", BACKENDS)
def test_0004_guards_votes_and_exceptions(backend_name, fresh_database_url):
    url = fresh_database_url(backend_name)
    schema.upgrade(url, "0003")
    schema.upgrade(url, "0004")
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            ids = _seed(conn)
        # Votes are append-only still (SQLite's table rebuild dropped and we re-created
        # the triggers).
        refused(engine, "UPDATE votes SET decision = 'reject'", {})
        refused(engine, "DELETE FROM votes", {})
        # Exactly one subject: none, or two, is refused.
        for subjects in ("NULL, NULL", ":e, :rs"):
            refused(
                engine,
                "INSERT INTO votes (exception_id, rule_set_id, voter_id, decision, content_hash,"
                f" functions, roles, at) SELECT {subjects}, :u, 'approve', 'x', '[]', '[]',"
                " CURRENT_TIMESTAMP",
                {"e": ids["exception"], "rs": ids["rule_set"], "u": ids["user"]},
            )
        # One vote per person per exception.
        refused(
            engine,
            "INSERT INTO votes (exception_id, voter_id, decision, content_hash, functions,"
            " roles, at) VALUES (:e, :u, 'reject', 'x', '[]', '[]', CURRENT_TIMESTAMP)",
            {"e": ids["exception"], "u": ids["user"]},
        )
        # The exception's content is frozen, its states follow the lifecycle, no delete.
        refused(engine, "UPDATE payout_exceptions SET amount = 5", {})
        refused(engine, "UPDATE payout_exceptions SET justification = 'other'", {})
        refused(engine, "DELETE FROM payout_exceptions", {})
        with engine.begin() as conn:
            conn.execute(text("UPDATE payout_exceptions SET state = 'approved', version = 2"))
        refused(engine, "UPDATE payout_exceptions SET state = 'submitted'", {})
        # An adjustment without its amount is incomplete.
        refused(
            engine,
            "INSERT INTO payout_exceptions (kind, state, participant_id, plan_key, period,"
            " currency, justification, estimated_impact, impact_currency, impact, route,"
            " rule_set_id, content_hash, version, created_at) VALUES ('adjustment',"
            " 'submitted', 'ana', 'ae-plan', '2026-Q3', 'USD', 'why', 0, 'USD', '{}', 'below',"
            " :rs, 'sha256:y', 1, CURRENT_TIMESTAMP)",
            {"rs": ids["rule_set"]},
        )
    finally:
        engine.dispose()


@pytest.mark.parametrize("backend_name", BACKENDS)
def test_0004_downgrade_keeps_votes_append_only(backend_name, fresh_database_url):
    url = fresh_database_url(backend_name)
    schema.upgrade(url, "0004")
    schema.downgrade(url, "0003")
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO users (email, name, password_hash, is_active, session_epoch,"
                    " created_at, updated_at) VALUES ('a@x.test', 'A', 'x', true, 0,"
                    " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO votes (rule_set_id, voter_id, decision, content_hash,"
                    " functions, roles, at) SELECT r.id, u.id, 'approve', 'x', '[]', '[]',"
                    " CURRENT_TIMESTAMP FROM approval_rule_sets r, users u"
                )
            )
        refused(engine, "UPDATE votes SET decision = 'reject'", {})
        refused(engine, "DELETE FROM votes", {})
    finally:
        engine.dispose()
