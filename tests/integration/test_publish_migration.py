"""Migration 0027 on both databases: runs locked before it are published at their lock
time by whoever locked them; afterwards a locked run may get its publication once and
nothing else, and the downgrade restores 0010's guard."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from models import schema
from models.engine import make_engine
from tests.integration.test_payout_runs_migration import RUN, _ok, _seed
from tests.support.database import refused

BACKENDS = ["sqlite", "postgresql"]
LOCK = (
    "UPDATE payout_runs SET state = 'locked', locked_at = CURRENT_TIMESTAMP,"
    " locked_by_id = :u WHERE id = :r"
)


def _lock(engine, run: int, user: int) -> None:
    _ok(engine, "UPDATE payout_runs SET state = 'approved' WHERE id = :r", {"r": run})
    _ok(engine, LOCK, {"r": run, "u": user})


@pytest.mark.parametrize("backend_name", BACKENDS)
def test_0027_publishes_old_locked_runs_and_guards_the_publication(
    backend_name, fresh_database_url
):
    url = fresh_database_url(backend_name)
    schema.upgrade(url, "0026")
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            ids = _seed(conn)
            user = conn.execute(text("SELECT id FROM users")).scalar_one()
            conn.execute(text(RUN), {"p": "2026-Q2", "s": "draft"})
            fresh = conn.execute(
                text("SELECT id FROM payout_runs WHERE period = '2026-Q2'")
            ).scalar_one()
        _lock(engine, ids["run"], user)
        engine.dispose()
        schema.upgrade(url, "0027")
        engine = make_engine(url)
        with engine.connect() as conn:
            row = conn.execute(
                text(
                    "SELECT published_at = locked_at, published_by_id FROM payout_runs"
                    " WHERE id = :r"
                ),
                {"r": ids["run"]},
            ).one()
        assert (bool(row[0]), row[1]) == (True, user)
        # Published already: never again, never unpublished, nothing else changes.
        refused(
            engine, "UPDATE payout_runs SET published_at = NULL WHERE id = :r", {"r": ids["run"]}
        )
        refused(
            engine,
            "UPDATE payout_runs SET published_at = CURRENT_TIMESTAMP WHERE id = :r",
            {"r": ids["run"]},
        )
        # A run locked now: its publication goes through, with nothing else.
        _lock(engine, fresh, user)
        refused(
            engine,
            "UPDATE payout_runs SET published_at = CURRENT_TIMESTAMP, note = 'x' WHERE id = :r",
            {"r": fresh},
        )
        refused(engine, "UPDATE payout_runs SET note = 'x' WHERE id = :r", {"r": fresh})
        _ok(
            engine,
            "UPDATE payout_runs SET published_at = CURRENT_TIMESTAMP, published_by_id = :u,"
            " updated_at = CURRENT_TIMESTAMP WHERE id = :r",
            {"r": fresh, "u": user},
        )
        engine.dispose()
        schema.downgrade(url, "0026")
        engine = make_engine(url)
        refused(engine, "UPDATE payout_runs SET note = 'x' WHERE id = :r", {"r": fresh})
    finally:
        engine.dispose()
