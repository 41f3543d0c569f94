"""Migration 0006 keeps payout_exceptions' guards (SQLite's batch mode rebuilds that table)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from models import schema
from models.engine import make_engine

EXCEPTION_GUARDS = {
    "sqlite": {
        "payout_exceptions_frozen",
        "payout_exceptions_transition",
        "payout_exceptions_no_delete",
    },
    "postgresql": {"payout_exceptions_guard", "payout_exceptions_no_truncate"},
}
DISPUTE_GUARDS = {
    "sqlite": {
        "dispute_events_no_update",
        "dispute_events_no_delete",
        "disputes_frozen",
        "disputes_transition",
        "disputes_resolved",
        "disputes_no_delete",
    },
    "postgresql": {"dispute_events_append_only", "dispute_events_no_truncate", "disputes_guard"},
}
QUERY = {
    "sqlite": "SELECT name FROM sqlite_master WHERE type = 'trigger'",
    "postgresql": "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal",
}


def _triggers(url: str, backend: str) -> set[str]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return set(conn.execute(text(QUERY[backend])).scalars())
    finally:
        engine.dispose()


@pytest.mark.parametrize("backend_name", ["sqlite", "postgresql"])
def test_0006_up_and_down_keeps_every_guard(backend_name, fresh_database_url):
    url = fresh_database_url(backend_name)
    schema.upgrade(url, "0005")
    before = _triggers(url, backend_name)
    assert before >= EXCEPTION_GUARDS[backend_name]
    schema.upgrade(url, "0006")
    after = _triggers(url, backend_name)
    assert after == before | DISPUTE_GUARDS[backend_name]
    schema.downgrade(url, "0005")
    assert _triggers(url, backend_name) == before
